"""A resident who reports a problem where the municipality has announced a matching notice is told of it, through
the complaints handler and the real registry (tests/test_complaints_flow.py's Chat)."""

from __future__ import annotations

from datetime import timedelta

from bot.alerts import notices
from bot.alerts.areas import alert_areas
from bot.i18n import Texts
from bot.models import GeoPoint, utcnow
from bot.services import Services
from tests.test_complaints_flow import Chat

HALEPA = GeoPoint(35.5185, 24.0400)
SOUDA = GeoPoint(35.4880, 24.0750)
EL, EN = Texts("el"), Texts("en")


async def announce(services: Services, kind: str, areas: list[str], *, hours: int = 4) -> dict:
    now = utcnow()
    draft = notices.Draft(kind=kind, areas=areas, title_el="Διακοπή νερού στη Χαλέπα", body_el="Βλάβη στο δίκτυο.",
                          title_en="Water cut in Halepa", body_en="A fault in the network.",
                          valid_from=now - timedelta(hours=1), valid_until=now + timedelta(hours=hours))
    doc = await notices.create(services.store, draft, alert_areas(), author="staff:x", two_person=True)
    await notices.collection(services.store).update_one({"_id": doc["_id"]}, {"$set": {"status": "queued"}})
    return doc


async def file_with_pin(chat: Chat, text: str, intent: str, point: GeoPoint, t: Texts) -> None:
    await chat.send(text, intent=intent)
    await chat.send(location=point)
    await chat.press(t("complaints.skip_photo"))
    await chat.press(t("complaints.consent_no"))
    await chat.press(t("complaints.submit"))


async def test_a_water_complaint_in_halepa_is_told_of_the_water_cut(services: Services) -> None:
    await announce(services, "water", ["chalepa"])
    chat = Chat(services)
    await file_with_pin(chat, "Δεν έχουμε νερό από το πρωί", "complaint_water", HALEPA, EL)
    assert any(r.text.startswith("ℹ️ Υπάρχει ανακοίνωση του Δήμου για την περιοχή: «Διακοπή νερού στη Χαλέπα»")
               for r in chat.last)


async def test_in_english_the_english_title_is_given(services: Services) -> None:
    await announce(services, "water", ["chania"])  # the whole city unit: Halepa is in it
    chat = Chat(services, channel="viber", user="en-hint==", lang="en")
    await file_with_pin(chat, "No water in the tap since this morning", "complaint_water", HALEPA, EN)
    assert any('"Water cut in Halepa"' in r.text for r in chat.last)


async def test_no_hint_elsewhere_for_another_kind_or_after_the_notice_ended(services: Services) -> None:
    await announce(services, "water", ["chalepa"])
    await announce(services, "roads", ["souda"])
    elsewhere = Chat(services, user="201")
    await file_with_pin(elsewhere, "Δεν έχουμε νερό", "complaint_water", SOUDA, EL)
    other_kind = Chat(services, user="202")
    await file_with_pin(other_kind, "Δεν ανάβει η λάμπα", "complaint_lighting", HALEPA, EL)
    assert await services.store.tickets.count_documents({}) == 2  # both were filed
    for chat in (elsewhere, other_kind):
        assert chat.last and not any(r.text.startswith("ℹ️") for r in chat.last)
    await notices.collection(services.store).update_many({}, {"$set": {"valid_until": utcnow()}})
    ended = Chat(services, user="203")
    await file_with_pin(ended, "Δεν έχουμε νερό", "complaint_water", HALEPA, EL)
    assert await services.store.tickets.count_documents({}) == 3
    assert ended.last and not any(r.text.startswith("ℹ️") for r in ended.last)
