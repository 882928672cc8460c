"""The durable outbox (bot/outbox/) in the real app over HTTP: retries that honour Telegram's retry_after, backoff,
dead letters and their retry, platform message ids, exactly one delivery per entry, rate limits, broadcasts."""

from __future__ import annotations

import asyncio
import bisect
import heapq
import time
from typing import Any

import pytest

from bot.core.i18n import Texts
from bot.core.models import Reply
from bot.outbox import Outbox
from bot.outbox.limits import BROADCAST_LIMITS, Limit, RateLimits, Schedule
from tests.fixtures.service import Service

EL = Texts("el")


async def _entries(service: Service, **query: Any) -> list[dict[str, Any]]:
    return [d async for d in service.store.outbox.find(query).sort("seq", 1)]


async def test_a_reply_is_written_to_the_outbox_and_sent_with_its_platform_id(service: Service) -> None:
    calls = await service.say(5101, "/start")
    [entry] = await _entries(service, conversation_id="telegram:5101")
    assert entry["status"] == "sent" and entry["attempts"] == 1 and entry["sender"] == "bot"
    assert entry["_id"].startswith("out:telegram:u")  # made from the inbound message: a re-run cannot add a second
    # the platform's message id (from the fake Bot API's answer) is stored on the entry and on the transcript
    [platform_id] = entry["platform_message_ids"]
    assert int(platform_id) >= 1000  # the fake Bot API numbers its messages from 1000
    transcript = await service.store.messages.find_one({"_id": entry["_id"]})
    assert transcript["direction"] == "out" and transcript["status"] == "sent"
    assert transcript["platform_message_id"] == entry["platform_message_ids"][0]
    assert calls[0].body["text"] == EL("system.welcome")


async def test_telegram_429_is_retried_after_the_retry_after_it_gave(service: Service) -> None:
    service.fake_telegram.fail_next(1, status=429, retry_after=1)
    t0 = time.monotonic()
    assert (await service.telegram(service.tg.message(5102, "/help"))).status == 200
    [call] = await service.fake_telegram.wait_for(5102, method="sendMessage")
    waited = time.monotonic() - t0
    assert call.body["text"] == EL("system.help")
    assert len(service.fake_telegram.refused) == 1
    assert waited >= 1.0  # not the 0.05 s backoff of the test settings: Telegram's retry_after
    await service.idle()
    [entry] = await _entries(service, conversation_id="telegram:5102")
    assert entry["status"] == "sent" and entry["attempts"] == 2 and "RetryAfter" in entry["last_error"]


async def test_a_server_error_is_retried_with_backoff_then_sent(service: Service) -> None:
    service.fake_telegram.fail_next(2)  # HTTP 500 twice
    calls = await service.say(5103, "/start")
    assert [c.body["text"] for c in calls] == [EL("system.welcome")]
    [entry] = await _entries(service, conversation_id="telegram:5103")
    assert entry["status"] == "sent" and entry["attempts"] == 3


async def test_after_max_attempts_an_entry_is_a_dead_letter_and_staff_can_retry_it(service: Service) -> None:
    service.fake_telegram.fail_next(5)  # outbox_max_attempts is 5
    assert (await service.telegram(service.tg.message(5104, "/start"))).status == 200
    await service.idle()
    assert service.fake_telegram.sent(5104, "sendMessage") == []
    [dead] = await service.runtime.outbox.dead_letters()
    assert dead["conversation_id"] == "telegram:5104" and dead["attempts"] == 5
    assert "Internal Server Error" in dead["last_error"]
    transcript = await service.store.messages.find_one({"_id": dead["_id"]})
    assert transcript["status"] == "failed"  # what the staff transcript shows

    assert await service.runtime.outbox.retry(dead["_id"]) is True
    await service.idle()
    [call] = service.fake_telegram.sent(5104, "sendMessage")
    assert call.body["text"] == EL("system.welcome")
    assert await service.runtime.outbox.dead_letters() == []
    assert (await service.store.messages.find_one({"_id": dead["_id"]}))["status"] == "sent"
    assert await service.runtime.outbox.retry(dead["_id"]) is False  # only a dead letter can be retried


async def test_a_blocked_bot_is_a_dead_letter_at_once(service: Service) -> None:
    service.fake_telegram.fail_next(1, status=403)
    assert (await service.telegram(service.tg.message(5105, "/start"))).status == 200
    await service.idle()
    [dead] = await service.runtime.outbox.dead_letters()
    assert dead["attempts"] == 1 and "Forbidden" in dead["last_error"]
    assert len(service.fake_telegram.refused) == 1


async def test_replies_of_one_chat_keep_their_order_while_one_is_retried(service: Service) -> None:
    await service.say(5106, "/start")
    service.fake_telegram.fail_next(1, status=429, retry_after=1)
    for text in ("/help", "/language en", "/help"):
        assert (await service.telegram(service.tg.message(5106, text))).status == 200
    await service.idle()
    texts = [c.body["text"] for c in service.fake_telegram.sent(5106, "sendMessage")]
    assert texts == [EL("system.welcome"), EL("system.help"), Texts("en")("system.language_set"),
                     Texts("en")("system.help")]


async def test_concurrent_senders_deliver_each_entry_once(service: Service) -> None:
    """Four more senders on the same store (as four instances would run) race for the same entries."""
    rt = service.runtime
    await service.say(5107, "/start")
    rt.outbox.kill()  # this instance's sender stops; the entries below wait for the racers
    conv = "telegram:5107"
    others = [Outbox(service.store, rt.adapters, rt.bus) for _ in range(4)]
    entries = rt.outbox.entries(conv, "telegram", "5107", [Reply(f"Ενημέρωση {n}") for n in range(12)],
                                sender="staff:maria")
    await rt.outbox.add(entries)
    await asyncio.gather(*(o.poll() for o in others))
    for o in others:
        await o.idle()
    texts = [c.body["text"] for c in service.fake_telegram.sent(5107, "sendMessage")][1:]
    assert texts == [f"Ενημέρωση {n}" for n in range(12)]  # each once, in order
    assert {e["attempts"] for e in await _entries(service, conversation_id=conv, sender="staff:maria")} == {1}


async def test_broadcast_enqueue_reaches_every_known_conversation_once(service: Service) -> None:
    for uid in (5201, 5202, 5203):
        await service.say(uid, "/start")
    outbox = service.runtime.outbox
    alert = Reply("Διακοπή νερού αύριο 08:00–14:00 στη Χαλέπα")
    result = await outbox.enqueue(["telegram:5201", "telegram:5202", "telegram:5203", "telegram:5202",
                                   "telegram:9999"], [alert], sender="alerts", kind="broadcast")
    assert result == {"queued": 3, "unknown": 1}
    await service.idle()
    for uid in (5201, 5202, 5203):
        assert [c.body["text"] for c in service.fake_telegram.sent(uid, "sendMessage")][1:] == [alert.text]
    assert await service.store.outbox.count_documents({"kind": "broadcast", "status": "sent"}) == 3


async def test_send_to_an_unknown_conversation_raises(service: Service) -> None:
    with pytest.raises(LookupError):
        await service.runtime.services.outbox.send_to("telegram:424242", [Reply("x")])
    assert await service.store.outbox.count_documents({}) == 0


async def test_rate_limits_pace_one_chat_and_let_others_go() -> None:
    limits = RateLimits({"telegram": Limit(per_s=100, burst=100)}, {"telegram": Limit(per_s=10, burst=2)})
    t0 = time.monotonic()
    for _ in range(4):  # a burst of 2, then 10 per second: the 3rd and 4th wait ~0.1 s each
        await limits.acquire("telegram", "1")
    one_chat = time.monotonic() - t0
    t1 = time.monotonic()
    for chat in range(4):
        await limits.acquire("telegram", f"other-{chat}")
    many_chats = time.monotonic() - t1
    assert 0.15 <= one_chat < 1.0
    assert many_chats < 0.05
    assert await limits.acquire("webchat", "x") == 0.0  # no limit for a channel without a platform


async def test_rate_limit_of_the_channel_caps_all_chats() -> None:
    limits = RateLimits({"telegram": Limit(per_s=20, burst=1)}, {})
    t0 = time.monotonic()
    for chat in range(5):  # 1 at once, then 20/s: 4 waits of 0.05 s
        await limits.acquire("telegram", str(chat))
    assert 0.15 <= time.monotonic() - t0 < 1.0


def test_the_viber_broadcast_limit_keeps_under_500_calls_in_any_10_seconds() -> None:
    """Viber's documented broadcast limit, checked on the schedule itself: 3,000 calls as fast as it lets them."""
    schedule = Schedule(BROADCAST_LIMITS["viber"])
    now, times = 1000.0, []
    for _ in range(3000):
        now += schedule.reserve(now)  # the caller sleeps this long, then calls
        times.append(now)
    most = max(bisect.bisect_left(times, t + 10.0) - i for i, t in enumerate(times))
    assert 450 <= most <= 500  # close to the limit, never above it


async def test_broadcast_calls_have_their_own_pace_beside_the_channels() -> None:
    limits = RateLimits({"viber": Limit(per_s=1, burst=1)}, {}, {"viber": Limit(per_s=20, burst=1)})
    t0 = time.monotonic()
    for _ in range(5):  # 1 at once, then 20/s: 4 waits of 0.05 s
        await limits.acquire_broadcast("viber")
    assert 0.15 <= time.monotonic() - t0 < 1.0
    assert await limits.acquire("viber", "chat") == 0.0  # the per-message limit was not used up
    assert await limits.acquire_broadcast("telegram") == 0.0  # no broadcast call there


class VirtualTime:
    """A clock that only moves when every lane is asleep: it jumps to the earliest wake-up and wakes that lane.
    The order and the spacing of the wake-ups are then the schedule's own, however busy the machine."""

    def __init__(self) -> None:
        self.now = 0.0
        self.woken: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.now + seconds, self._seq, future))
        await future

    async def run(self, *coros: Any) -> None:
        task = asyncio.gather(*coros)
        while not task.done():
            for _ in range(3):  # let every ready lane run to its next sleep
                await asyncio.sleep(0)
            if self._sleepers:
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = wake
                self.woken.append(wake)
                future.set_result(None)
        await task


async def test_many_lanes_waiting_on_one_channel_go_in_order_at_the_rate() -> None:
    """A broadcast: every chat's lane waits on the channel's limit; each is given its own slot, in order."""
    vt = VirtualTime()
    limits = RateLimits({"telegram": Limit(per_s=100, burst=1)}, {"telegram": Limit(per_s=1, burst=5)},
                        clock=vt.clock, sleep=vt.sleep)
    done: list[int] = []

    async def lane(n: int) -> None:
        await limits.acquire("telegram", f"chat-{n}")
        done.append(n)

    await vt.run(*(lane(n) for n in range(60)))
    assert done == list(range(60))  # first asked, first sent
    assert vt.woken == pytest.approx([n / 100 for n in range(1, 60)])  # one slot each at 100/s: the first at once
    assert vt.now == pytest.approx(0.59)


async def test_staff_see_dead_letters_and_send_one_again(make_service) -> None:  # type: ignore[no-untyped-def]
    from bot.staff.accounts import create_staff
    from tests.fixtures.dashboard import PASSWORD, StaffClient

    service = await make_service(public_url=None, staff_map_tiles_url=None)  # http: the session cookie is not Secure
    await create_staff(service.store, "operator", "operator", [], PASSWORD)
    await create_staff(service.store, "dept", "department", ["technical"], PASSWORD)
    service.fake_telegram.fail_next(1, status=403)
    assert (await service.telegram(service.tg.message(5301, "/start"))).status == 200
    await service.idle()
    [dead] = await service.runtime.outbox.dead_letters()
    clerk, other = StaffClient(service.url, "operator"), StaffClient(service.url, "dept")
    try:
        assert (await clerk.login())[0] == 303 and (await other.login())[0] == 303
        assert (await other.get("/staff/outbox"))[0] == 403  # a department clerk does not see chats
        status, html, _ = await clerk.get("/staff/outbox")
        assert status == 200 and 'data-entry-id="' + dead["_id"] + '"' in html and "Forbidden" in html
        assert "Μηνύματα που δεν παραδόθηκαν" in html
        assert (await clerk.post(f"/staff/outbox/{dead['_id']}/retry", csrf=False))[0] == 403  # CSRF
        status, _, resp = await clerk.post(f"/staff/outbox/{dead['_id']}/retry")
        assert status == 303 and resp.headers["Location"].endswith("/staff/outbox?done=retried")
        await service.idle()
        assert [c.body["text"] for c in service.fake_telegram.sent(5301, "sendMessage")] == [EL("system.welcome")]
        assert (await clerk.post(f"/staff/outbox/{dead['_id']}/retry"))[0] == 404  # sent now: nothing to retry
        actions = [a["action"] async for a in service.store.audit.find({"target": dead["_id"]})]
        assert actions == ["outbox.retry"]
    finally:
        await clerk.close()
        await other.close()
