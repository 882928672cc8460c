"""The data-protection officer's pages over real HTTP (harness: tests/fixtures/dashboard.py): find a person by phone
or reference, export and erase with legal basis and note, mark a description free of personal data; all audited."""

from __future__ import annotations

import json
import re
from typing import Any

from bot import conversations, tickets
from bot.core.models import Inbound
from bot.privacy import export, subjects
from bot.privacy.erase import ERASED
from bot.store import inbound_message_key
from tests.fixtures.dashboard import Dashboard

MARIA_PHONE = "+306944123456"


async def chatted(dashboard: Dashboard, user_id: str, text: str) -> str:
    """A Telegram conversation with one stored message, as the pipeline stores them."""
    inbound = Inbound(channel="telegram", user_id=user_id, chat_id=user_id, message_id=f"{user_id}-1", text=text)
    conv = await conversations.load_or_create(dashboard.store, inbound, "el")
    await dashboard.store.messages.insert_one(inbound.to_doc() | {
        "_id": inbound_message_key("telegram", inbound.message_id), "conversation_id": conv.id, "direction": "in",
        "status": "answered", "created_at": inbound.received_at})
    return conv.id


async def residents(dashboard: Dashboard) -> dict[str, Any]:
    maria = await chatted(dashboard, "7310455", "Δεν ανάβει η λάμπα")
    nikos = await chatted(dashboard, "7310466", "Λακκούβα")
    s = dashboard.services
    mine = await tickets.create_ticket(s, category="complaint_lighting", channel="telegram", language="el",
                                       description="Σβηστή λάμπα <script>alert(1)</script> στην Τσουδερών",
                                       conversation_id=maria, citizen={"phone": MARIA_PHONE})
    his = await tickets.create_ticket(s, category="complaint_roads", channel="telegram", language="el",
                                      description="Λακκούβα στην Κισσάμου", conversation_id=nikos)
    assisted = await tickets.create_ticket(s, category="complaint_waste", channel="assisted", language="el",
                                           description="Κάδοι γεμάτοι", citizen={"name": "Ελένη Κ.",
                                                                                 "phone": "2821012345"})
    return {"maria": maria, "nikos": nikos, "mine": mine["reference"], "his": his["reference"],
            "assisted": assisted["reference"]}


async def test_only_the_dpo_and_admin_reach_the_pages(dashboard: Dashboard) -> None:
    operator = await dashboard.login("op1", "operator")
    status, _, _ = await operator.get("/staff/privacy")
    assert status == 403
    dpo = await dashboard.login("dpo1", "dpo")
    status, text, _ = await dpo.get("/staff/privacy")
    assert status == 200 and 'href="/staff/privacy"' in text
    status, _, resp = await dpo.get("/staff/", allow_redirects=False)
    assert resp.headers["Location"] == "/staff/privacy"  # the dpo's first page
    status, _, _ = await operator.post("/staff/privacy/erase", {"q": "x", "legal_basis": "art17", "note": "n",
                                                                 "confirm": "1"})
    assert status == 403


async def test_find_by_phone_in_any_form_shows_only_that_person(dashboard: Dashboard) -> None:
    r = await residents(dashboard)
    dpo = await dashboard.login("dpo2", "dpo")
    status, text, _ = await dpo.get("/staff/privacy", params={"q": "694 412 3456"})
    assert status == 200
    assert r["mine"] in text and r["his"] not in text and r["assisted"] not in text
    assert "&lt;script&gt;" in text and "<script>alert" not in text  # citizen text escaped
    status, text, _ = await dpo.get("/staff/privacy", params={"q": "6999999999"})
    assert 'id="privacy-none"' in text
    [search, _none] = await dashboard.store.audit.find({"action": "privacy.search"}).sort("at").to_list(None)
    assert search["target"] == r["maria"] and search["actor"] == "staff:dpo2"
    assert MARIA_PHONE not in json.dumps(await dashboard.store.audit.find({}, {"_id": 0}).to_list(None), default=str)


async def test_export_needs_a_legal_basis_and_a_note_and_is_audited(dashboard: Dashboard) -> None:
    r = await residents(dashboard)
    dpo = await dashboard.login("dpo3", "dpo")
    await dpo.get("/staff/privacy", params={"q": r["mine"]})
    status, _, resp = await dpo.post("/staff/privacy/export", {"q": r["mine"], "legal_basis": "art15", "note": ""})
    assert status == 303 and "error=basis_and_note" in resp.headers["Location"]
    status, text, resp = await dpo.post("/staff/privacy/export", {
        "q": r["mine"], "legal_basis": "art15", "note": "Αρ. πρωτ. 1234/2026, ταυτότητα στο ΚΕΠ"})
    assert status == 200 and resp.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(text)
    assert [t["reference"] for t in data["tickets_filed"]] == [r["mine"]]
    assert [c["_id"] for c in data["conversations"]] == [r["maria"]]
    assert "Κισσάμου" not in text
    [entry] = await dashboard.store.audit.find({"action": "privacy.export"}).to_list(None)
    assert entry["details"] == {"legal_basis": "art15", "note": "Αρ. πρωτ. 1234/2026, ταυτότητα στο ΚΕΠ"}


async def test_erase_keeps_a_checked_description_and_leaves_no_trace(dashboard: Dashboard) -> None:
    r = await residents(dashboard)
    dpo = await dashboard.login("dpo4", "dpo")
    await dpo.get("/staff/privacy", params={"q": MARIA_PHONE})
    status, _, _ = await dpo.post(f"/staff/privacy/review/{r['mine']}", {"q": MARIA_PHONE, "free": "1"})
    assert status == 303
    status, _, _ = await dpo.post("/staff/privacy/erase", {"q": MARIA_PHONE, "legal_basis": "art17",
                                                               "note": "Επιστολή 55/2026"})  # no confirmation
    assert status == 303 and await dashboard.store.conversations.count_documents({"_id": r["maria"]}) == 1
    status, text, _ = await dpo.post("/staff/privacy/erase", {"q": MARIA_PHONE, "legal_basis": "art17",
                                                               "note": "Επιστολή 55/2026", "confirm": "1"})
    assert status == 200 and 'id="privacy-erased"' in text and r["mine"] in text

    stored = json.dumps([doc for name in await dashboard.store.db.list_collection_names()
                         async for doc in dashboard.store.db[name].find({})], default=str, ensure_ascii=False)
    for trace in (r["maria"], "7310455", MARIA_PHONE, "6944123456"):
        assert trace not in stored, trace
    ticket = await tickets.get_ticket(dashboard.services, r["mine"])
    assert ticket["description"].startswith("Σβηστή λάμπα") and ticket["citizen"] == {}  # checked: kept
    [entry] = await dashboard.store.audit.find({"action": "privacy.erase"}).to_list(None)
    assert entry["details"]["legal_basis"] == "art17" and entry["target"].startswith("erased:")
    assert await dashboard.store.messages.count_documents({"conversation_id": r["nikos"]}) == 1
    # the ticket's page tells the crew why the request lost what it lost (QA F18): it stays open
    op = await dashboard.login("op4", "operator")
    _, page, _ = await op.get(f"/staff/tickets/{r['mine']}")
    assert 'id="ticket-erased"' in page and "ζήτησε τη διαγραφή" in page


async def test_an_assisted_intake_request_is_found_by_reference_and_erased(dashboard: Dashboard) -> None:
    r = await residents(dashboard)
    dpo = await dashboard.login("dpo5", "dpo")
    _, text, _ = await dpo.get("/staff/privacy", params={"q": r["assisted"].lower().replace("-", " ")})
    assert r["assisted"] in text and "Κάδοι γεμάτοι" in text
    await dpo.post("/staff/privacy/erase", {"q": r["assisted"], "legal_basis": "art17", "note": "Στο ΚΑΠΗ",
                                            "confirm": "1"})
    ticket = await tickets.get_ticket(dashboard.services, r["assisted"])
    assert ticket["citizen"] == {} and ticket["description"] == ERASED and ticket["status"] == "new"


async def test_the_ticket_csv_masks_phones_and_emails_in_free_text(dashboard: Dashboard) -> None:
    import csv
    import io

    await residents(dashboard)
    await tickets.create_ticket(dashboard.services, category="complaint_water", channel="telegram", language="el",
                                description="Διαρροή νερού, τηλ. 6977 123 456 ή nikos@example.gr",
                                address="Τσουδερών 12, ΑΦΜ 123456789", conversation_id=None)
    op = await dashboard.login("op6", "operator")
    status, body, _ = await op.get("/staff/tickets.csv?category=complaint_water")
    assert status == 200
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Περιγραφή"] == "Διαρροή νερού, τηλ. ☎••• ή ✉•••"
    assert row["Διεύθυνση"] == "Τσουδερών 12, ΑΦΜ #•••"


async def intake(clerk: Any, phone: str, description: str, centre: str = "kapi-akrotiri") -> str:
    """A request recorded at a day centre through the intake form; its reference."""
    status, _, resp = await clerk.post("/staff/intake", {
        "name": "Ευαγγελία Μαρκάκη", "phone": phone, "address": "Κουνουπιδιανά, πλατεία", "language": "el",
        "category": "complaint_greenery", "description": description, "centre": centre})
    assert status == 303, status
    return re.fullmatch(r"/staff/intake/(CHA-\d{4}-\d{6})/receipt", resp.headers["Location"]).group(1)


async def test_a_person_known_only_by_their_phone_has_every_request_found_exported_and_erased(
        dashboard: Dashboard) -> None:
    r = await residents(dashboard)
    clerk = await dashboard.login("kapi7", "operator")
    first = await intake(clerk, "694 412 3456", "Ξερά χόρτα δίπλα στο ΚΑΠΗ")  # Maria's phone, typed at the centre
    second = await intake(clerk, "0030 6944-123456", "Σπασμένη κούνια στην παιδική χαρά")
    other = await intake(clerk, "6977 654 321", "Κλαδιά στον δρόμο")  # someone else
    dpo = await dashboard.login("dpo7", "dpo")

    # by one request's reference: the other request given with the same phone, and her chat ticket, come too
    _, text, _ = await dpo.get("/staff/privacy", params={"q": first})
    assert first in text and second in text and r["mine"] in text
    assert other not in text and r["assisted"] not in text and r["his"] not in text
    status, body, _ = await dpo.post("/staff/privacy/export", {"q": first, "legal_basis": "art15",
                                                               "note": "Αίτηση στο ΚΑΠΗ Ακρωτηρίου"})
    assert status == 200
    data = json.loads(body)
    assert sorted(t["reference"] for t in data["tickets_filed"]) == sorted([first, second, r["mine"]])
    assert data["tickets_followed"] == []

    # by the phone as she says it: the same person
    _, by_phone, _ = await dpo.get("/staff/privacy", params={"q": "+30 694 412 3456"})
    assert first in by_phone and second in by_phone and r["mine"] in by_phone and other not in by_phone

    status, text, _ = await dpo.post("/staff/privacy/erase", {"q": second, "legal_basis": "art17",
                                                               "note": "Επιστολή 77/2026", "confirm": "1"})
    assert status == 200 and 'id="privacy-erased"' in text
    for ref in (first, second, r["mine"]):
        ticket = await tickets.get_ticket(dashboard.services, ref)
        assert ticket["citizen"] == {} and ticket["description"] == ERASED, ref
    kept = await tickets.get_ticket(dashboard.services, other)
    assert kept["citizen"] == {"name": "Ευαγγελία Μαρκάκη", "phone": "+306977654321"}
    stored = json.dumps([doc async for doc in dashboard.store.tickets.find({})], default=str, ensure_ascii=False)
    assert MARIA_PHONE not in stored


async def test_the_chat_export_does_not_open_requests_given_elsewhere_with_the_same_phone(
        dashboard: Dashboard) -> None:
    r = await residents(dashboard)
    clerk = await dashboard.login("kapi8", "operator")
    at_centre = await intake(clerk, "694 412 3456", "Ξερά χόρτα δίπλα στο ΚΑΠΗ")
    subject = await subjects.of_conversation(dashboard.store, r["maria"])
    data = await export.export_subject(dashboard.store, subject, dashboard.services.settings)
    assert [t["reference"] for t in data["tickets_filed"]] == [r["mine"]]
    assert at_centre not in json.dumps(data, default=str)
