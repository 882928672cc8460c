"""The Rasa NLU project. Only ``nlu/chania_text.py`` (pure Python, no rasa) is imported by the bot service."""
