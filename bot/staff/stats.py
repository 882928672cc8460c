"""Figures for the staff dashboard's statistics page, computed from the store over a window of whole weeks
(Monday to Sunday, Europe/Athens).

- tickets filed per category per week; opened vs resolved per week and open / resolved / otherwise closed now;
- median time from filing to resolution per department (tickets resolved within the window);
- messages per channel and language (the conversation's language), inbound and outbound;
- share of inbound messages whose NLU confidence is below the threshold, per week.

Only the fields needed are read (projections); the grouping is plain Python so it runs the same on MongoDB and on
the in-process stand-in.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.core.models import as_utc
from bot.store import Store, shapes
from bot.tickets import LOCAL_TZ, OPEN_STATUSES

MAX_WEEKS = 52


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_starts(weeks: int, now: datetime) -> list[date]:
    """The Mondays of the last ``weeks`` weeks, oldest first, ending with the current week."""
    current = week_start(now.astimezone(LOCAL_TZ).date())
    return [current - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, LOCAL_TZ)


@dataclass
class TicketStats:
    weeks: list[date]
    per_category: dict[str, list[int]] = field(default_factory=dict)
    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    open_now: int = 0
    resolved_now: int = 0
    closed_other_now: int = 0
    resolution_hours: dict[str, tuple[float, int]] = field(default_factory=dict)  # department → (median, count)


@dataclass
class MessageStats:
    weeks: list[date]
    per_channel_language: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    inbound: list[int] = field(default_factory=list)  # inbound messages with an NLU result, per week
    low: list[int] = field(default_factory=list)  # of which below the confidence threshold

    @property
    def low_share(self) -> list[float | None]:
        return [(lo / n) if n else None for lo, n in zip(self.low, self.inbound, strict=True)]

    @property
    def low_share_total(self) -> float | None:
        total = sum(self.inbound)
        return sum(self.low) / total if total else None


def _week_index(weeks: list[date], at: datetime) -> int | None:
    start = week_start(as_utc(at).astimezone(LOCAL_TZ).date())
    try:
        return weeks.index(start)
    except ValueError:
        return None


async def ticket_stats(store: Store, *, weeks: int = 12, now: datetime | None = None) -> TicketStats:
    now = now or datetime.now(UTC)
    weeks = max(1, min(weeks, MAX_WEEKS))
    starts = week_starts(weeks, now)
    since = _local_midnight(starts[0])
    result = TicketStats(weeks=starts, opened=[0] * weeks, resolved=[0] * weeks)
    per_category: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    durations: dict[str, list[float]] = defaultdict(list)

    cursor = store.tickets.find({"created_at": {"$gte": since}}, {"category": 1, "created_at": 1})
    async for stored in cursor:
        doc = shapes.ticket(stored)
        if doc["created_at"] is None or doc["category"] is None:
            continue  # a malformed stored ticket: not counted rather than a broken page
        i = _week_index(starts, doc["created_at"])
        if i is not None:
            per_category[doc["category"]][i] += 1
            result.opened[i] += 1

    cursor = store.tickets.find({"status": "resolved", "updated_at": {"$gte": since}},
                                {"department": 1, "created_at": 1, "history": 1})
    async for stored in cursor:
        doc = shapes.ticket(stored)
        resolved_at = [as_utc(h["at"]) for h in doc["history"] if h.get("status") == "resolved" and h.get("at")]
        if not resolved_at or doc["created_at"] is None:
            continue
        at = max(resolved_at)
        i = _week_index(starts, at)
        if i is None:
            continue
        result.resolved[i] += 1
        durations[doc.get("department") or "—"].append((at - as_utc(doc["created_at"])).total_seconds() / 3600)

    for status, n in (await _count_by(store.tickets, "status")).items():
        if status in OPEN_STATUSES:
            result.open_now += n
        elif status == "resolved":
            result.resolved_now += n
        else:
            result.closed_other_now += n
    result.per_category = dict(sorted(per_category.items()))
    result.resolution_hours = {d: (statistics.median(v), len(v)) for d, v in sorted(durations.items())}
    return result


async def _count_by(collection: Any, key: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    cursor = await collection.aggregate([{"$group": {"_id": f"${key}", "n": {"$sum": 1}}}])
    async for row in cursor:
        counts[str(row["_id"])] += int(row["n"])
    return counts


async def message_stats(store: Store, *, weeks: int = 12, low_confidence: float = 0.5,
                        now: datetime | None = None) -> MessageStats:
    now = now or datetime.now(UTC)
    weeks = max(1, min(weeks, MAX_WEEKS))
    starts = week_starts(weeks, now)
    since = _local_midnight(starts[0])
    result = MessageStats(weeks=starts, inbound=[0] * weeks, low=[0] * weeks)
    per_conversation: dict[str, Counter[str]] = defaultdict(Counter)
    channel_of: dict[str, str] = {}
    cursor = store.messages.find({"created_at": {"$gte": since}},
                                 {"conversation_id": 1, "channel": 1, "direction": 1, "created_at": 1,
                                  "nlu.intent.confidence": 1})
    async for stored in cursor:
        doc = shapes.message(stored)
        if doc["created_at"] is None:
            continue
        conv_id = doc.get("conversation_id") or ""
        direction = doc.get("direction") or "in"
        per_conversation[conv_id][direction] += 1
        channel_of[conv_id] = doc.get("channel") or "—"
        if direction != "in":
            continue
        intent = ((doc.get("nlu") or {}).get("intent") or {})
        confidence = intent.get("confidence")
        if confidence is None:
            continue  # not understood yet, or NLU was down: no confidence to judge
        i = _week_index(starts, doc["created_at"])
        if i is not None:
            result.inbound[i] += 1
            if float(confidence) < low_confidence:
                result.low[i] += 1

    languages: dict[str, str] = {}
    ids = list(per_conversation)
    for chunk in range(0, len(ids), 1000):
        async for conv in store.conversations.find({"_id": {"$in": ids[chunk:chunk + 1000]}}, {"language": 1}):
            languages[conv["_id"]] = shapes.conversation(conv).get("language") or "—"
    table: dict[tuple[str, str], dict[str, int]] = {}
    for conv_id, counts in per_conversation.items():
        key = (channel_of[conv_id], languages.get(conv_id, "—"))
        row = table.setdefault(key, {"in": 0, "out": 0})
        row["in"] += counts["in"]
        row["out"] += counts["out"]
    result.per_channel_language = dict(sorted(table.items()))
    return result
