"""Labelled messages for the NLU: the ``nlu_labels`` collection, the review queue's query, flow corrections.

One document per labelled inbound message, ``_id`` = the message's ``_id``::

    {text (phones and e-mails masked), intent, entities [{entity, value, start, end}] (offsets in ``text``),
     source: "review" (an annotator confirmed or corrected it) | "resident" (changed the category in the
     complaint flow) | "clerk" (re-categorised the ticket), predicted {intent, confidence}, channel, script,
     holdout (kept out of training, used to judge candidates), conversation_id, created_at (the message's),
     labelled_at, by}

A staff review always wins over a label from the flow. Labels hold citizen text (masked), so the collection is in
the privacy registry (erased with the person, deleted with the messages' retention).
"""

from __future__ import annotations

import hashlib
import itertools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pymongo import DESCENDING

from bot.core import language
from bot.core.models import utcnow
from bot.privacy.redaction import redact_text
from bot.store import Store
from bot.tickets.categories import categories

Source = Literal["review", "resident", "clerk"]
Script = Literal["accented", "unaccented", "upper", "greeklish", "english"]
SCRIPTS: tuple[Script, ...] = ("accented", "unaccented", "upper", "greeklish", "english")
ENTITY_TYPES: tuple[str, ...] = ("sight", "location", "ticket_id")
BANDS: dict[str, tuple[float, float]] = {"low": (0.0, 0.5), "mid": (0.5, 0.8), "high": (0.8, 1.01)}
HOLDOUT_PERCENT = 20  # share of labelled messages kept out of training to judge candidate models
MAX_SCAN = 2000  # the script filter is applied in Python over at most this many newest messages


class LabelError(ValueError):
    """A label that cannot be stored; ``code`` is a key of the staff texts (``nlu_review.errors.*``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def script_of(text: str) -> Script:
    """The script group of a message, as in ``nlu/tests/*.tsv``: Greek accented/unaccented/upper, Greeklish or
    English (Latin letters: Greeklish when :func:`bot.core.language.detect` says Greek)."""
    if any("\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff" for c in text):
        if text == text.upper():
            return "upper"
        marks = any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))
        return "accented" if marks else "unaccented"
    return "greeklish" if language.detect(text) == "el" else "english"


def is_holdout(message_id: str) -> bool:
    """A fixed ~20 % of messages, chosen by a hash of the id: the same message is always on the same side."""
    return int(hashlib.sha256(message_id.encode()).hexdigest()[:8], 16) % 100 < HOLDOUT_PERCENT


def collection(store: Store) -> Any:
    return store.nlu_labels  # indexes: bot.store.Store.ensure_indexes


@dataclass(slots=True)
class QueueItem:
    message_id: str
    text: str  # masked
    channel: str
    script: Script
    created_at: datetime
    predicted: str | None
    confidence: float | None
    label: dict[str, Any] | None = None

    @property
    def anchor(self) -> str:
        return anchor_of(self.message_id)


def anchor_of(message_id: str) -> str:
    """The message's HTML id in the queue page (``m-<anchor>``): letters and digits, ``-`` for the rest."""
    return "".join(c if c.isalnum() else "-" for c in message_id)


@dataclass(slots=True)
class QueueFilter:
    intent: str | None = None
    band: str | None = None
    script: str | None = None
    channel: str | None = None
    corrected: bool = False  # only messages whose category a resident or a clerk changed
    unreviewed: bool = False  # only messages no annotator has reviewed yet

    def mongo(self, corrected_ids: Iterable[str] | None) -> dict[str, Any]:
        query: dict[str, Any] = {"direction": "in", "nlu": {"$ne": None}, "text": {"$nin": ["", None]}}
        if self.intent:
            query["intent"] = self.intent
        if self.band in BANDS:
            lo, hi = BANDS[self.band]
            query["confidence"] = {"$gte": lo, "$lt": hi}
        if self.channel:
            query["channel"] = self.channel
        if corrected_ids is not None:
            query["_id"] = {"$in": sorted(corrected_ids)}
        return query


async def review_queue(store: Store, flt: QueueFilter, *, limit: int = 50) -> list[QueueItem]:
    """Messages that went to the NLU, newest first, with their label if any."""
    labels = collection(store)
    corrected_ids = None
    if flt.corrected:
        corrected_ids = [d["_id"] async for d in labels.find({"flow_intent": {"$ne": None}}, {"_id": 1})]
    cursor = store.messages.find(flt.mongo(corrected_ids),
                                 {"text": 1, "channel": 1, "intent": 1, "confidence": 1, "created_at": 1},
                                 sort=[("created_at", DESCENDING)], limit=MAX_SCAN)
    items: list[QueueItem] = []
    async for doc in cursor:
        text = doc.get("text") or ""
        script = script_of(text)
        if flt.script and script != flt.script:
            continue
        items.append(QueueItem(message_id=doc["_id"], text=redact_text(text), channel=doc.get("channel", ""),
                               script=script, created_at=doc["created_at"], predicted=doc.get("intent"),
                               confidence=doc.get("confidence")))
        if len(items) >= limit * 3:
            break
    found = {d["_id"]: d async for d in labels.find({"_id": {"$in": [i.message_id for i in items]}})}
    out = []
    for item in items:
        item.label = found.get(item.message_id)
        if flt.unreviewed and item.label and item.label.get("reviewed"):
            continue
        out.append(item)
        if len(out) >= limit:
            break
    return out


def clean_entities(text: str, entities: Any) -> list[dict[str, Any]]:
    """Entities marked in the masked ``text``: known types, offsets inside the text, no overlaps."""
    if entities in (None, ""):
        return []
    if not isinstance(entities, list) or len(entities) > 20:
        raise LabelError("bad_entities", "entities must be a list of at most 20 spans")
    out: list[dict[str, Any]] = []
    for e in entities:
        if not isinstance(e, dict) or e.get("entity") not in ENTITY_TYPES:
            raise LabelError("bad_entities", f"unknown entity {e!r}")
        start, end = e.get("start"), e.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise LabelError("bad_entities", f"span {start}-{end} is not inside the text")
        value = text[start:end]
        left, right = len(value) - len(value.lstrip()), len(value) - len(value.rstrip())
        start, end = start + left, end - right
        if start >= end:
            raise LabelError("bad_entities", "an entity must mark some text")
        out.append({"entity": e["entity"], "value": text[start:end], "start": start, "end": end})
    out.sort(key=lambda e: e["start"])
    for a, b in itertools.pairwise(out):
        if b["start"] < a["end"]:
            raise LabelError("bad_entities", "entities overlap")
    return out


async def _message(store: Store, message_id: str) -> dict[str, Any]:
    doc = await store.messages.find_one({"_id": message_id, "direction": "in"})
    if doc is None or not (doc.get("text") or "").strip():
        raise LabelError("no_message", f"no inbound message {message_id!r} with text")
    return doc


def _base(doc: dict[str, Any]) -> dict[str, Any]:
    text = redact_text(doc.get("text") or "")
    return {"text": text, "channel": doc.get("channel"), "script": script_of(doc.get("text") or ""),
            "predicted": {"intent": doc.get("intent"), "confidence": doc.get("confidence")},
            "holdout": is_holdout(doc["_id"]), "conversation_id": doc.get("conversation_id"),
            "created_at": doc.get("created_at")}


async def save_review(store: Store, message_id: str, intent: str, entities: Any, *, actor: str,
                      known_intents: frozenset[str]) -> dict[str, Any]:
    """An annotator confirmed or corrected the intent (and marked entities) of one message."""
    if intent not in known_intents:
        raise LabelError("bad_intent", f"unknown intent {intent!r}")
    doc = await _message(store, message_id)
    base = _base(doc)
    spans = clean_entities(base["text"], entities)
    now = utcnow()
    update = {**base, "intent": intent, "entities": spans, "source": "review", "reviewed": True,
              "labelled_at": now, "by": actor}
    await collection(store).update_one({"_id": message_id}, {"$set": update}, upsert=True)
    return {"_id": message_id, **update}


async def record_flow_label(store: Store, message_id: str, intent: str, source: Source, *, actor: str) -> bool:
    """A resident or a clerk changed the category of what this message reported: a label, unless an annotator
    has reviewed the message (their word stands). Returns whether a label was written."""
    doc = await _message(store, message_id)
    if doc.get("intent") == intent:
        return False  # the NLU was right: confirmed, not corrected
    labels = collection(store)
    existing = await labels.find_one({"_id": message_id}, {"reviewed": 1})
    now = utcnow()
    flow = {"flow_intent": intent, "flow_source": source, "flow_at": now}
    if existing and existing.get("reviewed"):
        await labels.update_one({"_id": message_id}, {"$set": flow})
        return False
    await labels.update_one({"_id": message_id}, {"$set": {
        **_base(doc), **flow, "intent": intent, "entities": [], "source": source, "reviewed": False,
        "labelled_at": now, "by": actor}}, upsert=True)
    return True


def _ticket_category_change(ticket: dict[str, Any]) -> tuple[str, str] | None:
    """The newest staff re-categorisation in a ticket's history: ``(category, actor)``. A history entry with a
    ``category``, or a reassignment to a department that handles a single category."""
    cats = categories()
    for entry in reversed(ticket.get("history") or []):
        if entry.get("category"):
            return str(entry["category"]), str(entry.get("actor", ""))
        department = entry.get("department")
        if department:
            handled = [i for i in cats.intents if cats[i].department == department]
            if len(handled) == 1:
                return handled[0], str(entry.get("actor", ""))
    return None


async def sync_flow_corrections(store: Store, *, limit: int = 500) -> int:
    """Labels from the complaint flow: for the newest tickets, the message that started the report (same
    conversation, text = the ticket's description) gets the ticket's category when the NLU had said otherwise
    (source ``resident``), or a clerk's later re-categorisation (source ``clerk``). Idempotent."""
    written = 0
    cursor = store.tickets.find({"conversation_id": {"$ne": None}, "description": {"$nin": ["", None]}},
                                {"conversation_id": 1, "description": 1, "category": 1, "history": 1,
                                 "created_at": 1}, sort=[("created_at", DESCENDING)], limit=limit)
    async for ticket in cursor:
        source_msg = await store.messages.find_one(
            {"conversation_id": ticket["conversation_id"], "direction": "in", "text": ticket["description"],
             "created_at": {"$lte": ticket["created_at"]}}, {"_id": 1, "intent": 1},
            sort=[("created_at", DESCENDING)])
        if source_msg is None:
            continue
        change = _ticket_category_change(ticket)
        if change is not None:
            intent, actor = change
            written += await record_flow_label(store, source_msg["_id"], intent, "clerk", actor=actor or "staff")
        elif source_msg.get("intent") != ticket["category"]:
            written += await record_flow_label(store, source_msg["_id"], ticket["category"], "resident",
                                               actor="citizen")
    return written


async def all_labels(store: Store) -> list[dict[str, Any]]:
    """Every label, newest first (for the export)."""
    return [d async for d in collection(store).find({}, sort=[("labelled_at", DESCENDING)])]
