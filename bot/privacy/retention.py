"""The retention job: deletes or pseudonymises what the registry's rules say is due (issue 14).

Run by the service every ``RETENTION_INTERVAL_H`` hours (:func:`retention_loop`) and by ``bot.py retention
[--dry-run]``. Each rule selects the documents due at ``now`` and acts on exactly those; every action makes a
document no longer due, so a second run finds nothing (idempotent). A run that changed something is recorded in
the audit log with its counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.models import as_utc, utcnow
from bot.core.settings import Settings
from bot.privacy.registry import CLOSED_STATUSES, REGISTRY, PersonalDataCollection, RetentionRule
from bot.staff import audit
from bot.store import Store

log = logging.getLogger(__name__)

ACTOR = "system:retention"


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    collection: str
    rule: str
    days: int
    due: int
    done: int


def closed_at(ticket: Mapping[str, Any]) -> datetime | None:
    """When the ticket was closed: the first entry of the unbroken run of closed statuses that ends its history
    (a note or a reassignment after closing does not move it); ``None`` while it is open."""
    if ticket.get("status") not in CLOSED_STATUSES:
        return None
    at = None
    for entry in reversed(ticket.get("history") or ()):
        if entry.get("status") not in CLOSED_STATUSES:
            break
        at = entry.get("at")
    return as_utc(at) if at else None


async def due_ids(store: Store, entry: PersonalDataCollection, rule: RetentionRule, cutoff: datetime) -> list[Any]:
    coll = store.db[entry.name]
    if rule.since_closed:
        query = {"status": {"$in": list(CLOSED_STATUSES)}, **rule.due,
                 "history": {"$elemMatch": {"status": {"$in": list(CLOSED_STATUSES)}, "at": {"$lt": cutoff}}}}
        ids = [doc["_id"] async for doc in coll.find(query, {"status": 1, "history": 1})
               if (at := closed_at(doc)) is not None and at < cutoff]
    else:
        ids = [doc["_id"] async for doc in coll.find({rule.age_field: {"$lt": cutoff}, **rule.due}, {"_id": 1})]
    if rule.keep is not None and ids:
        keep = await rule.keep(store)
        ids = [i for i in ids if i not in keep]
    return ids


async def run_retention(store: Store, settings: Settings, *, now: datetime | None = None,
                        dry_run: bool = False) -> list[RuleOutcome]:
    """Apply every rule of the registry once; ``dry_run`` counts what is due and changes nothing."""
    now = now or utcnow()
    outcomes = []
    for entry in REGISTRY:
        coll = store.db[entry.name]
        for rule in entry.retention:
            days = int(getattr(settings, rule.period)) if rule.period else 0
            ids = await due_ids(store, entry, rule, now - timedelta(days=days))
            done = 0
            if ids and not dry_run:
                if rule.action == "delete":
                    done = (await coll.delete_many({"_id": {"$in": ids}})).deleted_count
                else:
                    done = (await coll.update_many({"_id": {"$in": ids}}, dict(rule.action(now)))).modified_count
            outcomes.append(RuleOutcome(entry.name, rule.name, days, len(ids), done))
    changed = {f"{o.collection}: {o.rule}": o.done for o in outcomes if o.done}
    if changed:
        await audit.record(store, ACTOR, "privacy.retention", details={"legal_basis": "GDPR art. 5(1)(e)", **changed})
    log.info("retention run", extra={"dry_run": dry_run, "changed": changed})
    return outcomes


def format_outcomes(outcomes: list[RuleOutcome], *, dry_run: bool) -> str:
    """A table of the run's counts (``done`` is ``-`` in a dry run)."""
    lines = [f"{'collection':<14} {'rule':<26} {'days':>5} {'due':>6} {'done':>6}"]
    lines += [f"{o.collection:<14} {o.rule:<26} {o.days:>5} {o.due:>6} {'-' if dry_run else o.done:>6}"
              for o in outcomes]
    if dry_run:
        lines.append("dry run: nothing was changed")
    return "\n".join(lines)


async def retention_loop(store: Store, settings: Settings, *, first_delay_s: float = 60) -> None:
    """The service's daily run (a first run shortly after start); errors are logged and the loop goes on."""
    await asyncio.sleep(first_delay_s)
    while True:
        try:
            await run_retention(store, settings)
        except Exception:
            log.exception("retention run failed")
        await asyncio.sleep(settings.retention_interval_h * 3600)


async def cli_retention(*, dry_run: bool) -> int:
    from bot.core.settings import load_settings
    from bot.store import open_configured_store

    settings = load_settings()
    if settings.demo:
        print("note: MONGODB_URI is not set; this runs on an empty in-memory database")
    store = await open_configured_store(settings)
    try:
        print(format_outcomes(await run_retention(store, settings, dry_run=dry_run), dry_run=dry_run))
    finally:
        await store.close()
    return 0
