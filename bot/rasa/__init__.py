"""Everything the service does with the Rasa NLU server (the Rasa project itself is ``nlu/``): the HTTP client
(``client``), setting up the environment, training models and running the server (``server``), evaluation on
labelled splits (``evaluation``)."""
