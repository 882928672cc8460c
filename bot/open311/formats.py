"""Open311 GeoReport v2 documents as JSON or XML (the spec's ``.json`` / ``.xml`` resources).

A document is a Python value: a list of items (``services``, ``service_requests``, ``errors``) or one item
(``service_definition``, ``discovery``); an item is a dict whose values are text, numbers, booleans, dates,
``None`` (an empty element, ``null`` in JSON), dicts or lists. XML is built with :mod:`xml.etree.ElementTree`,
never by joining strings: a list field's children are named by :data:`ITEM_TAGS` (``attributes`` →
``<attribute>``), as in the spec's examples. Dates are W3C date-times with the Europe/Athens offset. Characters
XML cannot carry (most control characters) become U+FFFD there; JSON escapes them.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from bot.core.models import as_utc
from bot.tickets import LOCAL_TZ

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
CONTENT_TYPES: dict[Format, str] = {"json": "application/json", "xml": "text/xml"}

# the spec's root element of a list document and the element of each item in it
LIST_TAGS: dict[str, str] = {"services": "service", "service_requests": "request", "errors": "error"}
# the element of each entry of a list-valued field
ITEM_TAGS: dict[str, str] = {"attributes": "attribute", "values": "value", "endpoints": "endpoint",
                             "formats": "format"}


def w3c(at: datetime | None) -> str | None:
    """``2026-07-14T09:30:00+03:00``: a stored UTC time in Europe/Athens, seconds precision, with its offset."""
    return None if at is None else as_utc(at).astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def parse_w3c(value: str) -> datetime | None:
    """A W3C date-time with its offset (``2026-07-14T09:30:00+03:00``); ``None`` for anything else, including a time
    without an offset (whose moment is unknown)."""
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


# characters XML 1.0 cannot carry at all (control characters other than tab and newlines, lone surrogates, U+FFFE/F):
# a citizen's text may hold them, and one would make the whole document unreadable to an XML parser
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    return _NOT_XML.sub("\ufffd", str(value))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, Mapping):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _fill(element: ET.Element, item: Mapping[str, Any]) -> None:
    for key, value in item.items():
        child = ET.SubElement(element, key)
        if isinstance(value, Mapping):
            _fill(child, value)
        elif isinstance(value, list | tuple):
            tag = ITEM_TAGS[key]
            for entry in value:
                sub = ET.SubElement(child, tag)
                if isinstance(entry, Mapping):
                    _fill(sub, entry)
                else:
                    sub.text = _text(entry)
        else:
            child.text = _text(value)


XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def to_xml(root: str, document: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> bytes:
    """The document under ``<root>``, preceded by the declaration the spec asks for (``encoding="UTF-8"``)."""
    element = ET.Element(root)
    if isinstance(document, Mapping):
        _fill(element, document)
    else:
        for item in document:
            _fill(ET.SubElement(element, LIST_TAGS[root]), item)
    return XML_DECLARATION + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def to_json(document: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> bytes:
    return json.dumps(_json_value(document), ensure_ascii=False).encode("utf-8")


def encode(fmt: Format, root: str, document: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> bytes:
    return to_xml(root, document) if fmt == "xml" else to_json(document)
