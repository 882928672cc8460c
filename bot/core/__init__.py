"""The plumbing every part of the bot uses: settings, the message and reply models, texts (i18n,
language, Latin transliteration), geometry, events across instances, logs and metrics, and the
services bundle handed to handlers."""
