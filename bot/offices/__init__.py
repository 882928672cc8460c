"""The municipality's own offices and services (``data/offices.yaml``): the directory, and the answer to "τι ώρα
κλείνει το δημαρχείο;", "τηλέφωνο ΚΕΠ", "where do I pay municipal fees?" (intent ``municipal_info``; the conversation
side is ``handlers/municipal.py``)."""
