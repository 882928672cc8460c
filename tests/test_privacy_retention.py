"""The retention job on a store with back-dated documents: it deletes exactly what is due, and a second run nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import tickets
from bot.core.models import utcnow
from bot.core.services import Services
from bot.core.settings import Settings
from bot.privacy import downloads
from bot.privacy.retention import closed_at, format_outcomes, run_retention

DAY = timedelta(days=1)


PHOTO = {"file_id": "AgACAgQAAxkBAAIB", "url": None, "size": 48000}


async def ticket(services: Services, *, closed_days_ago: int | None, conversation_id: str | None = "telegram:1",
                 phone: str | None = None, photos: bool = True, created_days_ago: int = 900) -> str:
    """A real ticket (create_ticket, change_status), then its times moved into the past."""
    t = await tickets.create_ticket(
        services, category="complaint_roads", description="Λακκούβα στην Κισσάμου, πάρτε με στο 6912345678",
        channel="telegram" if conversation_id else "assisted", language="el", conversation_id=conversation_id,
        photos=[PHOTO] if photos else [], citizen={"name": "Μαρία Παπαδάκη", "phone": phone} if phone else None)
    ref = t["reference"]
    now = utcnow()
    history = [{"status": "new", "at": now - created_days_ago * DAY, "actor": "citizen", "note": ""}]
    status = "new"
    if closed_days_ago is not None:
        await tickets.change_status(services, ref, "resolved", actor="staff:eleni", note="Επισκευάστηκε")
        history.append({"status": "resolved", "at": now - closed_days_ago * DAY, "actor": "staff:eleni", "note": ""})
        status = "resolved"
    await services.store.tickets.update_one({"reference": ref}, {"$set": {
        "history": history, "status": status, "created_at": history[0]["at"], "updated_at": history[-1]["at"]}})
    return ref


async def back_dated(services: Services) -> dict[str, Any]:
    store, now = services.store, utcnow()
    refs = {
        "closed_long_ago": await ticket(services, closed_days_ago=800, conversation_id="telegram:old-open"),
        "closed_recently": await ticket(services, closed_days_ago=100),
        "open_old": await ticket(services, closed_days_ago=None, conversation_id="telegram:old-open",
                                 phone="+306912345678"),
        "assisted_closed": await ticket(services, closed_days_ago=3, conversation_id=None, phone="+302821012345",
                                        photos=False),
        "closed_then_noted": await ticket(services, closed_days_ago=760),
    }
    # a staff note and a reassignment after closing do not move the closing time
    await tickets.add_note(services, refs["closed_then_noted"], "Ο πολίτης ευχαρίστησε", actor="staff:eleni")
    await tickets.reassign(services, refs["closed_then_noted"], "technical", actor="staff:eleni")
    await store.conversations.insert_many([
        {"_id": "telegram:old", "chat_id": "1", "last_activity": now - 400 * DAY},
        {"_id": "telegram:old-open", "chat_id": "2", "last_activity": now - 400 * DAY},  # an open ticket reports here
        {"_id": "telegram:recent", "chat_id": "3", "last_activity": now - 30 * DAY},
        {"_id": "telegram:subscribed", "chat_id": "4", "last_activity": now - 400 * DAY},  # area alerts go here
    ])
    await store.db["alert_subscriptions"].insert_one({"_id": "telegram:subscribed", "areas": ["halepa"]})
    await store.messages.insert_many(
        [{"_id": f"telegram:old{i}", "conversation_id": "telegram:old", "created_at": now - (366 + i) * DAY}
         for i in range(3)]
        + [{"_id": "telegram:recent1", "conversation_id": "telegram:recent", "created_at": now - 364 * DAY}])
    await store.nlu_labels.insert_many([  # labels age with the message they label (bot/rasa/labels.py)
        {"_id": "telegram:old0", "conversation_id": "telegram:old", "text": "σκουπίδια", "intent": "complaint_waste",
         "created_at": now - 366 * DAY},
        {"_id": "telegram:recent1", "conversation_id": "telegram:recent", "text": "λάμπα",
         "intent": "complaint_lighting", "created_at": now - 364 * DAY}])
    expired = await downloads.create(store, "telegram:old", "export.json", b"{}")
    await downloads.create(store, "telegram:recent", "export.json", b"{}")
    await store.downloads.update_one({"_id": downloads._key(expired)}, {"$set": {"expires_at": now - DAY / 24}})
    # the outbox keeps a sent entry a day (against a re-run of its turn), a dead letter as long as messages
    await store.outbox.insert_many([
        {"_id": "out:sent-old", "conversation_id": "telegram:old", "status": "sent", "created_at": now - 2 * DAY,
         "expires_at": now - DAY},
        {"_id": "out:sent-new", "conversation_id": "telegram:recent", "status": "sent", "created_at": now,
         "expires_at": now + DAY},
        {"_id": "out:dead-old", "conversation_id": "telegram:old", "status": "dead", "created_at": now - 400 * DAY},
        {"_id": "out:dead-new", "conversation_id": "telegram:recent", "status": "dead", "created_at": now - DAY},
        {"_id": "out:pending-old", "conversation_id": "telegram:recent", "status": "pending",
         "created_at": now - 400 * DAY}])  # not final: never deleted
    await store.events.insert_many([{"event": {"conversation_id": "telegram:old"}, "expires_at": now - DAY / 24},
                                    {"event": {"conversation_id": "telegram:recent"}, "expires_at": now + DAY / 24}])
    await store.leases.insert_many([{"_id": "conversation:telegram:old", "until": now - DAY},
                                    {"_id": "conversation:telegram:recent", "until": now + DAY}])
    await store.audit.insert_many([{"at": now - 6 * 365 * DAY, "action": "ticket.view", "target": "x"},
                                   {"at": now - 4 * 365 * DAY, "action": "ticket.view", "target": "y"}])
    return refs


async def snapshot(services: Services) -> dict[str, Any]:
    db = services.store.db
    return {name: await db[name].find({}, {"_id": 1, "photos": 1, "citizen": 1}).sort("_id").to_list(None)
            for name in ("conversations", "messages", "tickets", "downloads", "nlu_labels")} | {
        "audit": await db["audit"].count_documents({})}


async def test_retention_removes_exactly_what_is_due_and_a_second_run_nothing(services: Services) -> None:
    refs = await back_dated(services)
    before = await snapshot(services)

    dry = await run_retention(services.store, services.settings, dry_run=True)
    assert await snapshot(services) == before  # a dry run changes nothing
    counts = {(o.collection, o.rule): o.due for o in dry}
    assert counts == {("conversations", "inactive conversations"): 1, ("messages", "messages"): 3,
                      ("tickets", "ticket photos"): 2, ("tickets", "call-back phone numbers"): 1,
                      ("downloads", "expired export links"): 1, ("audit", "audit entries"): 1,
                      ("outbox", "sent outbox entries"): 1, ("outbox", "dead letters"): 1,
                      ("events", "cross-instance events"): 1, ("leases", "expired leases"): 1,
                      ("nlu_labels", "NLU labels"): 1, ("webchat_photos", "web chat photos"): 0}

    first = await run_retention(services.store, services.settings)
    assert {(o.collection, o.rule): o.done for o in first} == counts

    db = services.store.db
    assert sorted(c["_id"] for c in await db.conversations.find().to_list(None)) == [
        "telegram:old-open", "telegram:recent", "telegram:subscribed"]
    assert [m["_id"] for m in await db.messages.find().to_list(None)] == ["telegram:recent1"]
    by_ref = {t["reference"]: t for t in await db.tickets.find().to_list(None)}
    assert by_ref[refs["closed_long_ago"]]["photos"] == []
    assert by_ref[refs["closed_then_noted"]]["photos"] == []
    assert by_ref[refs["closed_recently"]]["photos"] == [PHOTO]
    assert by_ref[refs["open_old"]]["photos"] == [PHOTO]
    assert by_ref[refs["open_old"]]["citizen"] == {"name": "Μαρία Παπαδάκη", "phone": "+306912345678"}
    assert by_ref[refs["assisted_closed"]]["citizen"] == {"name": "Μαρία Παπαδάκη"}  # the phone went at closing
    assert len(by_ref) == 5  # tickets stay countable
    assert [d["conversation_id"] for d in await db.downloads.find().to_list(None)] == ["telegram:recent"]
    assert sorted(d["_id"] for d in await db.outbox.find().to_list(None)) == [
        "out:dead-new", "out:pending-old", "out:sent-new"]
    assert [d["event"]["conversation_id"] for d in await db.events.find().to_list(None)] == ["telegram:recent"]
    assert [d["_id"] for d in await db.leases.find().to_list(None)] == ["conversation:telegram:recent"]
    audit = await db.audit.find({}, {"_id": 0}).sort("at").to_list(None)
    assert [a["target"] for a in audit[:-1]] == ["y"]
    assert audit[-1]["action"] == "privacy.retention" and audit[-1]["details"]["messages: messages"] == 3

    after_first = await snapshot(services)
    second = await run_retention(services.store, services.settings)
    assert all(o.due == 0 and o.done == 0 for o in second), second
    assert await snapshot(services) == after_first  # not even a new audit entry


async def test_periods_come_from_the_settings(services: Services) -> None:
    await back_dated(services)
    services.settings = Settings(retention_messages_days=365 + 2)  # only the two oldest of the three are due
    outcomes = {(o.collection, o.rule): o for o in await run_retention(services.store, services.settings)}
    assert outcomes[("messages", "messages")].done == 2
    assert outcomes[("messages", "messages")].days == 367


async def test_closing_time_is_the_start_of_the_final_closed_run() -> None:
    now = utcnow()
    history = [{"status": "new", "at": now - 50 * DAY}, {"status": "resolved", "at": now - 40 * DAY},
               {"status": "in_progress", "at": now - 30 * DAY},  # reopened
               {"status": "resolved", "at": now - 20 * DAY}, {"status": "rejected", "at": now - 10 * DAY}]
    assert closed_at({"status": "rejected", "history": history}) == history[3]["at"]
    assert closed_at({"status": "in_progress", "history": history[:3]}) is None


def test_format_outcomes_prints_a_row_per_rule() -> None:
    from bot.privacy.retention import RuleOutcome

    text = format_outcomes([RuleOutcome("messages", "messages", 365, 4, 4)], dry_run=False)
    assert text.splitlines()[1].split() == ["messages", "messages", "365", "4", "4"]
    assert "nothing was changed" in format_outcomes([RuleOutcome("messages", "messages", 365, 4, 0)], dry_run=True)


async def test_the_service_loop_runs_the_job_and_survives_a_failing_run(services: Services) -> None:
    import asyncio

    from bot.privacy.retention import retention_loop

    store = services.store
    old = {"conversation_id": "telegram:x", "created_at": utcnow() - 400 * DAY}
    await store.messages.insert_one({"_id": "telegram:x1", **old})
    services.settings = Settings(retention_interval_h=0.0001)  # a run every 0.36 s
    calls = {"n": 0}
    original = store.audit.insert_one

    async def audit_down_the_first_time(doc: dict[str, Any]) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("audit store down")
        return await original(doc)

    async def until(condition: Any) -> None:
        for _ in range(200):
            if await condition():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the loop did not get there")

    store.audit.insert_one = audit_down_the_first_time  # type: ignore[method-assign]
    task = asyncio.create_task(retention_loop(store, services.settings, first_delay_s=0))
    try:
        async def first_run_failed() -> bool:
            return calls["n"] >= 1

        await until(first_run_failed)
        await store.messages.insert_one({"_id": "telegram:x2", **old})

        async def second_message_gone() -> bool:
            return await store.messages.count_documents({}) == 0 and \
                await store.audit.count_documents({"action": "privacy.retention"}) >= 1

        await until(second_message_gone)  # a later run did the work and recorded it
        assert not task.done()
    finally:
        task.cancel()


def test_the_command_line_prints_a_row_per_rule_and_says_a_dry_run_changed_nothing() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "RETENTION_"))}
    done = subprocess.run([sys.executable, "bot.py", "retention", "--dry-run"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "dry run: nothing was changed"
    assert any(line.split()[:2] == ["messages", "messages"] and line.split()[2] == "365" for line in lines)
    bad = subprocess.run([sys.executable, "bot.py", "retention"], cwd=root, env=env | {"RETENTION_AUDIT_DAYS": "0"},
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "RETENTION_AUDIT_DAYS" in bad.stderr
