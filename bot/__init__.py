"""Chania civic chatbot service (Python 3.11). Never imports rasa: NLU is reached over HTTP."""
