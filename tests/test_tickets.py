"""bot/tickets.py against the in-process store: references, life cycle, notifications, duplicates."""

from __future__ import annotations

import asyncio
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import tickets
from bot.core.geo import EARTH_RADIUS_M, haversine_m
from bot.core.models import Attachment, GeoPoint
from bot.core.services import Services
from tests.fixtures.services import ListOutbox

HARBOUR = GeoPoint(35.5197, 24.0180)


def north_of(point: GeoPoint, metres: float) -> GeoPoint:
    return GeoPoint(point.lat + math.degrees(metres / EARTH_RADIUS_M), point.lon)


def east_of(point: GeoPoint, metres: float) -> GeoPoint:
    return GeoPoint(point.lat, point.lon + math.degrees(metres / EARTH_RADIUS_M) / math.cos(math.radians(point.lat)))


async def new(services: Services, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"category": "complaint_lighting", "description": "Σβηστή λάμπα στην Αποκορώνου",
                            "channel": "telegram", "language": "el", "conversation_id": "telegram:1"}
    args.update(kw)
    return await tickets.create_ticket(services, **args)


# --- creation ---------------------------------------------------------------------------------------------------

async def test_create_stores_the_contract_document(services: Services) -> None:
    t = await new(services, location=HARBOUR, address="Ενετικό λιμάνι",
                  photos=[Attachment(file_id="AgAD1", size=12345), {"url": "https://x.test/p.jpg"}],
                  citizen={"phone": "+306900000000", "email": "not@kept.gr"})
    assert re.fullmatch(r"CHA-\d{4}-000001", t["reference"])
    stored = await tickets.get_ticket(services, t["reference"])
    assert stored is not None
    assert stored["category"] == "complaint_lighting"
    assert stored["department"] == "lighting" and stored["service_code"] == "CHA-LIGHT"
    assert stored["location"] == {"type": "Point", "coordinates": [24.0180, 35.5197]}
    assert stored["address"] == "Ενετικό λιμάνι"
    assert stored["photos"] == [{"file_id": "AgAD1", "url": None, "size": 12345},
                                {"file_id": None, "url": "https://x.test/p.jpg", "size": None}]
    assert stored["citizen"] == {"phone": "+306900000000"}  # nothing the work does not need
    assert stored["status"] == "new" and stored["duplicate_of"] is None and stored["notes"] == []
    assert [(h["status"], h["actor"]) for h in stored["history"]] == [("new", "citizen")]
    assert stored["channel"] == "telegram" and stored["language"] == "el"
    assert stored["conversation_id"] == "telegram:1"
    assert stored["created_at"] == stored["updated_at"] == stored["history"][0]["at"]


async def test_description_is_cut_at_2000_characters(services: Services) -> None:
    t = await new(services, description="α" * 2500)
    assert len((await tickets.get_ticket(services, t["reference"]))["description"]) == 2000  # type: ignore[index]


@pytest.mark.parametrize(("field", "value"), [("category", "complaint_weather"), ("channel", "fax"),
                                              ("language", "de")])
async def test_create_refuses_unknown_values(services: Services, field: str, value: str) -> None:
    with pytest.raises(ValueError, match=value):
        await new(services, **{field: value})
    assert await services.store.tickets.count_documents({}) == 0


async def test_concurrent_creations_get_unique_consecutive_references(services: Services) -> None:
    made = await asyncio.gather(*(new(services, description=f"#{i}") for i in range(60)))
    refs = [t["reference"] for t in made]
    assert len(set(refs)) == 60
    assert sorted(int(r[-6:]) for r in refs) == list(range(1, 61))
    assert await services.store.tickets.count_documents({}) == 60


async def test_references_start_again_at_one_in_a_new_year_of_athens(services: Services, monkeypatch) -> None:
    """The counter is per year (``ticket-<year>``), and the year is Chania's: 31 Dec 22:30 UTC is already 2027."""
    clock = iter([datetime(2026, 12, 31, 21, 0, tzinfo=UTC), datetime(2026, 12, 31, 21, 59, tzinfo=UTC),
                  datetime(2026, 12, 31, 22, 30, tzinfo=UTC), datetime(2027, 1, 2, 8, 0, tzinfo=UTC)])
    monkeypatch.setattr(tickets, "utcnow", lambda: next(clock))
    refs = [(await new(services, description=f"#{i}"))["reference"] for i in range(4)]
    assert refs == ["CHA-2026-000001", "CHA-2026-000002", "CHA-2027-000001", "CHA-2027-000002"]


async def test_a_counter_behind_the_data_skips_taken_references(services: Services) -> None:
    first = await new(services)
    await services.store.counters.update_one({"_id": f"ticket-{first['reference'][4:8]}"}, {"$set": {"seq": 0}})
    second = await new(services)
    assert second["reference"] != first["reference"]
    assert second["reference"].endswith("000002")


async def test_reference_year_is_the_local_year(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    # 22:30 UTC on New Year's Eve is already 00:30 on 1 January in Chania
    monkeypatch.setattr(tickets, "utcnow", lambda: datetime(2026, 12, 31, 22, 30, tzinfo=UTC))
    t = await new(services)
    assert t["reference"] == "CHA-2027-000001"


@pytest.mark.parametrize(("text", "ref"), [
    ("CHA-2026-000123", "CHA-2026-000123"),
    ("τι έγινε με το cha-2026-123;", "CHA-2026-000123"),
    ("CHA 2026 000045", "CHA-2026-000045"),
    ("cha2026000007", "CHA-2026-000007"),
    ("no reference here 2026-000123", None),
])
def test_parse_reference(text: str, ref: str | None) -> None:
    assert tickets.parse_reference(text) == ref


# --- status changes and notifications ---------------------------------------------------------------------------

async def test_change_status_appends_history_and_notifies_in_greek(services: Services) -> None:
    t = await new(services)
    after = await tickets.change_status(services, t["reference"], "acknowledged", actor="staff:maria",
                                        note="Θα περάσει συνεργείο αύριο")
    assert after["status"] == "acknowledged"
    assert [(h["status"], h["actor"], h["note"]) for h in after["history"]] == [
        ("new", "citizen", ""), ("acknowledged", "staff:maria", "Θα περάσει συνεργείο αύριο")]
    assert after["updated_at"] >= after["created_at"]
    assert after["updated_at"] == after["history"][-1]["at"]
    (conv, replies), = services.outbox.sent  # type: ignore[attr-defined]
    assert conv == "telegram:1"
    text = replies[0].text
    assert t["reference"] in text and "Παραλήφθηκε" in text and "Φωτισμός" in text
    assert "Θα περάσει συνεργείο αύριο" in text


async def test_notification_is_in_the_tickets_language(services: Services) -> None:
    t = await new(services, language="en", conversation_id="viber:abc")
    await tickets.change_status(services, t["reference"], "resolved", actor="staff:nikos", note="Lamp replaced")
    (conv, replies), = services.outbox.sent  # type: ignore[attr-defined]
    assert conv == "viber:abc"
    assert replies[0].text == (f"Update on your report {t['reference']} (Street lighting): Resolved.\n"
                               "Note from the department: Lamp replaced")


async def test_status_change_without_conversation_notifies_nobody(services: Services) -> None:
    t = await new(services, channel="assisted", conversation_id=None, citizen={"name": "Γ. Παπαδάκης"})
    after = await tickets.change_status(services, t["reference"], "in_progress", actor="staff:maria")
    assert after["status"] == "in_progress"
    assert services.outbox.sent == []  # type: ignore[attr-defined]


async def test_failed_delivery_does_not_undo_the_status_change(services: Services) -> None:
    t = await new(services)
    services.outbox = ListOutbox(fail=True)
    after = await tickets.change_status(services, t["reference"], "in_progress", actor="staff:maria")
    assert after["status"] == "in_progress"
    assert (await tickets.get_ticket(services, t["reference"]))["status"] == "in_progress"  # type: ignore[index]


async def test_change_status_refuses_unknown_status_and_reference(services: Services) -> None:
    t = await new(services)
    with pytest.raises(ValueError, match="closed"):
        await tickets.change_status(services, t["reference"], "closed", actor="staff:maria")
    with pytest.raises(LookupError):
        await tickets.change_status(services, "CHA-2026-999999", "resolved", actor="staff:maria")
    stored = await tickets.get_ticket(services, t["reference"])
    assert stored is not None and stored["status"] == "new" and len(stored["history"]) == 1
    assert services.outbox.sent == []  # type: ignore[attr-defined]


async def test_concurrent_status_changes_keep_every_history_entry(services: Services) -> None:
    t = await new(services)
    await asyncio.gather(*(tickets.change_status(services, t["reference"], s, actor=f"staff:{i}", note=str(i))
                           for i, s in enumerate(["acknowledged", "in_progress", "in_progress", "resolved"])))
    stored = await tickets.get_ticket(services, t["reference"])
    assert stored is not None and len(stored["history"]) == 5
    assert sorted(h["note"] for h in stored["history"][1:]) == ["0", "1", "2", "3"]
    assert stored["status"] == stored["history"][-1]["status"]


async def test_mark_duplicate(services: Services) -> None:
    original = await new(services, conversation_id="telegram:2")
    copy = await new(services)
    after = await tickets.mark_duplicate(services, copy["reference"], original["reference"], actor="staff:maria")
    assert after["status"] == "duplicate" and after["duplicate_of"] == original["reference"]
    (conv, replies), = services.outbox.sent  # type: ignore[attr-defined]
    assert conv == "telegram:1" and original["reference"] in replies[0].text
    with pytest.raises(LookupError):
        await tickets.mark_duplicate(services, copy["reference"], "CHA-2026-999999", actor="staff:maria")
    with pytest.raises(ValueError, match="itself"):
        await tickets.mark_duplicate(services, copy["reference"], copy["reference"], actor="staff:maria")


async def test_reassign_records_the_department_change(services: Services) -> None:
    t = await new(services, category="complaint_roads")
    after = await tickets.reassign(services, t["reference"], "water", actor="staff:maria", note="Διαρροή, όχι λακκούβα")
    assert after["department"] == "water" and after["status"] == "new"
    assert after["history"][-1]["department"] == "water" and after["history"][-1]["status"] == "new"
    with pytest.raises(ValueError, match="nowhere"):
        await tickets.reassign(services, t["reference"], "nowhere", actor="staff:maria")
    with pytest.raises(LookupError):
        await tickets.reassign(services, "CHA-2026-999999", "water", actor="staff:maria")
    assert services.outbox.sent == []  # type: ignore[attr-defined]


async def test_add_note_is_internal(services: Services) -> None:
    t = await new(services)
    after = await tickets.add_note(services, t["reference"], "Τηλεφώνησε ξανά", actor="staff:maria")
    assert [(n["actor"], n["text"]) for n in after["notes"]] == [("staff:maria", "Τηλεφώνησε ξανά")]
    assert after["status"] == "new" and len(after["history"]) == 1
    assert services.outbox.sent == []  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        await tickets.add_note(services, t["reference"], "   ", actor="staff:maria")
    with pytest.raises(LookupError):
        await tickets.add_note(services, "CHA-2026-999999", "x", actor="staff:maria")


# --- queries ----------------------------------------------------------------------------------------------------

async def test_find_nearby_open(services: Services) -> None:
    near = await new(services, location=north_of(HARBOUR, 30))
    nearer = await new(services, location=east_of(HARBOUR, 10))
    await new(services, location=north_of(HARBOUR, 80))  # too far
    await new(services, location=east_of(HARBOUR, 60))  # too far (east: longitude degrees are shorter)
    await new(services, location=HARBOUR, category="complaint_waste")  # other category
    closed = await new(services, location=HARBOUR)
    await tickets.change_status(services, closed["reference"], "resolved", actor="staff:maria")
    old = await new(services, location=HARBOUR)
    await services.store.tickets.update_one({"reference": old["reference"]},
                                            {"$set": {"created_at": datetime.now(UTC) - timedelta(days=31)}})
    await new(services)  # no location

    found = await tickets.find_nearby_open(services, "complaint_lighting", HARBOUR)
    assert [t["reference"] for t in found] == [nearer["reference"], near["reference"]]
    for t in found:
        assert haversine_m(HARBOUR, tickets.ticket_point(t)) <= 50  # type: ignore[arg-type]

    wider = await tickets.find_nearby_open(services, "complaint_lighting", HARBOUR, radius_m=100, days=40)
    assert len(wider) == 5  # + the 80 m and 60 m ones and the 31-day-old one


async def test_tickets_of_conversation_newest_first(services: Services) -> None:
    made = [await new(services, description=f"#{i}") for i in range(7)]
    await new(services, conversation_id="telegram:someone-else")
    mine = await tickets.tickets_of_conversation(services, "telegram:1")
    assert [t["reference"] for t in mine] == [t["reference"] for t in reversed(made)][:5]
    assert len(await tickets.tickets_of_conversation(services, "telegram:1", limit=10)) == 7


def test_local_time_is_athens() -> None:
    assert tickets.local_time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)).hour == 15  # EEST
    assert tickets.local_time(datetime(2026, 1, 1, 12, 0)).hour == 14  # naive = UTC; EET


async def test_followers_are_notified_in_their_language_without_the_note(services: Services) -> None:
    t = await new(services)  # filed in Greek by telegram:1
    await tickets.follow_ticket(services, t["reference"], "viber:fan", "en")
    again = await tickets.follow_ticket(services, t["reference"], "viber:fan", "en")  # once only
    assert [f["conversation_id"] for f in again["followers"]] == ["viber:fan"]
    assert [x["reference"] for x in await tickets.tickets_followed_by(services, "viber:fan")] == [t["reference"]]
    assert tickets.is_follower(again, "viber:fan") and not tickets.is_follower(again, "telegram:1")

    await tickets.change_status(services, t["reference"], "resolved", actor="staff:maria",
                                note="Σας καλέσαμε στο 6900000000")
    sent = dict(services.outbox.sent)  # type: ignore[attr-defined]
    assert set(sent) == {"telegram:1", "viber:fan"}
    assert "6900000000" in sent["telegram:1"][0].text
    assert sent["viber:fan"][0].text == (f"Update on report {t['reference']}, which you follow (Street lighting): "
                                         "Resolved.")
    with pytest.raises(LookupError):
        await tickets.follow_ticket(services, "CHA-2026-999999", "viber:fan", "en")
