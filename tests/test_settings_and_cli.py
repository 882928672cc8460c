"""Configuration is validated with clear messages; demo mode refuses real tokens; logs never carry secrets."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.logs import JsonFormatter
from bot.core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def _run_bot(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIBER_", "MONGODB_", "RASA_"))}
    return subprocess.run([sys.executable, "bot.py", *args], cwd=ROOT, env=clean | env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_demo_mode_refuses_real_channel_tokens() -> None:
    result = _run_bot("run", TELEGRAM_TOKEN="123:abc")
    assert result.returncode == 2
    assert "MONGODB_URI is not set" in result.stderr and "--demo" in result.stderr


def test_invalid_configuration_is_reported_by_name() -> None:
    result = _run_bot("run", RASA_URL="localhost:5005", NLU_CONFIDENCE_THRESHOLD="1.5")
    assert result.returncode != 0
    assert "Invalid configuration" in result.stderr
    assert "RASA_URL" in result.stderr and "NLU_CONFIDENCE_THRESHOLD" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_rules() -> None:
    with pytest.raises(SystemExit, match="TELEGRAM_WEBHOOK_SECRET"):
        load_settings(_env_file=None, telegram_token="1:x", public_url="https://bot.chania.gr")
    with pytest.raises(SystemExit, match="RASA_TOKEN"):
        load_settings(_env_file=None, rasa_url="http://127.0.0.1:5005")
    with pytest.raises(SystemExit, match="TELEGRAM_WEBHOOK_SECRET"):
        load_settings(_env_file=None, telegram_webhook_secret="has spaces!")
    s = Settings(_env_file=None, public_url="https://bot.chania.gr/", mongodb_uri="mongodb://db")  # type: ignore[call-arg]
    assert s.public_url == "https://bot.chania.gr" and not s.demo


def test_json_logs_redact_tokens() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets=["webhook-secret-123"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning("POST https://api.telegram.org/bot7000000001:AAH-fake-token-for-tests-only-0123456/sendMessage",
                   extra={"conversation": "telegram:1", "secret": "webhook-secret-123"})
    line = json.loads(stream.getvalue())
    assert "AAH-fake" not in stream.getvalue() and "webhook-secret-123" not in stream.getvalue()
    assert line["conversation"] == "telegram:1" and line["level"] == "warning"
