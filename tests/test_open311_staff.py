"""The staff side of Open311, over HTTP as logged-in staff: API keys issued and revoked by an admin, the private flag,
and the round trip — a request POSTed over Open311 appears in the dashboard, a clerk changes its status there, and
Open311 shows the new status and note."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.open311 import keys
from bot.open311.formats import w3c
from tests.fixtures.open311 import SPLANTZIA, Open311Server

V2 = "/open311/v2"
_KEY_RE = re.compile(r'<code id="new-key-value">([^<]+)</code>')


def _form(key: str, **fields: Any) -> dict[str, Any]:
    return {"api_key": key, "service_code": "CHA-LIGHT", "lat": str(SPLANTZIA.lat), "long": str(SPLANTZIA.lon),
            "description": "Σβηστή κολόνα φωτισμού στη Σπλάντζια", **fields}


async def test_an_admin_issues_a_key_that_is_shown_once_and_stored_as_a_hash(open311: Open311Server) -> None:
    admin = await open311.login("admin1", role="admin")
    status, html, resp = await admin.post("/staff/admin/api-keys", {"name": "Δήμος Μυτιλήνης", "rate_limit": "30"})
    assert status == 200 and resp.headers["Cache-Control"] == "no-store"
    secret = _KEY_RE.search(html).group(1)
    assert secret.startswith("cha311_") and len(secret) > 40
    [doc] = await open311.store.db[keys.KEYS].find({}).to_list(None)
    assert doc["key_hash"] == keys.hash_key(secret) and secret not in json.dumps(doc, default=str)
    assert doc["name"] == "Δήμος Μυτιλήνης" and doc["rate_limit"] == 30 and doc["created_by"] == "staff:admin1"
    status, html, _ = await admin.get("/staff/admin/api-keys")
    assert status == 200 and secret not in html and "Δήμος Μυτιλήνης" in html and doc["hint"] in html

    assert (await open311.post(f"{V2}/requests.json", _form(secret)))[0] == 200
    status, html, _ = await admin.get("/staff/admin/api-keys")
    assert re.search(r"<td>1</td>\s*<td>Ενεργό</td>", html), "one use, still active"

    status, _, resp = await admin.post(f"/staff/admin/api-keys/{doc['_id']}/revoke")
    assert status == 303 and resp.headers["Location"].endswith("/staff/admin/api-keys?done=revoked")
    assert (await open311.post(f"{V2}/requests.json", _form(secret)))[0] == 403
    status, html, _ = await admin.get("/staff/admin/audit", params={"action": "open311"})
    assert status == 200 and "api_key:Δήμος Μυτιλήνης" in html and "open311.create" in html
    actions = [e["action"] async for e in open311.store.audit.find({}).sort("at", 1)]
    assert [a for a in actions if a.startswith(("api_key.", "open311."))] == [
        "api_key.issue", "open311.create", "api_key.revoke", "open311.key_rejected"]


async def test_key_form_errors_and_who_may_manage_keys(open311: Open311Server) -> None:
    admin = await open311.login("admin1", role="admin")
    status, html, _ = await admin.post("/staff/admin/api-keys", {"name": "  ", "rate_limit": "30"})
    assert status == 400 and "Δώστε όνομα" in html
    status, html, _ = await admin.post("/staff/admin/api-keys", {"name": "FixMyStreet", "rate_limit": "0"})
    assert status == 400 and "Το όριο είναι ακέραιος" in html and 'value="FixMyStreet"' in html
    status, _, _ = await admin.post("/staff/admin/api-keys", {"name": "FixMyStreet", "rate_limit": "5"}, csrf="bad")
    assert status == 403
    assert await open311.store.db[keys.KEYS].count_documents({}) == 0
    status, _, _ = await admin.post("/staff/admin/api-keys/nope/revoke")
    assert status == 404
    operator = await open311.login("op1", role="operator")
    assert (await operator.get("/staff/admin/api-keys"))[0] == 403
    assert (await operator.post("/staff/admin/api-keys", {"name": "x", "rate_limit": "5"}))[0] == 403
    status, html, _ = await admin.get("/staff/monitor")
    assert "/staff/admin/api-keys" in html
    assert "/staff/admin/api-keys" not in (await operator.get("/staff/monitor"))[1]


async def test_a_clerk_keeps_a_ticket_private(open311: Open311Server) -> None:
    ticket = await open311.ticket("complaint_noise", "Μουσική ως τις 3 το πρωί, τηλ. 6987654321")
    ref = ticket["reference"]
    clerk = await open311.login("police1", role="department", departments=("municipal_police",))
    status, html, _ = await clerk.get(f"/staff/tickets/{ref}")
    assert status == 200 and f"/staff/tickets/{ref}/public" in html
    status, html, _ = await clerk.get(f"/staff/tickets/{ref}/public")
    assert status == 200 and "Δημόσιο μέσω Open311" in html
    assert "6987654321" not in html.split('id="public-record"')[1]  # the public record shows the redacted text
    status, _, _ = await clerk.post(f"/staff/tickets/{ref}/public/private", {"private": "1"})
    assert status == 303
    assert (await open311.get(f"{V2}/requests/{ref}.json"))[0] == 404
    status, html, _ = await clerk.get(f"/staff/tickets/{ref}/public")
    assert "Ιδιωτικό" in html
    await clerk.post(f"/staff/tickets/{ref}/public/private", {"private": "0"})
    assert (await open311.get(f"{V2}/requests/{ref}.json"))[0] == 200
    lighting = await open311.login("light1", role="department", departments=("lighting",))
    assert (await lighting.post(f"/staff/tickets/{ref}/public/private", {"private": "1"}))[0] == 403
    assert (await open311.get(f"{V2}/requests/{ref}.json"))[0] == 200
    entries = [e["details"]["private"] async for e in open311.store.audit.find({"action": "ticket.private"})]
    assert entries == [True, False]


async def test_round_trip_post_dashboard_status_change_get(open311: Open311Server) -> None:
    key = await open311.key("Back office ΔΕΥΑΧ")
    code, _, body = await open311.post(f"{V2}/requests.xml", _form(
        key, service_code="CHA-WATER", description="Διαρροή νερού στην οδό Δασκαλογιάννη"))
    assert code == 200
    ref = re.search(rb"<service_request_id>(CHA-\d{4}-\d{6})</service_request_id>", body).group(1).decode()

    clerk = await open311.login("water1", role="department", departments=("water",))
    status, html, _ = await clerk.get("/staff/tickets")
    assert status == 200 and ref in html
    status, html, _ = await clerk.get(f"/staff/tickets/{ref}")
    assert status == 200 and "Διαρροή νερού στην οδό Δασκαλογιάννη" in html and "Open311" in html

    note = "Η βλάβη αποκαταστάθηκε. Για απορίες: 2821036000"
    status, _, resp = await clerk.post(f"/staff/tickets/{ref}/status", {"status": "resolved", "note": note})
    assert status == 303 and "done=status_changed" in resp.headers["Location"]

    code, _, body = await open311.get(f"{V2}/requests/{ref}.json", locale="en")
    [req] = json.loads(body)
    assert req["status"] == "closed"
    assert req["status_notes"].startswith("Η βλάβη αποκαταστάθηκε. Για απορίες:")
    assert "2821036000" not in req["status_notes"]
    ticket = await open311.store.tickets.find_one({"reference": ref})
    assert req["updated_datetime"] == w3c(ticket["updated_at"]) and ticket["history"][-1]["actor"] == "staff:water1"
    assert req["agency_responsible"] == "Chania Water and Sewerage Utility (DEYACH)"
    closed = json.loads((await open311.get(f"{V2}/requests.json", status="closed"))[2])
    assert [r["service_request_id"] for r in closed] == [ref]
    assert open311.outbox.sent == []  # nobody to notify on a chat: the other system reads the status


async def test_the_ticket_page_shows_what_the_other_system_answered(open311: Open311Server) -> None:
    existing = await open311.ticket("complaint_waste", "Γεμάτος κάδος", location=SPLANTZIA)
    key = await open311.key("<b>FixMyStreet</b>")
    code, _, body = await open311.post(f"{V2}/requests.json", _form(
        key, service_code="CHA-WASTE", description="Ένας καναπές δίπλα στους κάδους",
        **{"attribute[waste_kind]": "bulky"}))
    assert code == 200
    ref = json.loads(body)[0]["service_request_id"]
    clerk = await open311.login("clean1", role="department", departments=("cleaning",))
    status, html, _ = await clerk.get(f"/staff/tickets/{ref}")
    assert status == 200
    assert "<dt>Τι είδους απορρίμματα;</dt><dd>Ογκώδη αντικείμενα</dd>" in html
    assert "Ίσως ίδιο με" in html and f'href="/staff/tickets/{existing["reference"]}"' in html
    assert "&lt;b&gt;FixMyStreet&lt;/b&gt;" in html and "<b>FixMyStreet</b>" not in html
    english = await open311.login("clean2", role="department", departments=("cleaning",))
    assert (await english.post("/staff/language", {"lang": "en"}))[0] == 303
    status, html, _ = await english.get(f"/staff/tickets/{ref}")
    assert "<dt>What kind of waste?</dt><dd>Bulky items</dd>" in html and "Possibly the same as" in html
