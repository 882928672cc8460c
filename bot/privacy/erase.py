"""Erasure (GDPR article 17): the person's conversation, messages and links are deleted; their tickets stay for the
municipality's records (a public body's task, GDPR art. 17(3)(b)) but pseudonymised.

A pseudonymised ticket keeps reference, category, department, place, status and its history (so it still counts in
the statistics) and loses the conversation id, name and phone. Its description and photos stay only where staff
marked them free of personal data: the description by ``personal_data_review.description`` (set on the
data-protection page), a photo by its ``approved`` flag (approved for publication, bot/open311/publication.py);
otherwise the description is replaced by :data:`ERASED` and the photos are removed. Staff notes and status notes
are masked (phones, e-mails, ΑΦΜ/ΑΜΚΑ). The person is removed from the followers of other tickets, and audit
entries that named their conversation name a random pseudonym instead (the audit log itself is kept:
accountability, art. 5(2)).
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.core.models import utcnow
from bot.privacy.redaction import redact_text
from bot.privacy.registry import REGISTRY, DataSubject, filed_by
from bot.store import Store

ERASED = "▒▒▒"


@dataclass(slots=True)
class ErasureReport:
    pseudonym: str
    deleted: Counter[str] = field(default_factory=Counter)  # collection → documents deleted
    tickets_kept: list[str] = field(default_factory=list)  # references of pseudonymised tickets
    descriptions_kept: int = 0
    photos_removed: int = 0
    unfollowed: int = 0
    audit_pseudonymised: int = 0

    def as_details(self) -> dict[str, Any]:
        return {"deleted": dict(self.deleted), "tickets_pseudonymised": len(self.tickets_kept),
                "descriptions_kept": self.descriptions_kept, "photos_removed": self.photos_removed,
                "unfollowed": self.unfollowed, "audit_pseudonymised": self.audit_pseudonymised}


def _pseudonymised(ticket: dict[str, Any], now: Any) -> tuple[dict[str, Any], bool, int]:
    keep_text = bool((ticket.get("personal_data_review") or {}).get("description"))
    photos = ticket.get("photos") or []
    kept_photos = [p for p in photos if p.get("approved")]  # approved for publication: checked free of data
    update: dict[str, Any] = {
        "conversation_id": None,
        "citizen": {},
        "description": ticket.get("description", "") if keep_text else ERASED,
        "photos": kept_photos,
        "history": [{**h, "note": redact_text(h.get("note") or "")} for h in ticket.get("history") or ()],
        "notes": [{**n, "text": redact_text(n.get("text") or "")} for n in ticket.get("notes") or ()],
        "erased_at": now,
        "updated_at": now,
    }
    return update, keep_text, len(photos) - len(kept_photos)


async def erase_subject(store: Store, subject: DataSubject) -> ErasureReport:
    """Erase everything the registry knows about the person; safe to run again (finds nothing the second time)."""
    report = ErasureReport(pseudonym=f"erased:{secrets.token_hex(8)}")
    now = utcnow()
    ids = sorted(subject.conversation_ids)
    for entry in REGISTRY:
        coll = store.db[entry.name]
        query = entry.find(subject)
        if entry.erase == "delete":
            report.deleted[entry.name] += (await coll.delete_many(query)).deleted_count
        elif entry.erase == "tickets":
            async for ticket in coll.find(query):
                if filed_by(subject, ticket):
                    update, kept, removed = _pseudonymised(ticket, now)
                    await coll.update_one({"_id": ticket["_id"]}, {"$set": update})
                    report.tickets_kept.append(ticket["reference"])
                    report.descriptions_kept += kept
                    report.photos_removed += removed
                if any(f.get("conversation_id") in subject.conversation_ids for f in ticket.get("followers") or ()):
                    await coll.update_one({"_id": ticket["_id"]},
                                          {"$pull": {"followers": {"conversation_id": {"$in": ids}}}})
                    report.unfollowed += 1
        elif entry.erase == "audit":
            result = await coll.update_many({"target": {"$in": ids}}, {"$set": {"target": report.pseudonym}})
            report.audit_pseudonymised += result.modified_count
    report.tickets_kept.sort()
    return report
