"""Structured logs: one JSON line per event, with the ``extra`` fields; secrets never reach the output."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}
_BOT_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]{20,}")


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 6]

    def _redact(self, text: str) -> str:
        text = _BOT_TOKEN.sub("bot<redacted>", text)
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                event[key] = value
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        return self._redact(json.dumps(event, ensure_ascii=False, default=str))


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram URLs carry the bot token
    for noisy in ("httpx", "httpcore", "aiohttp.access", "telegram", "pymongo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
