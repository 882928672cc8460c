"""Channel adapters: they authenticate platform requests, translate payloads to ``Inbound`` and replies to the
platform's messages. Nothing outside this package imports a platform SDK."""
