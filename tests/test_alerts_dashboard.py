"""Writing area notices in the dashboard: who may, what a notice needs, the recipients preview, the second
person's approval. Delivery itself is in tests/test_alerts_broadcast.py (the whole service, the outbox)."""

from __future__ import annotations

import re
from typing import Any

from bot.alerts import notices
from bot.alerts.subscriptions import CONSENT_VERSION
from bot.core.models import utcnow
from tests.fixtures.dashboard import Dashboard

UNITS = ["chania", "eleftheriou_venizelou", "theriso", "keramia", "nea_kydonia", "souda", "akrotiri"]


def notice_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {"kind": "water", "areas": ["chalepa"], "title_el": "Διακοπή νερού στη Χαλέπα",
                            "body_el": "Λόγω βλάβης στο δίκτυο δεν θα υπάρχει νερό.", "title_en": "", "body_en": "",
                            "valid_from": "2026-12-02T09:00", "valid_until": "2026-12-02T14:00", "send_at": ""}
    return form | overrides


async def post_notice(client: Any, **overrides: Any) -> tuple[int, str, Any]:
    form = notice_form(**overrides)
    areas = form.pop("areas")
    data = [(k, v) for k, v in form.items()] + [("areas", a) for a in areas] + [("csrf_token", client.csrf)]
    async with client.session.post(client.base + "/staff/alerts", data=data, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp


async def subscribe(dashboard: Dashboard, cid: str, channel: str, areas: list[str], kinds: list[str]) -> None:
    await dashboard.store.db["alert_subscriptions"].insert_one({
        "_id": cid, "channel": channel, "chat_id": cid.split(":", 1)[1], "areas": areas, "point": None,
        "radius_m": 1000, "kinds": kinds, "consent": {"given_at": utcnow(), "version": CONSENT_VERSION,
                                                       "language": "el"}})


async def test_only_broadcasters_and_admins_see_the_alerts_pages(dashboard: Dashboard) -> None:
    operator = await dashboard.login("op1", "operator")
    status, _, _ = await operator.get("/staff/alerts")
    assert status == 403
    broadcaster = await dashboard.login("bc1", "broadcaster")
    status, text, _ = await broadcaster.get("/staff/alerts")
    assert status == 200 and "Νέα ειδοποίηση" in text
    status, _, resp = await broadcaster.get("/staff/", allow_redirects=False)
    assert status == 303 and resp.headers["Location"] == "/staff/alerts"  # their first page, not a 403


async def test_a_notice_is_saved_as_a_draft_with_a_preview_and_the_count_of_recipients(dashboard: Dashboard) -> None:
    await subscribe(dashboard, "telegram:1", "telegram", ["chalepa"], ["water"])
    await subscribe(dashboard, "viber:2", "viber", ["chania"], ["water", "roads"])  # the unit of Chalepa
    await subscribe(dashboard, "telegram:3", "telegram", ["souda"], ["water"])  # elsewhere
    await subscribe(dashboard, "telegram:4", "telegram", ["chalepa"], ["roads"])  # another kind
    client = await dashboard.login("bc2", "broadcaster")
    await client.get("/staff/alerts/new")
    status, _, resp = await post_notice(client, title_en="Water cut in Halepa", body_en="No water because of a leak.")
    assert status == 303
    path = resp.headers["Location"].split("?")[0]
    status, text, _ = await client.get(path)
    assert status == 200
    assert re.search(r'id="recipients-total">2<', text)
    assert 'data-channel="telegram"' in text and 'data-channel="viber"' in text
    assert "Διακοπή νερού στη Χαλέπα" in text and "Water cut in Halepa" in text
    assert "02/12 09:00 – 14:00" in text  # Greek time, one day: the end time alone
    assert "Συντάκτης: bc2" in text and "staff:" not in text  # the account, not the internal actor id
    doc = await notices.collection(dashboard.store).find_one({})
    assert doc["status"] == "draft" and doc["areas"] == ["chalepa"] and doc["created_by"] == "staff:bc2"
    assert doc["valid_from"].hour == 7  # 09:00 in Athens in December is 07:00 UTC


async def test_what_a_notice_needs_is_said_in_greek(dashboard: Dashboard) -> None:
    client = await dashboard.login("bc3", "broadcaster")
    await client.get("/staff/alerts/new")
    for overrides, message in (
            ({"areas": []}, "Διαλέξτε τουλάχιστον μία περιοχή."),
            ({"title_el": " "}, "Ο ελληνικός τίτλος και το κείμενο είναι υποχρεωτικά."),
            ({"title_en": "Only a title"}, "Στα αγγλικά συμπληρώστε και τίτλο και κείμενο"),
            ({"valid_until": "2026-12-02T08:00"}, "Η λήξη πρέπει να είναι μετά την έναρξη."),
            ({"valid_from": "tomorrow"}, "Μη έγκυρη ημερομηνία ή ώρα."),
            ({"areas": ["atlantis"]}, "Διαλέξτε τουλάχιστον μία περιοχή.")):
        status, text, _ = await post_notice(client, **overrides)
        assert status == 400 and message in text, overrides
    assert await notices.collection(dashboard.store).count_documents({}) == 0


async def test_civil_protection_to_the_whole_municipality_needs_a_second_person(dashboard: Dashboard) -> None:
    author = await dashboard.login("bc4", "broadcaster")
    await author.get("/staff/alerts/new")
    _, _, resp = await post_notice(author, kind="civil_protection", areas=UNITS,
                                        title_el="Πολύ υψηλός κίνδυνος πυρκαγιάς", body_el="Απαγορεύεται η καύση.")
    path = resp.headers["Location"].split("?")[0]
    _, text, _ = await author.get(path)
    assert "Υποβολή για έγκριση" in text
    await author.post(f"{path}/send")
    doc = await notices.collection(dashboard.store).find_one({})
    assert doc["status"] == "awaiting_approval"
    _, text, _ = await author.get(path)
    assert 'id="notice-approve"' not in text and "Αναμένεται έγκριση" in text
    status, _, resp = await author.post(f"{path}/approve")  # forged: the author approving their own notice
    assert status == 303 and "error=alert_own_notice" in resp.headers["Location"]
    assert (await notices.collection(dashboard.store).find_one({}))["status"] == "awaiting_approval"

    second = await dashboard.login("admin2", "admin")
    _, text, _ = await second.get(path)
    assert 'id="notice-approve"' in text
    status, _, _ = await second.post(f"{path}/approve")
    assert status == 303
    doc = await notices.collection(dashboard.store).find_one({})
    assert doc["approved_by"] == "staff:admin2"
    assert doc["status"] == "queued" and doc["recipients"] == 0  # queued at once; nobody is subscribed here
    audit = [a["action"] async for a in dashboard.store.audit.find({"target": str(doc["_id"])})]
    assert {"alert.create", "alert.send", "alert.approve"} <= set(audit)


async def test_a_water_notice_to_one_area_needs_no_approval(dashboard: Dashboard) -> None:
    client = await dashboard.login("bc5", "broadcaster")
    await client.get("/staff/alerts/new")
    _, _, resp = await post_notice(client, send_at="2030-01-01T08:00")  # scheduled: not queued yet
    path = resp.headers["Location"].split("?")[0]
    _, text, _ = await client.get(path)
    assert 'id="notice-send"' in text and "Υποβολή για έγκριση" not in text
    await client.post(f"{path}/send")
    assert (await notices.collection(dashboard.store).find_one({}))["status"] == "scheduled"
    await client.post(f"{path}/cancel")
    assert (await notices.collection(dashboard.store).find_one({}))["status"] == "cancelled"


async def test_without_two_person_approval_the_author_sends_it_alone(dashboard: Dashboard) -> None:
    settings = dashboard.services.settings.model_copy(update={"alerts_two_person_approval": False})
    dashboard.services.settings = settings
    client = await dashboard.login("bc6", "broadcaster")
    await client.get("/staff/alerts/new")
    await post_notice(client, kind="civil_protection", areas=UNITS, title_el="Καύσωνας", body_el="Προσοχή.")
    doc = await notices.collection(dashboard.store).find_one({})
    assert doc["needs_approval"] is False


async def test_leaving_one_unit_out_does_not_skip_the_second_person(dashboard: Dashboard) -> None:
    """QA F29: six of the seven units is almost everybody; every civil-protection notice needs approval."""
    client = await dashboard.login("bc7", "broadcaster")
    await client.get("/staff/alerts/new")
    _, _, resp = await post_notice(client, kind="civil_protection", areas=UNITS[:-1], title_el="Εκκένωση",
                                   body_el="Απομακρυνθείτε από την περιοχή.")
    path = resp.headers["Location"].split("?")[0]
    _, text, _ = await client.get(path)
    assert "Υποβολή για έγκριση" in text
    await client.post(f"{path}/send")
    assert (await notices.collection(dashboard.store).find_one({}))["status"] == "awaiting_approval"


async def test_the_approval_scope_can_be_the_whole_municipality_only(dashboard: Dashboard) -> None:
    dashboard.services.settings = dashboard.services.settings.model_copy(
        update={"alerts_approval_scope": "whole_municipality"})
    client = await dashboard.login("bc8", "broadcaster")
    await client.get("/staff/alerts/new")
    await post_notice(client, kind="civil_protection", areas=["souda"], title_el="Καύσωνας", body_el="Προσοχή.")
    await post_notice(client, kind="civil_protection", areas=UNITS, title_el="Καύσωνας", body_el="Προσοχή.")
    needs = [d["needs_approval"] async for d in notices.collection(dashboard.store).find({}).sort("created_at", 1)]
    assert needs == [False, True]
