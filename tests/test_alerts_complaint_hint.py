"""A resident who reports a problem where the municipality has announced a matching notice is told of it, through
the complaints handler and the real registry (tests/test_complaints_flow.py's Chat)."""

from __future__ import annotations

from datetime import timedelta

from bot.alerts import notices
from bot.alerts.areas import alert_areas
from bot.core.i18n import Texts
from bot.core.models import GeoPoint, utcnow
from bot.core.services import Services
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


async def file_with_pin(chat: Chat, text: str, intent: str, point: GeoPoint, t: Texts) -> list[str]:
    """Files the report; returns what the bot said once the place was given (before the photo question)."""
    await chat.send(text, intent=intent)
    await chat.send(location=point)
    at_the_place = [r.text for r in chat.last]
    await chat.press(t("complaints.skip_photo"))
    await chat.press(t("complaints.consent_no"))
    await chat.press(t("complaints.submit"))
    assert not any(r.text.startswith("ℹ️") for r in chat.last)  # told once, before filing, not again after
    return at_the_place


async def test_a_water_complaint_in_halepa_is_told_of_the_water_cut(services: Services) -> None:
    await announce(services, "water", ["chalepa"])
    chat = Chat(services)
    told = await file_with_pin(chat, "Δεν έχουμε νερό από το πρωί", "complaint_water", HALEPA, EL)
    # as soon as the place is known, so the resident may stop before filing (QA F20)
    assert told[0].startswith("ℹ️ Υπάρχει ανακοίνωση του Δήμου για την περιοχή: «Διακοπή νερού στη Χαλέπα»")
    assert "άκυρο" in told[0] and told[1] == EL("complaints.ask_photo", max_mb=10)


async def test_in_english_the_english_title_is_given(services: Services) -> None:
    await announce(services, "water", ["chania"])  # the whole city unit: Halepa is in it
    chat = Chat(services, channel="viber", user="en-hint==", lang="en")
    told = await file_with_pin(chat, "No water in the tap since this morning", "complaint_water", HALEPA, EN)
    assert '"Water cut in Halepa"' in told[0]


async def test_no_hint_elsewhere_for_another_kind_or_after_the_notice_ended(services: Services) -> None:
    await announce(services, "water", ["chalepa"])
    await announce(services, "roads", ["souda"])
    elsewhere = Chat(services, user="201")
    told = await file_with_pin(elsewhere, "Δεν έχουμε νερό", "complaint_water", SOUDA, EL)
    other_kind = Chat(services, user="202")
    told += await file_with_pin(other_kind, "Δεν ανάβει η λάμπα", "complaint_lighting", HALEPA, EL)
    assert await services.store.tickets.count_documents({}) == 2  # both were filed
    assert told and not any(text.startswith("ℹ️") for text in told)
    await notices.collection(services.store).update_many({}, {"$set": {"valid_until": utcnow()}})
    ended = Chat(services, user="203")
    told = await file_with_pin(ended, "Δεν έχουμε νερό", "complaint_water", HALEPA, EL)
    assert await services.store.tickets.count_documents({}) == 3
    assert told and not any(text.startswith("ℹ️") for text in told)
