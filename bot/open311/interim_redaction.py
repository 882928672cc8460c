"""Stand-in for ``bot.privacy.redaction.redact_text`` until the privacy package (issue 14) is in main: the same
name and signature; e-mail addresses, Greek phone numbers and 9/11-digit numbers (ΑΦΜ, ΑΜΚΑ) become ``[…]``.
Delete this module once bot/privacy/redaction.py exists."""

from __future__ import annotations

import re

_PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"(?<!\d)(?:\+|00)?(?:30[\s.-]?)?(?:69\d|2\d{2})(?:[\s.-]?\d){7}(?!\d)"),
    re.compile(r"(?<!\d)\d{11}(?!\d)|(?<!\d)\d{9}(?!\d)"),
)


def redact_text(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub("[…]", text)
    return text
