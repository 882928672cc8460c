"""The staff dashboard's handlers over real HTTP (an aiohttp server on a loopback port with setup_dashboard, the
in-process store and a recording outbox): sessions, CSRF, lock-out, roles, monitor and live events, take-over and
replies, tickets (filters, CSV, actions), assisted intake, stats, language, audit, escaping and headers."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot import tickets
from bot.core.i18n import Texts
from bot.core.models import GeoPoint, utcnow
from bot.staff import accounts as staff_accounts
from tests.fakes.telegram import FakeBotApi, file_ids_asked
from tests.fixtures.dashboard import PASSWORD, Dashboard, new_ticket

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HARBOUR = GeoPoint(35.5197, 24.0180)


async def seed_conversation(store: Any, cid: str = "telegram:4242", *, text: str = "Δεν ανάβει η λάμπα",
                            intent: str | None = "complaint_lighting", confidence: float | None = 0.93,
                            paused: bool = False, language: str = "el",
                            at: datetime | None = None) -> dict[str, Any]:
    channel, user = cid.split(":", 1)
    doc = {"_id": cid, "channel": channel, "user_id": user, "chat_id": user, "language": language, "flow": None,
           "paused": paused, "last_activity": at or utcnow(), "last_text": text, "last_intent": intent,
           "last_confidence": confidence}
    await store.conversations.insert_one(doc)
    await store.messages.insert_one({
        "conversation_id": cid, "channel": channel, "direction": "in", "platform_message_id": f"{cid}:1",
        "text": text, "attachments": [], "location": None, "button": None, "status": "answered",
        "created_at": at or utcnow(),
        "nlu": {"intent": {"name": intent, "confidence": confidence},
                "intent_ranking": [{"name": intent, "confidence": confidence}, {"name": "complaint_other",
                                                                                  "confidence": 0.03}],
                "entities": [{"entity": "location", "value": "Αποκορώνου", "start": 0, "end": 10}]},
    })
    return doc


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- sessions, CSRF, lock-out

async def test_login_sets_a_protected_session_cookie_and_logout_ends_it(dashboard: Dashboard) -> None:
    await dashboard.add_staff("maria", "operator")
    c = dashboard.client("maria")
    status, html, resp = await c.get("/staff/tickets")
    assert status == 200 and resp.url.path == "/staff/login"  # redirected to the login page
    assert resp.history[0].headers["Location"] == "/staff/login?next=/staff/tickets"
    status, _, resp = await c.login()
    assert status == 303
    cookie = resp.cookies["chania_staff"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/staff"
    assert not cookie["secure"]  # PUBLIC_URL is not https here
    token = cookie.value
    assert await dashboard.store.db["staff_sessions"].find_one({"_id": token}) is None  # only its hash is stored
    status, html, _ = await c.get("/staff/tickets")
    assert status == 200 and "maria" in html
    status, _, resp = await c.post("/staff/logout")
    assert status == 303 and resp.headers["Location"] == "/staff/login"
    # the old cookie no longer opens anything, even when replayed
    replay = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        async with replay.get(dashboard.url + "/staff/tickets", cookies={"chania_staff": token},
                              allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"].startswith("/staff/login")
    finally:
        await replay.close()
    actions = [a["action"] async for a in dashboard.store.audit.find({"target": "maria"})]
    assert actions == ["login.ok", "logout"]


async def test_secure_cookies_when_public_url_is_https(dashboard: Dashboard) -> None:
    dashboard.services.settings = dashboard.services.settings.model_copy(update={"public_url": "https://x.gr"})
    d2 = Dashboard(dashboard.services, dashboard.bus, dashboard.outbox)
    await d2.start()
    try:
        await d2.add_staff("sec", "operator")
        c = d2.client("sec")
        status, _html, resp = await c.get("/staff/login")
        pre = resp.cookies["chania_staff_pre"]
        assert pre["secure"] and pre["httponly"]
        # a browser sends Secure cookies only over https (the TLS proxy in front); here we hand it over ourselves
        status, _, resp = await c.post("/staff/login", {"username": "sec", "password": PASSWORD},
                                       cookies={"chania_staff_pre": pre.value})
        assert status == 303 and resp.cookies["chania_staff"]["secure"]
    finally:
        await d2.close()


async def test_wrong_password_is_refused_and_audited(dashboard: Dashboard) -> None:
    await dashboard.add_staff("nikos", "operator")
    c = dashboard.client("nikos")
    status, html, resp = await c.login("not the password")
    assert status == 401 and "chania_staff" not in resp.cookies
    assert "Λάθος όνομα χρήστη ή κωδικός" in html
    entry = await dashboard.store.audit.find_one({"action": "login.failed"})
    assert entry["target"] == "nikos" and entry["actor"] == "anonymous" and entry["ip"] == "127.0.0.1"


async def test_lock_out_after_repeated_failures_until_an_admin_unlocks(dashboard: Dashboard) -> None:
    await dashboard.add_staff("eleni", "operator")
    c = dashboard.client("eleni")
    statuses = [(await c.login(f"guess number {i}"))[0] for i in range(staff_accounts.MAX_FAILED_LOGINS)]
    assert statuses == [401] * (staff_accounts.MAX_FAILED_LOGINS - 1) + [429]
    status, html, resp = await c.login()  # the right password, but locked
    assert status == 429 and "κλειδώθηκε" in html and "chania_staff" not in resp.cookies
    admin = await dashboard.login("boss", "admin")
    status, html, _ = await admin.get("/staff/admin/staff")
    assert "Κλειδωμένος" in html
    status, _, _ = await admin.post("/staff/admin/staff/eleni/unlock")
    assert status == 303
    assert (await c.login())[0] == 303
    assert await dashboard.store.audit.find_one({"action": "login.locked", "target": "eleni"})
    assert await dashboard.store.audit.find_one({"action": "staff.unlock", "actor": "staff:boss"})


async def test_csrf_token_is_required_on_every_post(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store)
    op = await dashboard.login("op", "operator")
    other = await dashboard.login("other", "operator")
    for bad in (None, "", "forged-token-0123456789", other.csrf):
        status, html, _ = await op.post("/staff/conversations/telegram%3A4242/take-over", csrf=bad)
        assert status == 403, bad
        assert "Η φόρμα έληξε" in html
    assert (await dashboard.store.conversations.find_one({"_id": "telegram:4242"}))["paused"] is False
    # the header works as well as the form field (for scripts)
    status, _, _ = await op.post("/staff/conversations/telegram%3A4242/take-over", csrf=None,
                                 headers={"X-CSRF-Token": op.csrf})
    assert status == 303
    assert (await dashboard.store.conversations.find_one({"_id": "telegram:4242"}))["paused"] is True


async def test_login_form_has_its_own_csrf_token(dashboard: Dashboard) -> None:
    await dashboard.add_staff("maria", "operator")
    c = dashboard.client("maria")
    status, _, _ = await c.post("/staff/login", {"username": "maria", "password": PASSWORD}, csrf="x" * 43)
    assert status == 403  # no pre-login cookie matches: a cross-site login attempt
    await c.get("/staff/login")
    status, _, _ = await c.post("/staff/login", {"username": "maria", "password": PASSWORD})
    assert status == 303


async def test_next_parameter_cannot_redirect_elsewhere(dashboard: Dashboard) -> None:
    await dashboard.add_staff("maria", "operator")
    c = dashboard.client("maria")
    await c.get("/staff/login")
    status, _, resp = await c.post("/staff/login", {"username": "maria", "password": PASSWORD,
                                                    "next": "//evil.example/staff/"})
    assert status == 303 and resp.headers["Location"] == "/staff/"


# ---------------------------------------------------------------- roles

async def test_roles_are_enforced(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store)
    water = await new_ticket(dashboard, category="complaint_water", description="Διαρροή νερού")
    light = await new_ticket(dashboard, description="Σβηστή λάμπα")
    dept = await dashboard.login("fotismos", "department", ("lighting",))
    for path in ("/staff/monitor", "/staff/conversations/telegram%3A4242", "/staff/intake", "/staff/admin/staff",
                 "/staff/admin/audit", f"/staff/tickets/{water['reference']}"):
        status, html, _ = await dept.get(path)
        assert status == 403, path
    status, _, _ = await dept.post(f"/staff/tickets/{water['reference']}/status", {"status": "resolved"})
    assert status == 403
    assert (await tickets.get_ticket(dashboard.services, water["reference"]))["status"] == "new"
    status, _, _ = await dept.post("/staff/conversations/telegram%3A4242/take-over")
    assert status == 403
    status, html, _ = await dept.get("/staff/tickets")
    assert light["reference"] in html and water["reference"] not in html
    status, html, _ = await dept.get("/staff/tickets?department=water")  # asking for another department: nothing
    assert water["reference"] not in html
    status, body, _ = await dept.get("/staff/tickets.csv")
    assert light["reference"] in body and water["reference"] not in body
    assert (await dept.get(f"/staff/tickets/{light['reference']}"))[0] == 200
    assert (await dept.get("/staff/stats"))[0] == 200
    # the department's staff cannot see the nav entries they may not use
    assert 'href="/staff/monitor"' not in html and 'href="/staff/intake"' not in html

    op = await dashboard.login("op", "operator")
    assert (await op.get("/staff/monitor"))[0] == 200
    assert (await op.get(f"/staff/tickets/{water['reference']}"))[0] == 200
    assert (await op.get("/staff/admin/staff"))[0] == 403
    assert (await op.post("/staff/admin/staff", {"username": "x", "role": "admin", "password": PASSWORD}))[0] == 403
    assert await staff_accounts.get_staff(dashboard.store, "x") is None


async def test_disabling_an_account_ends_its_sessions(dashboard: Dashboard) -> None:
    admin = await dashboard.login("boss", "admin")
    op = await dashboard.login("op", "operator")
    assert (await op.get("/staff/monitor"))[0] == 200
    # "active" unchecked
    status, _, _ = await admin.post("/staff/admin/staff/op", {"role": "operator", "display_name": "Όλγα"})
    assert status == 303
    status, _, resp = await op.get("/staff/monitor", allow_redirects=False)
    assert status == 303 and resp.headers["Location"].startswith("/staff/login")
    status, _, _ = await admin.post("/staff/admin/staff/boss", {"role": "operator", "active": "1",
                                                                 "display_name": "Βασίλης"})
    assert status == 303 and (await staff_accounts.get_staff(dashboard.store, "boss")).role == "admin"


async def test_admin_creates_accounts_with_validation(dashboard: Dashboard) -> None:
    admin = await dashboard.login("boss", "admin")
    status, _, _ = await admin.post("/staff/admin/staff", {"username": "kapi.nea.chora", "role": "operator",
                                                           "password": "kapi-password-2026", "display_name": "Ελένη"})
    assert status == 303
    status, html, _ = await admin.post("/staff/admin/staff", {"username": "deh", "role": "department",
                                                              "password": "long enough password",
                                                              "display_name": "Γιώργος"})
    assert status == 400 and "τουλάχιστον μία υπηρεσία" in html
    status, html, _ = await admin.post("/staff/admin/staff", {"username": "kapi.nea.chora", "role": "operator",
                                                              "password": "kapi-password-2026",
                                                              "display_name": "Ελένη"})
    assert status == 400 and "υπάρχει ήδη" in html
    c = dashboard.client("kapi.nea.chora")
    assert (await c.login("kapi-password-2026"))[0] == 303
    entry = await dashboard.store.audit.find_one({"action": "staff.create"})
    assert entry["target"] == "kapi.nea.chora" and "password" not in str(entry)


# ---------------------------------------------------------------- monitor and conversations

async def test_monitor_lists_and_filters_conversations(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store, "telegram:1", text="Σκουπίδια στη Χαλέπα", intent="complaint_waste",
                            confidence=0.91)
    unsure = dashboard.services.settings.nlu_confidence_threshold - 0.05
    await seed_conversation(dashboard.store, "viber:2", text="where is the beach", intent="tourist_beaches",
                            confidence=unsure, language="en")
    await seed_conversation(dashboard.store, "webchat:3", text="θέλω άνθρωπο", intent="help", confidence=0.8,
                            paused=True)
    op = await dashboard.login("op", "operator")

    async def ids(query: str) -> set[str]:
        status, html, _ = await op.get("/staff/monitor" + query)
        assert status == 200
        return set(re.findall(r'<tr data-id="([^"]+)"', html))

    assert await ids("") == {"telegram:1", "viber:2", "webchat:3"}
    assert await ids("?channel=viber") == {"viber:2"}
    assert await ids("?language=en") == {"viber:2"}
    assert await ids("?intent=complaint_waste") == {"telegram:1"}
    assert await ids("?low=1") == {"viber:2"}  # below NLU_CONFIDENCE_THRESHOLD
    assert await ids("?paused=1") == {"webchat:3"}
    assert await ids("?channel=telegram&language=en") == set()
    assert await ids("?channel=<script>") == {"telegram:1", "viber:2", "webchat:3"}  # unknown values are ignored


async def test_live_events_stream_to_the_monitor(dashboard: Dashboard) -> None:
    op = await dashboard.login("op", "operator")
    async with op.session.get(dashboard.url + "/staff/events") as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
        assert resp.headers["Cache-Control"] == "no-store"
        for _ in range(50):
            if dashboard.bus.subscriber_count:
                break
            await asyncio.sleep(0.02)
        event = {"type": "message", "conversation_id": "telegram:7", "channel": "telegram", "direction": "in",
                 "text": "Λακκούβα " + XSS, "intent": "complaint_roads", "confidence": 0.88, "language": "el",
                 "created_at": utcnow().isoformat(), "paused": False, "secret_field": "not forwarded"}
        dashboard.bus.publish(event)
        lines: list[str] = []
        while not any(line.startswith("data:") for line in lines):
            lines.append((await asyncio.wait_for(resp.content.readline(), 5)).decode().rstrip("\n"))
    assert "event: message" in lines
    data = json.loads(next(line for line in lines if line.startswith("data:"))[5:])
    assert data["text"] == event["text"] and data["intent"] == "complaint_roads" and "secret_field" not in data
    for _ in range(100):
        if dashboard.bus.subscriber_count == 0:
            break
        await asyncio.sleep(0.05)
    assert dashboard.bus.subscriber_count == 0  # the stream unsubscribed when the browser went away


async def test_events_need_the_monitor_role(dashboard: Dashboard) -> None:
    dept = await dashboard.login("dept", "department", ("water",))
    status, _, _ = await dept.get("/staff/events")
    assert status == 403
    anonymous = dashboard.client("nobody")
    status, _, _ = await anonymous.get("/staff/events", headers={"Accept": "text/event-stream"})
    assert status == 401


async def test_conversation_page_shows_transcript_with_nlu_escaped(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store, "telegram:9", text=XSS, intent="complaint_noise", confidence=0.41)
    op = await dashboard.login("op", "operator")
    status, html, _resp = await op.get("/staff/conversations/telegram%3A9")
    assert status == 200
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "complaint_noise" in html and "41%" in html and "Αποκορώνου" in html  # intent, confidence, entity
    assert await dashboard.store.audit.find_one({"action": "conversation.view", "target": "telegram:9"})
    status, html, _ = await op.get("/staff/monitor")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert (await op.get("/staff/conversations/telegram%3A404"))[0] == 404


async def test_take_over_reply_and_hand_back(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store, "telegram:5")
    op = await dashboard.login("op", "operator")
    base = "/staff/conversations/telegram%3A5"
    # a reply before taking over is refused: the bot would answer too
    status, _, resp = await op.post(base + "/reply", {"text": "Καλημέρα"})
    assert status == 303 and "error=not_taken_over" in resp.headers["Location"]
    assert dashboard.outbox.sent == []

    async with op.session.get(dashboard.url + "/staff/events?conversation=telegram:5") as stream:
        for _ in range(50):
            if dashboard.bus.subscriber_count:
                break
            await asyncio.sleep(0.02)
        status, _, resp = await op.post(base + "/take-over")
        assert status == 303 and "done=taken_over" in resp.headers["Location"]
        event: dict[str, Any] = {}
        while event.get("type") != "conversation":  # the resident's "staff joined" message comes through too
            line = (await asyncio.wait_for(stream.content.readline(), 5)).decode()
            event = json.loads(line[5:]) if line.startswith("data:") else {}
        assert event == {"type": "conversation", "conversation_id": "telegram:5", "paused": True, "by": "staff:op",
                         "held_by_name": "op"}  # no display name: staff see the login
    assert (await dashboard.store.conversations.find_one({"_id": "telegram:5"}))["paused"] is True
    (conv_id, replies, sender), = dashboard.outbox.sent  # the resident is told who answers now (issue 9)
    assert (conv_id, sender) == ("telegram:5", "bot")
    # an account with no display name is the generic "staff of the municipality", never its login (QA F15)
    assert [r.text for r in replies] == ["Υπάλληλος του Δήμου Χανίων μπήκε στη συνομιλία και θα σας απαντήσει τώρα."]
    dashboard.outbox.sent.clear()

    status, html, _ = await op.get(base)
    assert 'id="reply-form"' in html and 'id="hand-back"' in html
    status, _, resp = await op.post(base + "/reply", {"text": "  Καλημέρα, είμαι η Μαρία από τον Δήμο.  "})
    assert status == 303 and "done=reply_sent" in resp.headers["Location"]
    (conv_id, replies, sender), = dashboard.outbox.sent
    assert conv_id == "telegram:5" and sender == "staff:op"
    assert [r.text for r in replies] == ["Καλημέρα, είμαι η Μαρία από τον Δήμο.\n\nΥπάλληλος του Δήμου Χανίων"]
    status, html, _ = await op.get(base)
    assert "Καλημέρα, είμαι η Μαρία από τον Δήμο." in html and "Προσωπικό: op" in html

    assert (await op.post(base + "/reply", {"text": "x" * 4001}))[2].headers["Location"].endswith(
        "error=reply_length")
    dashboard.outbox.status = "failed"
    status, _, resp = await op.post(base + "/reply", {"text": "Δεύτερο μήνυμα"})
    assert "error=delivery_failed" in resp.headers["Location"]

    dashboard.outbox.sent.clear()
    status, _, resp = await op.post(base + "/hand-back")
    assert status == 303 and "done=handed_back" in resp.headers["Location"]
    assert (await dashboard.store.conversations.find_one({"_id": "telegram:5"}))["paused"] is False
    assert [r.text for _, rs, _ in dashboard.outbox.sent for r in rs] == [Texts("el")("handoff.bot_back")]
    actions = [a["action"] async for a in dashboard.store.audit.find({"target": "telegram:5"}).sort("at", 1)]
    assert actions == ["conversation.take_over", "conversation.view", "conversation.reply", "conversation.view",
                       "conversation.reply", "conversation.hand_back"]


async def test_only_the_holder_or_an_admin_hands_a_chat_back(dashboard: Dashboard) -> None:
    """A colleague with the monitor permission sees who holds the chat but cannot hand it back; the holder can,
    and an admin can free a chat someone left open (and it is audited with whose it was)."""
    await seed_conversation(dashboard.store, "telegram:6")
    base = "/staff/conversations/telegram%3A6"
    maria, nikos = await dashboard.login("maria", "operator"), await dashboard.login("nikos", "operator")
    admin = await dashboard.login("boss", "admin")
    assert "done=taken_over" in (await maria.post(base + "/take-over"))[2].headers["Location"]
    dashboard.outbox.sent.clear()

    status, html, _ = await nikos.get(base)
    assert status == 200 and 'id="hand-back"' not in html and 'id="hand-back-holder-only"' in html
    status, html, resp = await nikos.post(base + "/hand-back")
    assert status == 303 and resp.headers["Location"].endswith("error=hand_back_held_by_other")
    held = await dashboard.store.conversations.find_one({"_id": "telegram:6"})
    assert held["paused"] is True and held["held_by"] == "staff:maria"
    assert dashboard.outbox.sent == []  # the resident is not told the bot is back
    status, html, _ = await nikos.get(resp.headers["Location"].removeprefix(dashboard.url))
    assert 'id="hand-back-held-by-other"' in html and "maria" in html
    assert await dashboard.store.audit.find_one({"action": "conversation.hand_back", "actor": "staff:nikos"}) is None

    status, html, _ = await admin.get(base)
    assert 'id="hand-back"' in html
    assert (await admin.post(base + "/hand-back", csrf=None))[0] == 403  # the admin's form needs its token too
    assert (await dashboard.store.conversations.find_one({"_id": "telegram:6"}))["paused"] is True
    status, _, resp = await admin.post(base + "/hand-back")
    assert status == 303 and resp.headers["Location"].endswith("done=handed_back")
    assert (await dashboard.store.conversations.find_one({"_id": "telegram:6"}))["paused"] is False
    assert [r.text for _, rs, _ in dashboard.outbox.sent for r in rs] == [Texts("el")("handoff.bot_back")]
    entry = await dashboard.store.audit.find_one({"action": "conversation.hand_back", "target": "telegram:6"})
    assert entry["actor"] == "staff:boss" and entry["details"]["held_by"] == "staff:maria"

    assert "done=taken_over" in (await nikos.post(base + "/take-over"))[2].headers["Location"]
    status, _, resp = await nikos.post(base + "/hand-back")  # the holder hands back his own
    assert resp.headers["Location"].endswith("done=handed_back")


# ---------------------------------------------------------------- tickets

async def test_ticket_filters_and_search(dashboard: Dashboard) -> None:
    a = await new_ticket(dashboard, description="Λακκούβα στην οδό Ηρώων Πολυτεχνείου", category="complaint_roads",
                         address="Ηρώων Πολυτεχνείου 12")
    b = await new_ticket(dashboard, description="Rubbish bins full", category="complaint_waste", channel="viber",
                         language="en", conversation_id="viber:1")
    c = await new_ticket(dashboard, description="Σκύλος τραυματισμένος", category="complaint_animals",
                         channel="assisted", conversation_id=None, citizen={"name": "Ελένη"})
    await tickets.change_status(dashboard.services, c["reference"], "resolved", actor="staff:x")
    old = (datetime(2025, 3, 1, 10, 0, tzinfo=UTC))
    await dashboard.store.tickets.update_one({"reference": b["reference"]}, {"$set": {"created_at": old}})
    op = await dashboard.login("op", "operator")

    async def refs(query: str) -> set[str]:
        status, html, _ = await op.get("/staff/tickets" + query)
        assert status == 200
        return set(re.findall(r'<a href="/staff/tickets/(CHA-\d{4}-\d{6})"', html))

    assert await refs("") == {a["reference"], b["reference"], c["reference"]}
    assert await refs("?status=open") == {a["reference"], b["reference"]}
    assert await refs("?status=resolved") == {c["reference"]}
    assert await refs("?category=complaint_waste") == {b["reference"]}
    assert await refs("?department=technical") == {a["reference"]}
    assert await refs("?channel=assisted") == {c["reference"]}
    assert await refs("?from=2025-03-01&to=2025-03-01") == {b["reference"]}
    assert await refs("?to=2025-02-28") == set()
    # search: without accents, upper case, by address, by reference in any spelling
    assert await refs("?q=λακκουβα") == {a["reference"]}
    assert await refs("?q=ΛΑΚΚΟΥΒΑ") == {a["reference"]}
    assert await refs("?q=ηρωων πολυτεχνειου 12") == {a["reference"]}
    assert await refs("?q=" + c["reference"].lower().replace("-", " ")) == {c["reference"]}
    assert await refs("?q=.*") == set()  # regular-expression characters are literal
    _status, html, _ = await op.get("/staff/tickets?status=bogus&from=yesterday")
    assert "Αγνοήθηκαν μη έγκυρα φίλτρα: status, from" in html


async def test_csv_export_of_a_filtered_list(dashboard: Dashboard) -> None:
    a = await new_ticket(dashboard, description='=HYPERLINK("http://evil")', location=HARBOUR,
                         address="Ενετικό λιμάνι", citizen={"phone": "+306912345678"})
    await new_ticket(dashboard, category="complaint_waste", description="Σκουπίδια")
    op = await dashboard.login("op", "operator")
    status, body, resp = await op.get("/staff/tickets.csv?category=complaint_lighting")
    assert status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))  # Greek: ";" as Greek Excel expects
    assert rows[0][:3] == ["Αριθμός", "Καταχώριση", "Κατάσταση"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Αριθμός"] == a["reference"] and row["Κατηγορία"] == "Φωτισμός"
    assert row["Περιγραφή"] == "'=HYPERLINK(\"http://evil\")"  # formula neutralised
    assert row["Γεωγρ. πλάτος"] == "35,519700" and row["Διεύθυνση"] == "Ενετικό λιμάνι"  # Greek decimal comma
    assert "+306912345678" not in body  # the resident's phone is not exported
    entry = await dashboard.store.audit.find_one({"action": "ticket.export"})
    assert entry["details"] == {"filters": {"category": "complaint_lighting"}, "rows": 1}
    await op.post("/staff/language", {"lang": "en", "next": "/staff/tickets"})  # in English: "," and a decimal point
    _, body, _ = await op.get("/staff/tickets.csv?category=complaint_lighting")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Reference"] == a["reference"] and row["Latitude"] == "35.519700"


async def test_status_change_notifies_the_resident_in_their_language(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store, "viber:77", language="en")
    t = await new_ticket(dashboard, channel="viber", language="en", conversation_id="viber:77")
    op = await dashboard.login("op", "operator")
    path = f"/staff/tickets/{t['reference']}"
    status, _, resp = await op.post(path + "/status", {"status": "in_progress",
                                                       "note": "Το συνεργείο έρχεται αύριο / crew tomorrow"})
    assert status == 303 and resp.headers["Location"] == path + "?done=status_changed"
    (conv_id, replies, sender), = dashboard.outbox.sent
    assert conv_id == "viber:77" and sender == "bot"
    assert t["reference"] in replies[0].text and "crew tomorrow" in replies[0].text
    stored = await tickets.get_ticket(dashboard.services, t["reference"])
    assert stored["status"] == "in_progress" and stored["history"][-1]["actor"] == "staff:op"
    status, html, _ = await op.get(path)
    assert "Σε εξέλιξη" in html and "Το συνεργείο έρχεται αύριο" in html
    for bad in ({"status": "closed"}, {"status": "duplicate"}, {"status": "resolved", "note": "x" * 2001}):
        status, _, resp = await op.post(path + "/status", bad)
        assert "error=bad_status" in resp.headers["Location"]
    assert len(dashboard.outbox.sent) == 1
    entry = await dashboard.store.audit.find_one({"action": "ticket.status"})
    assert entry["details"] == {"status": "in_progress", "previous": "new", "note_length": 42}


async def test_reassign_note_and_duplicate(dashboard: Dashboard) -> None:
    first = await new_ticket(dashboard)
    t = await new_ticket(dashboard, description="Και εδώ σβηστή λάμπα " + XSS)
    op = await dashboard.login("op", "operator")
    path = f"/staff/tickets/{t['reference']}"
    assert "done=reassigned" in (await op.post(path + "/reassign", {"department": "technical",
                                                                   "note": "κολόνα"}))[2].headers["Location"]
    assert "error=bad_department" in (await op.post(path + "/reassign", {"department": "nasa"}))[2].headers[
        "Location"]
    assert "done=note_added" in (await op.post(path + "/note", {"text": "Τηλεφώνησα " + XSS}))[2].headers[
        "Location"]
    assert "error=note_length" in (await op.post(path + "/note", {"text": "   "}))[2].headers["Location"]
    unknown = {"of": "CHA-1999-000001", "reason": "same_problem"}
    assert "error=duplicate_unknown" in (await op.post(path + "/duplicate", unknown))[2].headers["Location"]
    assert "error=bad_duplicate" in (await op.post(path + "/duplicate", {"of": t["reference"]}))[2].headers[
        "Location"]
    _, _, resp = await op.post(path + "/duplicate", {"of": first["reference"].lower(), "reason": "same_problem"})
    assert "done=marked_duplicate" in resp.headers["Location"]
    stored = await tickets.get_ticket(dashboard.services, t["reference"])
    assert stored["department"] == "technical" and stored["status"] == "duplicate"
    assert stored["duplicate_of"] == first["reference"] and stored["notes"][0]["actor"] == "staff:op"
    _status, html, _ = await op.get(path)
    assert "Ανατέθηκε σε: Διεύθυνση Τεχνικών Υπηρεσιών" in html and "Διπλότυπο" in html
    assert "<script>alert" not in html and "<img src=x" not in html and html.count("&lt;script&gt;") == 2
    actions = {a["action"] async for a in dashboard.store.audit.find({"target": t["reference"]})}
    assert {"ticket.reassign", "ticket.note", "ticket.duplicate", "ticket.view"} <= actions


async def test_ticket_detail_shows_map_pin_photos_and_conversation(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store, "telegram:4242", text="Σβηστή λάμπα εδώ")
    t = await new_ticket(dashboard, location=HARBOUR, photos=[{"file_id": "AgADBAAD", "size": 204800},
                                                              {"url": "/chat/uploads/p1.jpg", "size": 1000}])
    op = await dashboard.login("op", "operator")
    _status, html, _ = await op.get(f"/staff/tickets/{t['reference']}")
    assert 'id="ticket-map"' in html and 'data-lat="35.5197"' in html and 'data-lon="24.018"' in html
    assert "/staff/static/vendor/leaflet/leaflet.js" in html
    assert 'src="/chat/uploads/p1.jpg"' in html and "200 KB" in html
    assert "Σβηστή λάμπα εδώ" in html  # the conversation
    assert "/staff/conversations/telegram%3A4242" in html
    assert (await op.get("/staff/tickets/CHA-2026-999999"))[0] == 404
    assert (await op.get("/staff/tickets/not-a-reference"))[0] == 404


# ---------------------------------------------------------------- assisted intake

async def test_assisted_intake_creates_an_assisted_ticket_and_a_receipt(dashboard: Dashboard) -> None:
    op = await dashboard.login("kapi", "operator")
    form = {"name": "Γεώργιος Παπαδάκης", "phone": "+30 28210 12345", "address": "Κουνουπιδιανά, πλατεία",
            "category": "complaint_greenery", "description": "Ξερά χόρτα δίπλα στο ΚΑΠΗ, κίνδυνος φωτιάς.",
            "language": "el", "centre": "kapi-akrotiri"}
    status, html, _ = await op.post("/staff/intake", {**form, "name": "", "phone": "call me", "category": "x",
                                                      "centre": ""})
    assert status == 400
    assert html.count("Υποχρεωτικό πεδίο.") == 3 and "Μη έγκυρος αριθμός τηλεφώνου" in html
    assert "Κουνουπιδιανά, πλατεία" in html  # what was typed is kept
    status, _, resp = await op.post("/staff/intake", form)
    assert status == 303
    ref = re.fullmatch(r"/staff/intake/(CHA-\d{4}-\d{6})/receipt", resp.headers["Location"]).group(1)
    t = await tickets.get_ticket(dashboard.services, ref)
    assert t["channel"] == "assisted" and t["conversation_id"] is None
    assert t["citizen"] == {"name": "Γεώργιος Παπαδάκης", "phone": "+302821012345"}  # E.164
    assert t["category"] == "complaint_greenery" and t["department"] == "greenery"
    assert t["address"] == "Κουνουπιδιανά, πλατεία" and t["history"][0]["actor"] == "staff:kapi"
    status, html, _ = await op.get(resp.headers["Location"])
    assert status == 200 and f'<strong id="receipt-reference">{ref}</strong>' in html
    assert "Απόδειξη καταχώρισης αιτήματος" in html and "Γεώργιος Παπαδάκης" in html
    assert "/staff/static/js/print.js" in html
    # an English receipt for an English-speaking resident, whatever the staff's interface language
    status, _, resp = await op.post("/staff/intake", {**form, "language": "en", "phone": ""})
    status, html, _ = await op.get(resp.headers["Location"])
    assert "Receipt of your request" in html and "How to find out what happened" in html
    assert await dashboard.store.audit.find_one({"action": "intake.create", "target": ref})
    # a ticket from another channel has no receipt
    other = await new_ticket(dashboard)
    assert (await op.get(f"/staff/intake/{other['reference']}/receipt"))[0] == 404


# ---------------------------------------------------------------- stats, language, times, headers

async def test_stats_page_counts(dashboard: Dashboard) -> None:
    now = utcnow()
    a = await new_ticket(dashboard)
    b = await new_ticket(dashboard, category="complaint_water", description="Διαρροή")
    await new_ticket(dashboard, category="complaint_water", description="Διαρροή 2")
    await dashboard.store.tickets.update_one({"reference": a["reference"]},
                                             {"$set": {"created_at": now - timedelta(hours=30)}})
    await tickets.change_status(dashboard.services, a["reference"], "resolved", actor="staff:x")
    await dashboard.store.tickets.update_one({"reference": b["reference"]},
                                             {"$set": {"created_at": now - timedelta(hours=4)}})
    await tickets.change_status(dashboard.services, b["reference"], "resolved", actor="staff:x")
    await seed_conversation(dashboard.store, "telegram:1", confidence=0.2)
    await seed_conversation(dashboard.store, "viber:2", confidence=0.9, language="en")
    await seed_conversation(dashboard.store, "viber:3", confidence=0.95, language="en")
    op = await dashboard.login("op", "operator")
    status, html, _ = await op.get("/staff/stats?weeks=4")
    assert status == 200
    row = re.search(r'<tr data-category="complaint_water">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'class="total">2<', row)
    assert "Τώρα: 1 ανοιχτά, 2 επιλυμένα, 0 κλειστά για άλλο λόγο." in text_of(html)
    hours = {d: h.replace(",", ".") for d, h in  # Greek decimal comma
             re.findall(r'<tr data-department="(\w+)">.*?class="hours">([\d.,]+)<', html, re.S)}
    assert abs(float(hours["lighting"]) - 30) < 0.2 and abs(float(hours["water"]) - 4) < 0.2
    msgs = re.findall(r'<tr data-channel="(\w+)" data-language="(\w+)">.*?class="in">(\d+)<', html, re.S)
    assert sorted(msgs) == [("telegram", "el", "1"), ("viber", "en", "2")]
    languages = re.findall(r'<tr data-channel="\w+" data-language="\w+"><td>[^<]*</td><td>([^<]*)</td>', html)
    assert sorted(languages) == ["Αγγλικά", "Ελληνικά"]  # names from the staff catalogue, not "el" / "en"
    assert "33,3% (1 από 3 μηνύματα)" in html
    data = json.loads(re.search(r'<script type="application/json" id="stats-data">(.*?)</script>', html,
                                re.S).group(1))
    assert len(data["labels"]) == 4 and sum(data["opened"]) == 3 and sum(data["resolved"]) == 2


async def test_waiting_queue_names_the_language_and_survives_a_broken_waiting_time(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store, "telegram:71", language="en", text="I want to talk to a person")
    await seed_conversation(dashboard.store, "viber:72", text="θέλω να μιλήσω με υπάλληλο")
    await dashboard.store.conversations.update_one({"_id": "telegram:71"},
                                                   {"$set": {"waiting_since": utcnow() - timedelta(minutes=7)}})
    await dashboard.store.conversations.update_one({"_id": "viber:72"},  # a hand-edited document
                                                   {"$set": {"waiting_since": "yesterday"}})
    op = await dashboard.login("op", "operator")
    for lang, english, minutes in (("el", "Αγγλικά", "7 λεπ."), ("en", "English", "7 min")):
        await op.post("/staff/language", {"lang": lang, "next": "/staff/monitor"})
        status, html, _ = await op.get("/staff/monitor")
        assert status == 200
        queue = html[html.index('id="waiting-list"'):html.index('id="waiting-empty"')]
        items = {m.group(1): text_of(m.group(2)).strip() for m in re.finditer(r'<li data-id="([^"]+)"[^>]*>(.*?)</li>',
                                                                      queue, re.S)}
        assert items["telegram:71"].split(" · ")[:3] == [minutes, "Telegram", english]
        assert items["viber:72"].split(" · ")[0] == "—"  # the waiting time unknown, the page still opens
        assert re.search(r'id="waiting-count"[^>]*>2</span>', html)  # the number; "waiting" is the heading's


async def test_interface_is_greek_by_default_and_english_on_request(dashboard: Dashboard) -> None:
    op = await dashboard.login("op", "operator")
    status, html, _ = await op.get("/staff/tickets")
    assert '<html lang="el">' in html and "Αιτήματα" in html
    status, _, resp = await op.post("/staff/language", {"lang": "en", "next": "/staff/tickets"})
    assert status == 303 and resp.headers["Location"] == "/staff/tickets"
    status, html, _ = await op.get("/staff/tickets")
    assert '<html lang="en">' in html and "Export CSV" in html
    assert (await staff_accounts.get_staff(dashboard.store, "op")).language == "en"  # remembered for next login
    assert (await op.post("/staff/language", {"lang": "fr"}))[0] == 400


async def test_times_are_shown_in_athens_time(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store, "telegram:1", at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    await seed_conversation(dashboard.store, "telegram:2", at=datetime(2026, 7, 15, 12, 0, tzinfo=UTC))
    op = await dashboard.login("op", "operator")
    _status, html, _ = await op.get("/staff/monitor")
    assert "15/01/2026 14:00" in html  # EET, UTC+2
    assert "15/07/2026 15:00" in html  # EEST, UTC+3


async def test_security_headers_and_no_inline_script(dashboard: Dashboard) -> None:
    t = await new_ticket(dashboard, location=HARBOUR)
    admin = await dashboard.login("boss", "admin")
    pages = ["/staff/login", "/staff/monitor", "/staff/tickets", f"/staff/tickets/{t['reference']}",
             "/staff/intake", "/staff/stats", "/staff/admin/staff", "/staff/admin/audit", "/staff/account"]
    for path in pages:
        status, html, resp = await admin.get(path)
        assert status == 200, path
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["Cache-Control"] == "no-store"
        for tag in re.findall(r"<script[^>]*>", html):
            assert ' src="/staff/static/' in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"<[^>]+\son[a-z]+=", html), path  # no inline event handlers
        for ref in re.findall(r'(?:src|href)="(/staff/static/[^"]+)"', html):
            async with admin.session.get(dashboard.url + ref) as r:
                assert r.status == 200, ref
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html.replace(
            'href="https://www.openstreetmap.org/', "")), path  # nothing loaded from elsewhere
    status, _, resp = await admin.get("/staff/static/js/live.js")
    assert resp.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))


async def test_staff_without_slash_and_home_redirects(dashboard: Dashboard) -> None:
    dept = await dashboard.login("dept", "department", ("water",))
    _, _, resp = await dept.get("/staff")
    assert resp.url.path == "/staff/tickets"  # /staff → /staff/ → the page the role may use
    op = await dashboard.login("op", "operator")
    _status, _, resp = await op.get("/staff")
    assert resp.url.path == "/staff/monitor"


async def test_audit_page_lists_actions_for_admins(dashboard: Dashboard) -> None:
    admin = await dashboard.login("boss", "admin")
    await admin.post("/staff/language", {"lang": "en"})
    status, html, _ = await admin.get("/staff/admin/audit?actor=boss")
    assert status == 200 and "login.ok" in html and "language" in html
    status, html, _ = await admin.get("/staff/admin/audit?action=login")
    assert "login.ok" in html and "<td>language</td>" not in html


async def test_password_change_ends_other_sessions(dashboard: Dashboard) -> None:
    first = await dashboard.login("maria", "operator")
    second = dashboard.client("maria")
    assert (await second.login())[0] == 303
    status, html, _ = await first.post("/staff/account/password", {"current": "wrong", "new": "new password 123",
                                                                   "repeat": "new password 123"})
    assert status == 400 and "Ο τρέχων κωδικός είναι λάθος." in html
    status, _, _ = await first.post("/staff/account/password", {"current": PASSWORD, "new": "new password 123",
                                                                "repeat": "new password 123"})
    assert status == 303
    assert (await first.get("/staff/monitor"))[0] == 200
    status, _, resp = await second.get("/staff/monitor", allow_redirects=False)
    assert status == 303 and resp.headers["Location"].startswith("/staff/login")


async def test_ticket_photos_are_fetched_by_the_service(dashboard: Dashboard) -> None:
    """Telegram photos are file ids: the service asks the Bot API (a fake on loopback here) for the file and passes
    it on only when it really is an image; a Viber URL on another host is never fetched."""
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 2000
    fake = FakeBotApi()
    await fake.start()
    fake.files.update({"AgAD-ok": jpeg, "AgAD-html": b"<html>not an image"})
    dashboard.services.settings = dashboard.services.settings.model_copy(
        update={"telegram_token": SecretStr("123:fake"), "telegram_api_url": fake.url})
    d2 = Dashboard(dashboard.services, dashboard.bus, dashboard.outbox)
    await d2.start()
    try:
        t = await new_ticket(d2, photos=[{"file_id": "AgAD-ok", "size": 2004}, {"file_id": "AgAD-html"},
                                         {"file_id": "AgAD-gone"}])
        v = await new_ticket(d2, channel="viber", conversation_id="viber:1",
                             photos=[{"url": "https://attacker.example/p.jpg"}, {"url": "http://10.0.0.1/p.jpg"}])
        op = await d2.login("op", "operator")
        _, html, _ = await op.get(f"/staff/tickets/{t['reference']}")
        assert f'<img src="/staff/tickets/{t["reference"]}/photos/0"' in html
        async with op.session.get(d2.url + f"/staff/tickets/{t['reference']}/photos/0") as r:
            assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg"
            assert r.headers["Cache-Control"] == "no-store" and await r.read() == jpeg
        assert (await op.get(f"/staff/tickets/{t['reference']}/photos/1"))[0] == 502  # HTML is not passed on
        assert (await op.get(f"/staff/tickets/{t['reference']}/photos/2"))[0] == 502
        assert (await op.get(f"/staff/tickets/{t['reference']}/photos/3"))[0] == 404
        _, html, _ = await op.get(f"/staff/tickets/{v['reference']}")
        assert "/photos/" not in html and "attacker.example" not in html
        assert (await op.get(f"/staff/tickets/{v['reference']}/photos/0"))[0] == 502
        assert file_ids_asked(fake) == ["AgAD-ok", "AgAD-html", "AgAD-gone"]
        dept = await d2.login("dept", "department", ("water",))
        assert (await dept.get(f"/staff/tickets/{t['reference']}/photos/0"))[0] == 403
    finally:
        await d2.close()
        await fake.stop()


def test_csp_allows_only_the_configured_map_tile_host() -> None:
    from bot.dashboard.core import DashboardConfig
    from bot.dashboard.security import content_security_policy

    def img_src(tiles: str | None) -> str:
        csp = content_security_policy(DashboardConfig(secure_cookies=False, tiles_url=tiles, low_confidence=0.5))
        return next(d for d in csp.split("; ") if d.startswith("img-src"))

    assert img_src(None) == "img-src 'self' data:"
    assert img_src("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == \
        "img-src 'self' data: https://tile.openstreetmap.org"
    assert img_src("https://{s}.tiles.chania.gr/{z}/{x}/{y}.png") == "img-src 'self' data: https://*.tiles.chania.gr"


# ---------------------------------------------------------------- waiting for staff (issue 9)

async def test_waiting_queue_oldest_first_with_minutes_and_gone_once_taken_over(dashboard: Dashboard) -> None:
    from bot import handoff

    await seed_conversation(dashboard.store, "telegram:71", text="θέλω να μιλήσω με υπάλληλο", intent="talk_to_human")
    await seed_conversation(dashboard.store, "viber:72", text="I want a person", intent="talk_to_human",
                            language="en")
    await seed_conversation(dashboard.store, "telegram:73", text="καλημέρα", intent="greet")
    now = utcnow()
    await handoff.request_staff(dashboard.store, "viber:72", now - timedelta(minutes=3))
    await handoff.request_staff(dashboard.store, "telegram:71", now - timedelta(minutes=12))
    await handoff.request_staff(dashboard.store, "telegram:71", now)  # asking again keeps the place in the queue
    op = await dashboard.login("op", "operator")
    status, html, _ = await op.get("/staff/monitor")
    assert status == 200
    queue = html[html.index('id="waiting-list"'):html.index('id="waiting-empty"')]
    assert queue.index('data-id="telegram:71"') < queue.index('data-id="viber:72"')
    assert "telegram:73" not in queue
    assert "12 λεπ." in queue and "3 λεπ." in queue and "2 σε αναμονή" in html
    assert "js/waiting.js" in html

    await op.post("/staff/conversations/telegram%3A71/take-over")
    status, html, _ = await op.get("/staff/monitor")
    queue = html[html.index('id="waiting-list"'):html.index('id="waiting-empty"')]
    assert "telegram:71" not in queue and 'data-id="viber:72"' in queue
    assert (await dashboard.store.conversations.find_one({"_id": "telegram:71"}))["waiting_since"] is None


async def test_display_name_signs_staff_replies(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store, "viber:80", language="en")
    op = await dashboard.login("maria.k", "operator")
    status, _, resp = await op.post("/staff/account/name", {"display_name": "<b>Μαρία</b>"})
    assert status == 400
    status, _, resp = await op.post("/staff/account/name", {"display_name": "  Μαρία  "})
    assert status == 303 and "done=name_changed" in resp.headers["Location"]
    status, html, _ = await op.get("/staff/account")
    assert 'value="Μαρία"' in html and "Μαρία — Δήμος Χανίων" in html
    await op.post("/staff/conversations/viber%3A80/take-over")
    await op.post("/staff/conversations/viber%3A80/reply", {"text": "Good morning, how can I help?"})
    texts = [r.text for _, rs, _ in dashboard.outbox.sent for r in rs]
    assert texts == [Texts("en")("handoff.staff_joined", name="Μαρία"),
                     "Good morning, how can I help?\n\nΜαρία — Municipality of Chania"]
    assert await dashboard.store.audit.find_one({"action": "account.display_name", "target": "maria.k"})


async def test_admin_gives_each_account_the_name_residents_see(dashboard: Dashboard) -> None:
    """QA F15: a clerk created at /staff/admin/staff signed to residents with her login ("Eleni.kapi")."""
    await seed_conversation(dashboard.store, "telegram:81")
    admin = await dashboard.login("boss", "admin")
    _, html, _ = await admin.get("/staff/admin/staff")
    assert 'name="display_name" required' in html
    new = {"username": "eleni.kapi", "role": "operator", "password": "kapi-password-2026"}
    status, html, _ = await admin.post("/staff/admin/staff", new | {"display_name": "   "})
    assert status == 400 and "Γράψτε το όνομα που θα βλέπουν οι πολίτες" in html
    assert 'value="eleni.kapi"' in html  # what was typed is kept
    assert await staff_accounts.get_staff(dashboard.store, "eleni.kapi") is None
    assert (await admin.post("/staff/admin/staff", new | {"display_name": "Ελένη"}))[0] == 303
    _, html, _ = await admin.get("/staff/admin/staff")
    assert "<td>eleni.kapi</td><td>Ελένη</td>" in html

    clerk = dashboard.client("eleni.kapi")
    assert (await clerk.login("kapi-password-2026"))[0] == 303
    await clerk.post("/staff/conversations/telegram%3A81/take-over")
    await clerk.post("/staff/conversations/telegram%3A81/reply", {"text": "Καλησπέρα, σας ακούω."})
    texts = [r.text for _, rs, _ in dashboard.outbox.sent for r in rs]
    assert texts == ["Ο/Η Ελένη μπήκε στη συνομιλία και θα σας απαντήσει τώρα.",
                     "Καλησπέρα, σας ακούω.\n\nΕλένη — Δήμος Χανίων"]
    assert not any("eleni" in t.casefold() for t in texts)

    # the edit form changes it (and requires it too)
    _, html, _ = await admin.get("/staff/admin/staff/eleni.kapi")
    assert 'name="display_name" required maxlength="40" value="Ελένη"' in html
    status, html, _ = await admin.post("/staff/admin/staff/eleni.kapi", {"role": "operator", "active": "1",
                                                                         "display_name": ""})
    assert status == 400 and "Γράψτε το όνομα" in html
    assert (await admin.post("/staff/admin/staff/eleni.kapi", {"role": "operator", "active": "1",
                                                               "display_name": "Ελένη Κ."}))[0] == 303
    assert (await staff_accounts.get_staff(dashboard.store, "eleni.kapi")).display_name == "Ελένη Κ."


async def test_hand_back_puts_a_half_done_report_on_hold_and_asks(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard.store, "telegram:90")
    flow = {"name": "complaints", "step": "photos", "slots": {"nonce": "ab12cd34", "category": "complaint_waste"}}
    await dashboard.store.conversations.update_one({"_id": "telegram:90"}, {"$set": {"flow": flow}})
    op = await dashboard.login("op", "operator")
    await op.post("/staff/conversations/telegram%3A90/take-over")
    dashboard.outbox.sent.clear()
    await op.post("/staff/conversations/telegram%3A90/hand-back")
    (_, replies, _), = dashboard.outbox.sent
    el = Texts("el")
    assert [r.text for r in replies] == [el("handoff.bot_back"), el("handoff.continue_report")]
    assert [b.payload for b in replies[1].buttons] == ["human:continue", "human:drop"]
    conv = await dashboard.store.conversations.find_one({"_id": "telegram:90"})
    # held since the take-over: what the resident sent staff from then on is offered to the report (QA F14)
    assert conv["flow"] == {"name": "handoff", "step": "continue?", "slots": {"held": flow,
                                                                           "since": conv["paused_at"]}}
