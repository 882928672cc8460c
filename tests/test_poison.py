"""Poison messages through the real service (issue 10): a stored message whose processing keeps failing is retried a
bounded number of times with backoff, becomes a dead letter with its error, the person gets one apology, staff see it
at /staff/failed and can retry it (CSRF-protected, audited); nothing is retried forever and nothing is lost.

The failure is injected where a real one would strike (the conversation store call of the pipeline), only for the
text "ΔΗΛΗΤΗΡΙΟ"; everything else runs as in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot import conversations
from bot.core.i18n import Texts
from bot.core.models import utcnow
from bot.staff.accounts import create_staff
from tests.fixtures.dashboard import PASSWORD, StaffClient, staff_login
from tests.fixtures.service import Service

pytestmark = pytest.mark.rasa
POISON = "ΔΗΛΗΤΗΡΙΟ"
APOLOGY_EL = Texts("el")("poison.apology")


class Fault:
    """Makes ``conversations.load_or_create`` raise for the poison text while ``on``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.on = True
        self.calls = 0
        original = conversations.load_or_create

        async def load_or_create(store: Any, inbound: Any, default_language: Any) -> Any:
            if self.on and POISON in inbound.text:
                self.calls += 1
                raise RuntimeError("conversation store exploded")
            return await original(store, inbound, default_language)

        monkeypatch.setattr(conversations, "load_or_create", load_or_create)


@pytest.fixture
def fault(monkeypatch: pytest.MonkeyPatch) -> Fault:
    return Fault(monkeypatch)


@pytest.fixture
async def svc(make_service: Callable[..., Any]) -> Service:
    service: Service = await make_service(max_attempts=3, retry_backoff_s=0.05, staff_map_tiles_url=None)
    await create_staff(service.store, "operator", "operator", [], PASSWORD)
    return service


async def sweep(svc: Service, rounds: int, wait_s: float = 0.25) -> None:
    """What the periodic recovery sweep does, a few times (the backoff here is 50 ms, doubling)."""
    for _ in range(rounds):
        await asyncio.sleep(wait_s)
        await svc.runtime.pipeline.recover()
        await svc.idle()


async def operator(svc: Service) -> StaffClient:
    """Logged in to the full service (PUBLIC_URL https: Secure cookies)."""
    return await staff_login(svc.url, "operator")


async def test_a_poison_message_is_retried_a_bounded_number_of_times_then_a_dead_letter_with_one_apology(
        svc: Service, fault: Fault) -> None:
    resp = await svc.telegram(svc.tg.message(6161, f"{POISON} στην πλατεία"))
    assert resp.status == 200  # stored: the platform must not retry
    await svc.idle()
    doc = await svc.store.messages.find_one({"conversation_id": "telegram:6161", "direction": "in"})
    assert doc["status"] == "received" and doc["attempts"] == 1
    assert doc["last_error"] == "RuntimeError: conversation store exploded"
    assert doc["next_attempt_at"] > utcnow() - timedelta(seconds=1)

    await sweep(svc, rounds=6)
    doc = await svc.store.messages.find_one({"_id": doc["_id"]})
    assert doc["status"] == "failed" and doc["attempts"] == 3 and fault.calls == 3
    assert doc["text"] == f"{POISON} στην πλατεία"  # kept whole for staff
    replies = svc.fake_telegram.sent(6161, "sendMessage")
    assert [r.body["text"] for r in replies] == [APOLOGY_EL]

    await sweep(svc, rounds=3)  # never retried again by itself, never a second apology
    assert fault.calls == 3 and len(svc.fake_telegram.sent(6161, "sendMessage")) == 1

    other = await svc.say(6262, "Δεν ανάβει η λάμπα στην Αποκορώνου")  # the service goes on for everyone else
    assert other and other[0].body["text"] != APOLOGY_EL


async def test_staff_see_the_dead_letter_and_retry_it_once_the_cause_is_fixed(svc: Service, fault: Fault) -> None:
    await svc.telegram(svc.tg.message(6363, f"{POISON} <script>alert(1)</script>", language_code="en"))  # Greek text
    await svc.idle()
    await sweep(svc, rounds=6)
    msg_id = (await svc.store.messages.find_one({"conversation_id": "telegram:6363", "direction": "in"}))["_id"]
    assert (await svc.store.messages.find_one({"_id": msg_id}))["status"] == "failed"
    assert [r.body["text"] for r in svc.fake_telegram.sent(6363, "sendMessage")] == [APOLOGY_EL]

    staff = await operator(svc)
    status, html, _ = await staff.get("/staff/failed")
    assert status == 200
    assert "RuntimeError: conversation store exploded" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'href="/staff/failed"' in html  # in the menu

    path = f"/staff/failed/{msg_id.replace(':', '%3A')}/retry"
    status, _, _ = await staff.post(path, csrf="forged")
    assert status == 403
    assert (await svc.store.messages.find_one({"_id": msg_id}))["status"] == "failed"

    fault.on = False  # the cause is fixed
    status, _, resp = await staff.post(path)
    assert status == 303 and resp.headers["Location"].endswith("done=retry_queued")
    entry = await svc.store.audit.find_one({"action": "message.retry"})
    assert entry["actor"] == "staff:operator" and entry["target"] == msg_id
    await sweep(svc, rounds=1, wait_s=0)
    doc = await svc.store.messages.find_one({"_id": msg_id})
    assert doc["status"] == "answered" and doc["retried_by"] == "staff:operator"
    texts = [r.body["text"] for r in svc.fake_telegram.sent(6363, "sendMessage")]
    assert len(texts) >= 2 and texts[0] == APOLOGY_EL and texts[1] != texts[0]

    status, _, resp = await staff.post(path)  # a second click: no longer a dead letter
    assert status == 303 and resp.headers["Location"].endswith("error=not_failed")
    status, html, _ = await staff.get("/staff/failed")
    assert status == 200 and msg_id not in html
    await staff.close()


async def test_a_stored_message_that_cannot_be_read_back_is_a_dead_letter_and_recovery_goes_on(svc: Service) -> None:
    old = utcnow() - timedelta(minutes=5)
    base = {"direction": "in", "status": "received", "channel": "telegram", "created_at": old}
    await svc.store.messages.insert_many([
        base | {"_id": "telegram:ubroken", "user_id": "7171", "chat_id": "7171", "conversation_id": "telegram:7171",
                "message_id": "ubroken", "text": "Σπασμένο", "location": "not a location"},  # and no received_at
        base | {"_id": "telegram:ufine", "user_id": "7272", "chat_id": "7272", "conversation_id": "telegram:7272",
                "message_id": "ufine", "text": "Καλημέρα", "received_at": old, "attachments": [],
                "created_at": old + timedelta(seconds=1)},
    ])
    assert await svc.runtime.pipeline.recover() == 1
    await svc.idle()
    broken = await svc.store.messages.find_one({"_id": "telegram:ubroken"})
    assert broken["status"] == "failed" and broken["last_error"].startswith("unreadable:")
    assert (await svc.store.messages.find_one({"_id": "telegram:ufine"}))["status"] == "answered"
    assert [r.body["text"] for r in svc.fake_telegram.sent(7171, "sendMessage")] == [APOLOGY_EL]
    assert await svc.runtime.pipeline.recover() == 0  # not picked up again


async def test_a_message_whose_processing_never_finishes_becomes_a_dead_letter(svc: Service) -> None:
    """Claimed and never finished, every time (e.g. it makes the instance hang or die): after the attempts, failed."""
    stale = utcnow() - timedelta(minutes=10)
    await svc.store.messages.insert_one({
        "_id": "telegram:uhang", "direction": "in", "status": "processing", "attempts": 3, "claimed_at": stale,
        "channel": "telegram", "user_id": "7373", "chat_id": "7373", "conversation_id": "telegram:7373",
        "message_id": "uhang", "text": "…", "received_at": stale, "created_at": stale, "attachments": []})
    assert await svc.runtime.pipeline.recover() == 0
    doc = await svc.store.messages.find_one({"_id": "telegram:uhang"})
    assert doc["status"] == "failed" and "never finished" in doc["last_error"]
    await svc.idle()  # the apology leaves through the outbox
    assert len(svc.fake_telegram.sent(7373, "sendMessage")) == 1
