"""Publishing an area notice over the real service: staff write it in the dashboard, the outbox delivers it through
the fake Bot API to exactly the subscribers it reaches, each in their language; 429s slow it without loss; a
restart in the middle sends the rest exactly once; people who blocked the bot are unsubscribed; the notice is then
public (page, Atom feed, JSON)."""

from __future__ import annotations

import asyncio
from typing import Any
from xml.etree import ElementTree

from bot.alerts import broadcast, notices
from bot.alerts.subscriptions import CONSENT_VERSION
from bot.core.models import utcnow
from bot.staff.accounts import create_staff
from tests.fixtures.dashboard import PASSWORD, StaffClient, staff_login
from tests.fixtures.people import ViberPerson
from tests.fixtures.service import Service
from tests.fixtures.viber import signed, text_message, unsubscribed
from tests.test_alerts_chat import EL, press

ATOM = "{http://www.w3.org/2005/Atom}"


async def no_nlu_service(make_service: Any) -> Service:
    """Commands and buttons need no NLU: the service points at a closed port."""
    # port 9: nothing listens; no PUBLIC_URL: plain-http staff cookies (not Secure) for the test client
    return await make_service(nlu_url="http://127.0.0.1:9", nlu_token="unused", public_url=None)


async def broadcaster(service: Service, username: str = "bc") -> StaffClient:
    await create_staff(service.store, username, "broadcaster", [], PASSWORD)
    return await staff_login(service.url, username)


async def publish(client: StaffClient, *, kind: str, areas: list[str], title_el: str, body_el: str,
                  title_en: str = "", body_en: str = "") -> str:
    await client.get("/staff/alerts/new")
    now = utcnow()
    data = [("kind", kind), ("title_el", title_el), ("body_el", body_el), ("title_en", title_en),
            ("body_en", body_en), ("valid_from", notices_local(now)), ("valid_until", notices_local(now, hours=5)),
            ("send_at", ""), ("csrf_token", client.csrf)] + [("areas", a) for a in areas]
    async with client.session.post(client.base + "/staff/alerts", data=data, allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()
        path = resp.headers["Location"].split("?")[0]
    status, _, resp = await client.post(f"{path}/send")
    assert status == 303 and "done=alert_sent" in resp.headers["Location"]
    return path


def notices_local(value: Any, hours: int = 0) -> str:
    from datetime import timedelta

    from bot.dashboard.views.alerts import _local

    return _local(value + timedelta(hours=hours))


async def seed(service: Service, user: int, *, areas: list[str], kinds: list[str], lang: str = "el") -> str:
    """A subscriber as the chat leaves one (the chat itself is tested in tests/test_alerts_chat.py)."""
    cid = f"telegram:{user}"
    await service.store.conversations.insert_one({"_id": cid, "channel": "telegram", "user_id": str(user),
                                                  "chat_id": str(user), "language": lang, "paused": False,
                                                  "last_activity": utcnow()})
    await service.store.db["alert_subscriptions"].insert_one({
        "_id": cid, "channel": "telegram", "chat_id": str(user), "areas": areas, "point": None, "radius_m": 1000,
        "kinds": kinds, "consent": {"given_at": utcnow(), "version": CONSENT_VERSION, "language": lang}})
    return cid


async def subscribe_by_chat(service: Service, user: int, area_button: str, lang: str) -> None:
    await service.say(user, "/alerts", count=2, language_code=lang)
    for data in (area_button, "alr:areas_done", "alr:kinds_done", "alr:confirm"):
        await press(service, user, data, lang=lang)


async def delivered(service: Service) -> None:
    await service.idle()
    # a generous deadline (not the 30 s default): retries that wait for Telegram's retry_after on a loaded machine
    await service.runtime.services.outbox.idle(timeout_s=180)


async def test_a_notice_to_one_district_reaches_only_those_inside_in_their_language(make_service: Any) -> None:
    service = await no_nlu_service(make_service)
    await subscribe_by_chat(service, 8101, "alr:area:chalepa", "el")  # Greek, Χαλέπα
    await subscribe_by_chat(service, 8102, "alr:area:chalepa", "en")  # English, Halepa
    await subscribe_by_chat(service, 8103, "alr:area:souda", "el")  # elsewhere
    await seed(service, 8104, areas=["chania"], kinds=["roads"])  # the whole city unit: Halepa is in it
    await seed(service, 8105, areas=["chalepa"], kinds=["water"])  # another kind
    before = {u: len(service.fake_telegram.sent(u, "sendMessage")) for u in range(8101, 8106)}

    client = await broadcaster(service)
    path = await publish(client, kind="roads", areas=["chalepa"], title_el="Κλείσιμο της οδού Ελ. Βενιζέλου",
                         body_el="Λόγω έργων ο δρόμος κλείνει στο ύψος της Χαλέπας.",
                         title_en="Venizelou street closed", body_en="Road works close the street at Halepa.")
    await delivered(service)
    got = {u: [c.body["text"] for c in service.fake_telegram.sent(u, "sendMessage")[before[u]:]]
           for u in range(8101, 8106)}
    assert [len(got[u]) for u in range(8101, 8106)] == [1, 1, 0, 1, 0]
    assert got[8101][0].startswith("📢 Κλείσιμο της οδού Ελ. Βενιζέλου\nΛόγω έργων")
    assert "Χαλέπα" in got[8101][0] and "/stop" in got[8101][0]
    assert got[8102][0].startswith("📢 Venizelou street closed\nRoad works") and "Halepa" in got[8102][0]
    assert got[8104][0].startswith("📢 Κλείσιμο")

    status, text, _ = await client.get(path + "/report.json")
    assert status == 200 and '"sent": 3' in text and '"failed": 0' in text and '"blocked": 0' in text
    doc = await notices.collection(service.store).find_one({})
    assert doc["status"] == "queued" and doc["recipients"] == 3

    async with service.http.get(f"{service.url}/alerts?lang=en") as resp:
        page = await resp.text()
    assert resp.status == 200 and "Venizelou street closed" in page and "Halepa" in page
    async with service.http.get(f"{service.url}/alerts", headers={"Accept-Language": "el-GR,el;q=0.9"}) as resp:
        assert "Κλείσιμο της οδού Ελ. Βενιζέλου" in await resp.text()
    async with service.http.get(f"{service.url}/alerts/feed.atom?lang=el") as resp:
        assert resp.content_type == "application/atom+xml"
        feed = ElementTree.fromstring(await resp.read())  # noqa: S314 - our own service's output
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Κλείσιμο της οδού Ελ. Βενιζέλου"]
    async with service.http.get(f"{service.url}/alerts.json?lang=en") as resp:
        body = await resp.json()
    assert [n["title"] for n in body["notices"]] == ["Venizelou street closed"]
    assert body["notices"][0]["areas"] == ["chalepa"] and body["notices"][0]["kind"] == "roads"
    await client.close()


async def test_greek_is_sent_where_the_english_was_left_empty(make_service: Any) -> None:
    service = await no_nlu_service(make_service)
    await seed(service, 8201, areas=["souda"], kinds=["water"], lang="en")
    client = await broadcaster(service, "bc2")
    await publish(client, kind="water", areas=["souda"], title_el="Διακοπή νερού στη Σούδα",
                  body_el="Από τις 10:00 έως τις 14:00.")
    await delivered(service)
    [msg] = service.fake_telegram.sent(8201, "sendMessage")
    assert msg.body["text"].startswith("📢 Διακοπή νερού στη Σούδα\n") and "(Notice from the Municipality" in \
        msg.body["text"]
    await client.close()


async def test_429_from_the_bot_api_slows_delivery_without_loss(make_service: Any) -> None:
    service = await no_nlu_service(make_service)
    users = list(range(8301, 8306))
    for u in users:
        await seed(service, u, areas=["akrotiri"], kinds=["power"])
    service.fake_telegram.fail_next(3, status=429, retry_after=1)
    client = await broadcaster(service, "bc3")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await publish(client, kind="power", areas=["akrotiri"], title_el="Διακοπή ρεύματος στο Ακρωτήρι",
                  body_el="Ο ΔΕΔΔΗΕ ανακοίνωσε διακοπή από τις 08:00 έως τις 12:00.")
    await delivered(service)
    assert loop.time() - started >= 1.0  # Telegram's retry_after was honoured
    assert len(service.fake_telegram.refused) == 3
    assert [len(service.fake_telegram.sent(u, "sendMessage")) for u in users] == [1] * 5  # none lost, none twice
    doc = await notices.collection(service.store).find_one({})
    assert await broadcast.report(service.runtime.services, doc["_id"]) == {"queued": 0, "sent": 5, "failed": 0,
                                                                             "blocked": 0}
    await client.close()


async def test_a_restart_in_the_middle_of_a_broadcast_sends_the_rest_exactly_once(make_service: Any) -> None:
    service = await no_nlu_service(make_service)
    users = list(range(8401, 8413))
    for u in users:
        await seed(service, u, areas=["theriso"], kinds=["waste"])
    service.fake_telegram.delay_s = 0.15
    client = await broadcaster(service, "bc4")
    await publish(client, kind="waste", areas=["theriso"], title_el="Αλλαγή στην αποκομιδή",
                  body_el="Την Πέμπτη δεν θα γίνει αποκομιδή.")
    await client.close()
    await service.fake_telegram.wait_for(users[1], method="sendMessage")  # two of twelve sent, in order
    await service.restart()  # a deploy in the middle
    service.fake_telegram.delay_s = 0.0
    doc = await notices.collection(service.store).find_one({})
    await broadcast.queue(service.runtime.services, doc)  # queuing again (a crashed queuer's retry) adds nothing
    await delivered(service)
    assert [len(service.fake_telegram.sent(u, "sendMessage")) for u in users] == [1] * len(users)
    assert await service.store.db["outbox"].count_documents({"notice_id": doc["_id"]}) == len(users)


async def test_people_who_blocked_the_bot_are_counted_and_unsubscribed(make_service: Any) -> None:
    service = await no_nlu_service(make_service)
    await seed(service, 8501, areas=["keramia"], kinds=["power"])
    service.fake_telegram.fail_next(1, status=403)
    client = await broadcaster(service, "bc5")
    path = await publish(client, kind="power", areas=["keramia"], title_el="Διακοπή ρεύματος",
                         body_el="Ο ΔΕΔΔΗΕ ανακοίνωσε διακοπή.")
    await delivered(service)
    doc = await notices.collection(service.store).find_one({})
    assert (await broadcast.report(service.runtime.services, doc["_id"]))["blocked"] == 1
    assert await broadcast.unsubscribe_blocked(service.runtime.services) == 1
    assert await service.store.db["alert_subscriptions"].find_one({"_id": "telegram:8501"}) is None
    _, text, _ = await client.get(path)
    assert 'id="report-blocked">1<' in text
    await client.close()


# ---------------------------------------------------------------------- Viber: broadcast_message in batches
async def seed_viber(service: Service, count: int, *, areas: list[str], kinds: list[str], english_every: int = 0,
                     start: int = 0) -> dict[str, str]:
    """``count`` Viber subscribers (every ``english_every``-th in English, the others Greek); their languages."""
    now = utcnow()
    langs = {f"VbR{n:05d}==": "en" if english_every and n % english_every == 0 else "el"
             for n in range(start, start + count)}
    await service.store.conversations.insert_many([
        {"_id": f"viber:{uid}", "channel": "viber", "user_id": uid, "chat_id": uid, "language": lang,
         "paused": False, "last_activity": now} for uid, lang in langs.items()])
    await service.store.db["alert_subscriptions"].insert_many([
        {"_id": f"viber:{uid}", "channel": "viber", "chat_id": uid, "areas": areas, "point": None, "radius_m": 1000,
         "kinds": kinds, "consent": {"given_at": now, "version": CONSENT_VERSION, "language": lang}}
        for uid, lang in langs.items()])
    return langs


def broadcast_receivers(fake_viber: Any) -> list[list[str]]:
    return [c.body["broadcast_list"] for c in fake_viber.calls_to("broadcast_message")]


async def test_700_viber_subscribers_in_two_languages_get_a_few_broadcasts_of_at_most_300_in_their_language(
        make_service: Any, fake_viber: Any) -> None:
    service = await no_nlu_service(make_service)
    langs = await seed_viber(service, 700, areas=["nea_kydonia"], kinds=["water"], english_every=3)  # 233 en
    await seed(service, 8601, areas=["nea_kydonia"], kinds=["water"])  # Telegram: one message each, as before
    client = await broadcaster(service, "bc6")
    path = await publish(client, kind="water", areas=["nea_kydonia"], title_el="Διακοπή νερού στη Νέα Κυδωνία",
                         body_el="Εργασίες στο δίκτυο ύδρευσης.", title_en="Water cut in Nea Kydonia",
                         body_en="Works on the water network.")
    await delivered(service)

    calls = fake_viber.calls_to("broadcast_message")
    assert 3 <= len(calls) <= 4 and all(1 < len(c.body["broadcast_list"]) <= 300 for c in calls)
    assert fake_viber.calls_to("send_message") == []  # nobody alone
    receivers = [r for c in calls for r in c.body["broadcast_list"]]
    assert sorted(receivers) == sorted(langs)  # each subscriber in exactly one call
    for call in calls:
        call_langs = {langs[r] for r in call.body["broadcast_list"]}
        assert len(call_langs) == 1, "one call, one language"
        expected = "📢 Water cut in Nea Kydonia\n" if call_langs == {"en"} else "📢 Διακοπή νερού στη Νέα Κυδωνία\n"
        assert call.body["type"] == "text" and call.body["text"].startswith(expected)
        assert call.body["sender"]["name"] and call.headers["X-Viber-Auth-Token"]
    assert len(service.fake_telegram.sent(8601, "sendMessage")) == 1
    doc = await notices.collection(service.store).find_one({})
    assert await broadcast.report(service.runtime.services, doc["_id"]) == {"queued": 0, "sent": 701, "failed": 0,
                                                                             "blocked": 0}
    sent = await service.store.messages.find_one({"_id": broadcast_entry_id(doc["_id"], "VbR00001==")})
    assert sent["status"] == "sent" and sent["platform_message_id"]  # the transcript follows, with the token
    _, text, _ = await client.get(path)
    assert 'id="report-sent">701<' in text
    await client.close()


def broadcast_entry_id(notice_id: Any, uid: str) -> str:
    return f"out:{broadcast.source_key(notice_id, f'viber:{uid}')}:0"


async def test_viber_receivers_who_left_are_blocked_and_unsubscribed_others_are_retried_alone(
        make_service: Any, fake_viber: Any) -> None:
    service = await no_nlu_service(make_service)
    langs = await seed_viber(service, 12, areas=["souda"], kinds=["roads"])
    gone, not_viber, limited = "VbR00002==", "VbR00005==", "VbR00007=="
    fake_viber.fail_receiver(gone, status=6, message="Not subscribed")
    fake_viber.fail_receiver(not_viber, status=5, message="Not found")
    fake_viber.fail_receiver(limited, status=12, message="Too many requests", times=1)  # its hourly limit
    client = await broadcaster(service, "bc7")
    path = await publish(client, kind="roads", areas=["souda"], title_el="Κλειστή η οδός Σούδας",
                         body_el="Έργα αποχέτευσης έως τις 18:00.")
    await delivered(service)

    [call] = fake_viber.calls_to("broadcast_message")
    assert sorted(call.body["broadcast_list"]) == sorted(langs)
    [alone] = fake_viber.calls_to("send_message")  # the one with a passing failure, on its own
    assert alone.body["receiver"] == limited and alone.body["text"].startswith("📢 Κλειστή η οδός Σούδας")
    assert {uid: len(fake_viber.received(uid)) for uid in langs} == {
        uid: 0 if uid in (gone, not_viber) else 1 for uid in langs}
    doc = await notices.collection(service.store).find_one({})
    assert await broadcast.report(service.runtime.services, doc["_id"]) == {"queued": 0, "sent": 10, "failed": 0,
                                                                             "blocked": 2}
    assert await broadcast.unsubscribe_blocked(service.runtime.services) == 2
    left = {d["_id"] async for d in service.store.db["alert_subscriptions"].find({}, {"_id": 1})}
    assert left == {f"viber:{uid}" for uid in langs} - {f"viber:{gone}", f"viber:{not_viber}"}
    _, text, _ = await client.get(path)
    assert 'id="report-blocked">2<' in text and 'id="report-sent">10<' in text
    await client.close()


async def test_viber_rate_limit_answers_slow_the_broadcast_without_loss(make_service: Any, fake_viber: Any) -> None:
    service = await no_nlu_service(make_service)
    langs = await seed_viber(service, 450, areas=["akrotiri"], kinds=["roads"])
    fake_viber.fail_next(http_status=429, message="Too Many Requests", retry_after=1)  # the first call
    fake_viber.fail_next(status=12, message="tooManyRequests")  # and the next: Viber's own status
    client = await broadcaster(service, "bc8")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await publish(client, kind="roads", areas=["akrotiri"], title_el="Κλειστός ο δρόμος προς Σταυρό",
                  body_el="Εργασίες ασφαλτόστρωσης έως τις 18:00.")
    await delivered(service)
    assert loop.time() - started >= 1.0  # Retry-After was honoured
    assert len(fake_viber.calls_to("broadcast_message")) == 4  # 2 refused, then 300 + 150
    assert {uid: len(fake_viber.received(uid)) for uid in langs} == dict.fromkeys(langs, 1)  # none lost, none twice
    doc = await notices.collection(service.store).find_one({})
    assert await broadcast.report(service.runtime.services, doc["_id"]) == {"queued": 0, "sent": 450, "failed": 0,
                                                                             "blocked": 0}
    await client.close()


async def test_a_restart_in_the_middle_of_a_viber_broadcast_sends_the_rest_exactly_once(
        make_service: Any, fake_viber: Any) -> None:
    service = await no_nlu_service(make_service)
    langs = await seed_viber(service, 700, areas=["theriso"], kinds=["waste"], english_every=2)  # 350 + 350
    fake_viber.delay_s = 0.4
    client = await broadcaster(service, "bc9")
    await publish(client, kind="waste", areas=["theriso"], title_el="Αλλαγή στην αποκομιδή",
                  body_el="Την Πέμπτη δεν θα γίνει αποκομιδή.", title_en="Waste collection change",
                  body_en="No collection on Thursday.")
    await client.close()
    await fake_viber.wait_for("broadcast_message")
    doc = await notices.collection(service.store).find_one({})
    live = await service.store.db["outbox"].count_documents({"notice_id": doc["_id"], "status": {"$ne": "sent"}})
    assert live > 0  # the broadcast is under way
    await service.restart()  # a deploy in the middle: calls under way finish, the rest waits in the store
    fake_viber.delay_s = 0.0
    await broadcast.queue(service.runtime.services, doc)  # queuing again (a crashed queuer's retry) adds nothing
    await delivered(service)
    assert {uid: len(fake_viber.received(uid)) for uid in langs} == dict.fromkeys(langs, 1)
    assert sorted(r for call in broadcast_receivers(fake_viber) for r in call) == sorted(langs)
    assert await service.store.db["outbox"].count_documents({"notice_id": doc["_id"]}) == len(langs)
    assert await broadcast.report(service.runtime.services, doc["_id"]) == {"queued": 0, "sent": 700, "failed": 0,
                                                                             "blocked": 0}


async def test_an_account_not_allowed_to_broadcast_gets_its_viber_messages_sent_one_by_one(
        make_service: Any, fake_viber: Any) -> None:
    service = await no_nlu_service(make_service)
    langs = await seed_viber(service, 6, areas=["keramia"], kinds=["power"], english_every=2)
    fake_viber.fail_next(status=20, message="broadcastNotAllowed")
    client = await broadcaster(service, "bc10")
    await publish(client, kind="power", areas=["keramia"], title_el="Διακοπή ρεύματος στις Κεραμειές",
                  body_el="Ο ΔΕΔΔΗΕ ανακοίνωσε διακοπή.", title_en="Power cut in Keramia",
                  body_en="HEDNO announced a power cut.")
    await delivered(service)
    assert len(fake_viber.calls_to("broadcast_message")) == 2  # one refused, the other language's went
    refused = fake_viber.calls_to("broadcast_message")[0].body["broadcast_list"]
    alone = {c.body["receiver"]: c.body["text"] for c in fake_viber.calls_to("send_message")}
    assert sorted(alone) == sorted(refused)
    for uid, text in alone.items():
        assert text.startswith("📢 Power cut in Keramia" if langs[uid] == "en" else "📢 Διακοπή ρεύματος")
    assert {uid: len(fake_viber.received(uid)) for uid in langs} == dict.fromkeys(langs, 1)
    doc = await notices.collection(service.store).find_one({})
    assert await broadcast.report(service.runtime.services, doc["_id"]) == {"queued": 0, "sent": 6, "failed": 0,
                                                                             "blocked": 0}
    await client.close()


async def test_greek_residents_on_viber_subscribe_in_the_chat_get_the_broadcast_and_one_who_left_is_unsubscribed(
        make_service: Any, fake_viber: Any) -> None:
    """As residents use it: they write "ειδοποιησεις" (unaccented) in Viber and press the buttons; the notice reaches
    them in one broadcast call, in Greek; one then leaves the Viber chat and the next notice counts them blocked."""
    service = await no_nlu_service(make_service)
    people = [ViberPerson(service, fake_viber, f"ViberChalepa{n}==", "el") for n in range(3)]
    for person in people:
        shown = await person.say("ειδοποιησεις")
        assert shown and shown[0].body["text"] == EL("alerts.intro")
        for payload in ("alr:area:chalepa", "alr:areas_done", "alr:kinds_done", "alr:confirm"):
            await person.send(text_message(f"btn:{payload}"))
        assert person.text.startswith("Έγινε!")
    client = await broadcaster(service, "bc11")
    await publish(client, kind="water", areas=["chalepa"], title_el="Διακοπή νερού στη Χαλέπα",
                  body_el="Από τις 09:00 έως τις 13:00 λόγω βλάβης.")
    await delivered(service)
    [call] = fake_viber.calls_to("broadcast_message")
    assert sorted(call.body["broadcast_list"]) == sorted(p.uid for p in people)
    assert call.body["text"].startswith("📢 Διακοπή νερού στη Χαλέπα\nΑπό τις 09:00") and "Χαλέπα" in call.body["text"]

    body, headers = signed(unsubscribed(user_id=people[0].uid))  # she leaves the bot's chat in Viber
    async with service.http.post(service.viber_url, data=body, headers=headers) as resp:
        assert resp.status == 200
    await publish(client, kind="water", areas=["chalepa"], title_el="Αποκατάσταση υδροδότησης",
                  body_el="Το νερό επανήλθε.")
    await delivered(service)
    second = fake_viber.calls_to("broadcast_message")[1]
    assert sorted(second.body["broadcast_list"]) == sorted(p.uid for p in people[1:])  # not sent to her
    latest = await notices.collection(service.store).find_one({}, sort=[("created_at", -1)])
    assert await broadcast.report(service.runtime.services, latest["_id"]) == {"queued": 0, "sent": 2, "failed": 0,
                                                                                "blocked": 1}
    assert await broadcast.unsubscribe_blocked(service.runtime.services) == 1
    assert await service.store.db["alert_subscriptions"].find_one({"_id": f"viber:{people[0].uid}"}) is None
    await client.close()


async def test_two_instances_on_one_store_send_a_viber_broadcast_once_to_each_person(make_service: Any,
                                                                                fake_viber: Any) -> None:
    a = await no_nlu_service(make_service)
    b = await make_service(store=a.store, nlu_url="http://127.0.0.1:9", nlu_token="unused", public_url=None)
    langs = await seed_viber(a, 1200, areas=["akrotiri"], kinds=["water"])
    fake_viber.delay_s = 0.2  # calls overlap: both instances claim from the same batch
    client = await broadcaster(a, "bc12")
    await publish(client, kind="water", areas=["akrotiri"], title_el="Διακοπή νερού στο Ακρωτήρι",
                  body_el="Βλάβη στο δίκτυο ύδρευσης.")
    await client.close()
    await delivered(a)
    await b.runtime.services.outbox.idle()
    calls = broadcast_receivers(fake_viber)
    assert all(len(receivers) <= 300 for receivers in calls)
    assert sorted(r for receivers in calls for r in receivers) == sorted(langs)  # each once, whoever sent it
    assert {uid: len(fake_viber.received(uid)) for uid in langs} == dict.fromkeys(langs, 1)
