"""Stored documents in the shape the staff pages and figures expect, whatever the store holds (issue 10).

The database may hold anything: an old version's fields, a hand-edited document, a value written by a bug. A page
must still open. :func:`conversation`, :func:`message` and :func:`ticket` return a copy of a stored document in
which every field the pages use has the expected type or is ``None`` (``[]`` for lists): a location that is not two
finite numbers, a time that is a string, a text that is a number … Fields not listed pass through untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

Shape = type | tuple[type, ...] | dict[str, Any] | list[Any] | Callable[[Any], Any]


def _number(value: Any) -> float | int | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _any_text(value: Any) -> str | None:
    """An NLU entity's value may be a number: shown as text."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def _when(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _language(value: Any) -> str | None:
    return value if value in ("el", "en") else None


def _flag(value: Any) -> bool:
    return value is True


def _point(value: Any) -> dict[str, Any] | None:
    """A GeoJSON point with two finite coordinates in range, or None."""
    if not isinstance(value, dict):
        return None
    coords = value.get("coordinates")
    if not (isinstance(coords, list) and len(coords) == 2 and all(_number(c) is not None for c in coords)):
        return None
    lon, lat = coords
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return {**value, "type": "Point", "coordinates": [lon, lat]}


def _lat_lon(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    lat, lon = _number(value.get("lat")), _number(value.get("lon"))
    if lat is None or lon is None:
        return None
    return {**value, "lat": lat, "lon": lon}


def conform(value: Any, shape: Shape) -> Any:
    """``value`` made to fit ``shape``: a type (or tuple of types), a function, ``{field: shape}`` for an object
    (listed fields conformed, others kept), ``[shape]`` for a list (items that do not fit are dropped)."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return None
        out = dict(value)
        for key, inner in shape.items():
            out[key] = conform(value.get(key), inner)
        return out
    if isinstance(shape, list):
        if not isinstance(value, list):
            return []
        items = (conform(v, shape[0]) for v in value)
        return [v for v in items if v is not None]
    if isinstance(shape, type | tuple):
        return value if isinstance(value, shape) and not isinstance(value, bool) else None
    return shape(value)


ATTACHMENT = {"kind": _text, "file_id": _text, "url": _text, "size": _number}
def _pin(value: Any) -> dict[str, Any] | None:
    place = _lat_lon(value)
    if place is None or not isinstance(place.get("name"), str):
        return None
    return place | {"address": place.get("address") if isinstance(place.get("address"), str) else ""}


def _button(value: Any) -> dict[str, Any] | None:
    ok = isinstance(value, dict) and isinstance(value.get("label"), str) and isinstance(value.get("payload"), str)
    return value if ok else None


REPLY = {"text": lambda v: v if isinstance(v, str) else "", "buttons": [_button], "image": _text, "location": _pin}
NLU = {"intent": {"name": _text, "confidence": _number}, "intent_ranking": [{"name": _text, "confidence": _number}],
       "entities": [{"entity": _text, "value": _any_text}], "error": _text}

CONVERSATION = {
    "channel": _text, "user_id": _text, "chat_id": _text, "language": _language, "paused": _flag,
    "last_activity": _when, "last_text": _text, "last_intent": _text, "last_confidence": _number,
    "last_location": _lat_lon, "last_location_at": _when, "unsubscribed": _flag, "waiting_since": _when,
    "held_by": _text, "held_by_name": _text, "paused_at": _when, "held_active_at": _when,
}
MESSAGE = {
    "conversation_id": _text, "channel": _text, "direction": _text, "sender": _text, "status": _text,
    "text": _text, "button": _text, "button_label": _text, "unreadable": _text, "location": _lat_lon,
    "attachments": [ATTACHMENT],
    "nlu": NLU, "reply": REPLY, "intent": _text, "confidence": _number, "attempts": _number,
    "last_error": _text, "created_at": _when, "received_at": _when, "failed_at": _when, "processed_at": _when,
}
HISTORY = {"at": _when, "actor": _text, "status": _text, "note": _text}
TICKET = {
    "reference": lambda v: v if isinstance(v, str) else "?", "category": _text, "department": _text,
    "description": _text, "status": _text, "language": _language, "channel": _text, "conversation_id": _text,
    "address": _text, "location": _point, "photos": [ATTACHMENT], "history": [HISTORY], "notes": [HISTORY],
    "citizen": dict, "created_at": _when, "updated_at": _when, "duplicate_of": _text, "report_started_at": _when,
    "erased_at": _when,
}


def conversation(doc: dict[str, Any]) -> dict[str, Any]:
    return conform(doc, CONVERSATION)


def message(doc: dict[str, Any]) -> dict[str, Any]:
    return conform(doc, MESSAGE)


def ticket(doc: dict[str, Any]) -> dict[str, Any]:
    return conform(doc, TICKET)
