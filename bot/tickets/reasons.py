"""Reasons for closing a ticket without fixing it: rejecting, marking it a duplicate, referring it elsewhere.

Those need a reason the resident can read: a ready-made one (``status_reasons.<status>.<code>`` in the residents'
catalogues ``data/i18n/<lang>.yaml``, so the resident gets it in their language whatever the clerk's) and/or the
clerk's own words. :func:`resident_note` makes the note that goes with the status change.
"""

from __future__ import annotations

from functools import cache

from bot.core.i18n import Texts, catalogue
from bot.core.models import Language

NEEDS_REASON: frozenset[str] = frozenset({"rejected", "duplicate", "referred"})


class ReasonMissing(ValueError):
    """A status that needs a reason was chosen without one."""


@cache
def reason_codes(status: str) -> tuple[str, ...]:
    """The ready-made reasons for ``status`` (none for statuses that need no reason)."""
    prefix = f"status_reasons.{status}."
    return tuple(k[len(prefix):] for k in catalogue("el") if k.startswith(prefix))


def reason_text(status: str, code: str, lang: Language) -> str:
    return Texts(lang)(f"status_reasons.{status}.{code}")


def resident_note(status: str, reason: str, note: str, lang: Language) -> str:
    """The ready-made reason in the resident's language, then the clerk's note. ``ValueError`` for a reason that
    is not one of ``status``'s, :class:`ReasonMissing` when ``status`` needs a reason and there is none."""
    if reason and reason not in reason_codes(status):
        raise ValueError(f"no reason {reason!r} for {status!r}")
    if status in NEEDS_REASON and not reason and not note:
        raise ReasonMissing(status)
    parts = [reason_text(status, reason, lang)] if reason else []
    if note:
        parts.append(note)
    return "\n".join(parts)
