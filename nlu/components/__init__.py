"""Custom Rasa components (Rasa 3.6, Python 3.10). Rasa imports them as ``nlu.components.<module>.<Class>``,
so ``rasa`` runs with the repository root on ``PYTHONPATH`` (``bot/rasa/server.py`` sets it)."""
