"""A person's data export (GDPR articles 15 and 20): everything the registry's collections hold about them, as JSON,
and a readable summary in their language.

Only the person's own data: of a ticket they follow (filed by someone else) the export has the reference, category,
status and when they started following it, never the other person's text or photos; other followers' ids and staff
usernames are left out (staff appear as "staff").
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId

from bot.core.i18n import Texts
from bot.core.models import as_utc, utcnow
from bot.core.settings import Settings
from bot.privacy.registry import REGISTRY, DataSubject, filed_by
from bot.store import Store
from bot.tickets import local_time
from bot.tickets.categories import categories

INTERNAL_FIELDS = frozenset({"seq", "claimed_at", "claim", "lease"})
SKIPPED_COLLECTIONS = frozenset({"downloads"})  # the export files themselves


def _plain(value: Any) -> Any:
    """A BSON value as JSON: times in ISO 8601 (UTC), ids as strings, bytes in base64."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if k not in INTERNAL_FIELDS}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _staff(actor: Any) -> Any:
    return "staff" if isinstance(actor, str) and actor.startswith("staff:") else actor


def _filed_ticket(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("_id", "followers")}
    out["history"] = [{**h, "actor": _staff(h.get("actor"))} for h in doc.get("history") or ()]
    out["notes"] = [{**n, "actor": _staff(n.get("actor"))} for n in doc.get("notes") or ()]
    return out


def _followed_ticket(doc: Mapping[str, Any], conversation_ids: frozenset[str]) -> dict[str, Any]:
    mine = [f for f in doc.get("followers") or () if f.get("conversation_id") in conversation_ids]
    return {"reference": doc["reference"], "category": doc.get("category"), "status": doc.get("status"),
            "followed_since": mine[0].get("at") if mine else None}


async def export_subject(store: Store, subject: DataSubject, settings: Settings) -> dict[str, Any]:
    """Everything held about the person, JSON-ready."""
    ids = subject.conversation_ids
    data: dict[str, Any] = {
        "generated_at": utcnow(),
        "controller": settings.privacy_controller,
        "data_protection_officer": settings.dpo_email,
        "conversations": [], "messages": [], "tickets_filed": [], "tickets_followed": [], "staff_access": [],
    }
    for entry in REGISTRY:
        if entry.name in SKIPPED_COLLECTIONS:
            continue
        docs = await store.db[entry.name].find(entry.find(subject)).to_list(None)
        if entry.name == "tickets":
            for doc in sorted(docs, key=lambda d: d["reference"]):
                if filed_by(subject, doc):
                    data["tickets_filed"].append(_filed_ticket(doc))
                else:
                    data["tickets_followed"].append(_followed_ticket(doc, ids))
        elif entry.name == "audit":  # who at the municipality looked at or acted on their data, and when
            data["staff_access"] = [{"at": d["at"], "action": d["action"]} for d in sorted(docs, key=lambda d: d["at"])
                                    if str(d.get("actor", "")).startswith("staff:")]  # not the person's own requests
        elif entry.name == "messages":
            data["messages"] = [{k: v for k, v in d.items() if k != "reply" or v}
                                for d in sorted(docs, key=lambda d: (d["created_at"], str(d.get("seq"))))]
        else:  # conversations, and every collection registered later (subscriptions …) as stored
            data[entry.name] = docs
    return _plain(data)


def export_json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode()


# in the JSON export, but not worth a line of the summary: a lock held while one message is processed, the live
# events of the staff monitor (minutes)
PLUMBING = frozenset({"leases", "events"})


def summary(data: Mapping[str, Any], texts: Texts) -> str:
    """What the export holds, in a few lines of the person's language."""
    lines = [texts("privacy.export.title")]
    for conv in data["conversations"]:
        since = local_time(datetime.fromisoformat(conv["created_at"])) if conv.get("created_at") else None
        channel = conv.get("channel", "")
        if texts.has(f"privacy.export.channels.{channel}"):
            channel = texts(f"privacy.export.channels.{channel}")
        lines.append(texts("privacy.export.conversation", channel=channel,
                           since=since.strftime("%d/%m/%Y") if since else "—"))
    lines.append(texts.plural("privacy.export.messages", len(data["messages"])))
    for t in data["tickets_filed"]:
        cat = categories().get(t.get("category") or "")
        lines.append(texts("privacy.export.ticket_filed", ref=t["reference"], category=cat.name(texts.lang) if cat
                           else "", status=texts(f"tickets.status.{t['status']}")))
    for t in data["tickets_followed"]:
        lines.append(texts("privacy.export.ticket_followed", ref=t["reference"],
                           status=texts(f"tickets.status.{t['status']}")))
    lines.append(texts.plural("privacy.export.staff_access", len(data["staff_access"])))
    others = [k for k in data if k not in ("generated_at", "controller", "data_protection_officer", "conversations",
                                           "messages", "tickets_filed", "tickets_followed", "staff_access")]
    for name in (n for n in others if data[n] and n not in PLUMBING):  # other features' data, in words
        label = texts(f"privacy.export.names.{name}") if texts.has(f"privacy.export.names.{name}") else name
        lines.append(texts("privacy.export.other", name=label, n=len(data[name])))
    return "\n".join(lines)
