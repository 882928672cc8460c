"""Open311 GeoReport v2 conformance (http://wiki.open311.org/GeoReport_v2), over HTTP against the real sub-app.

Every endpoint is read in both formats: the JSON document must have exactly the spec's fields, in the spec's order,
and the XML document the spec's root and item elements with the same content (:func:`xml_matches_json`).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot import tickets
from bot.core.models import Attachment, utcnow
from bot.privacy.redaction import MASKS
from bot.tickets import local_time
from tests.fakes.nominatim import FakeNominatim
from tests.fakes.telegram import FakeBotApi, file_ids_asked
from tests.fixtures.open311 import AGORA, OUTSIDE, SPLANTZIA, Open311Server

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
CREATED_FIELDS = ["service_request_id", "service_notice", "account_id"]
ERROR_FIELDS = ["code", "description"]
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
LIST_ITEMS = {"services": "service", "service_requests": "request", "errors": "error"}
V2 = "/open311/v2"


# ---------------------------------------------------------------- reading both formats

def _xml_value(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return element.text
    tags = {c.tag for c in children}
    if (len(tags) == 1 and len(children) > 1) or element.tag in ("formats", "attributes", "values", "endpoints"):
        return [_xml_value(c) for c in children]
    return {c.tag: _xml_value(c) for c in children}


def parse_xml(body: bytes, root: str) -> Any:
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), body[:60]
    element = ET.fromstring(body)  # noqa: S314 - our own output
    assert element.tag == root
    if root in LIST_ITEMS:
        assert all(child.tag == LIST_ITEMS[root] for child in element), [c.tag for c in element]
        return [{c.tag: _xml_value(c) for c in item} for item in element]
    return {c.tag: _xml_value(c) for c in element}


def _as_xml_text(value: Any) -> Any:
    if value is None or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {k: _as_xml_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_xml_text(v) for v in value]
    return str(value)


def xml_matches_json(xml_doc: Any, json_doc: Any) -> bool:
    if isinstance(json_doc, list):  # a list document: an empty one is an empty root element
        return xml_doc == [_as_xml_text(item) for item in json_doc]
    return xml_doc == _as_xml_text(json_doc)


async def both(server: Open311Server, path: str, root: str, expect: int = 200, **params: Any) -> Any:
    """GET ``path.json`` and ``path.xml``; checks status, content types and that both say the same; the JSON."""
    code, headers, body = await server.get(f"{path}.json", **params)
    assert code == expect, body
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(body)
    code, headers, xml_body = await server.get(f"{path}.xml", **params)
    assert code == expect, xml_body
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert xml_matches_json(parse_xml(xml_body, root), document), (xml_body, document)
    return document


def errors_of(document: list[dict[str, Any]]) -> list[str]:
    assert document and all(list(e) == ERROR_FIELDS for e in document), document
    return [e["description"] for e in document]


# ---------------------------------------------------------------- discovery and services

async def test_discovery_document_in_both_formats(open311: Open311Server) -> None:
    doc = await both(open311, "/open311/discovery", "discovery")
    assert list(doc) == ["changeset", "contact", "key_service", "endpoints"]
    assert W3C.match(doc["changeset"])
    assert "Χανίων" in doc["contact"] and "κλειδιά" in doc["key_service"].lower()
    [endpoint] = doc["endpoints"]
    assert list(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://bot.example.test/open311/v2"
    assert endpoint["type"] == "test"  # demo store
    assert endpoint["formats"] == ["text/xml", "application/json"]
    english = await both(open311, "/open311/discovery", "discovery", locale="en_GB")
    assert "Municipality of Chania" in english["contact"]


async def test_services_are_the_categories_in_the_requested_language(open311: Open311Server) -> None:
    greek = await both(open311, f"{V2}/services", "services")
    english = await both(open311, f"{V2}/services", "services", locale="en")
    assert all(list(s) == SERVICE_FIELDS for s in greek + english)
    codes = [s["service_code"] for s in greek]
    assert codes[:3] == ["CHA-LIGHT", "CHA-WASTE", "CHA-ROAD"] and len(codes) == 9
    light_el, light_en = greek[0], english[0]
    assert light_el["service_name"] == "Φωτισμός" and light_en["service_name"] == "Street lighting"
    assert light_el["group"] == "Τμήμα Ηλεκτροφωτισμού" and light_en["group"] == "Street Lighting Department"
    assert all(s["type"] == "realtime" for s in english)
    with_attributes = [s["service_code"] for s in english if s["metadata"] is True]
    assert with_attributes == ["CHA-LIGHT", "CHA-WASTE", "CHA-ANIMAL"]
    assert all(s["metadata"] is False for s in english if s["service_code"] not in with_attributes)
    assert "broken lamp posts" in light_en["keywords"].split(", ")


ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"]


async def test_service_definition_and_an_unknown_service_code(open311: Open311Server) -> None:
    doc = await both(open311, f"{V2}/services/CHA-WATER", "service_definition")
    assert doc == {"service_code": "CHA-WATER", "attributes": []}
    waste = await both(open311, f"{V2}/services/CHA-WASTE", "service_definition")
    [kind] = waste["attributes"]
    assert list(kind) == ATTRIBUTE_FIELDS
    assert (kind["code"], kind["datatype"], kind["required"], kind["order"]) == ("waste_kind", "singlevaluelist",
                                                                                 False, 1)
    assert kind["description"] == "Τι είδους απορρίμματα;" and kind["variable"] is True
    assert kind["values"][2] == {"key": "bulky", "name": "Ογκώδη αντικείμενα"}
    animal = await both(open311, f"{V2}/services/CHA-ANIMAL", "service_definition", locale="en")
    assert animal["attributes"][0]["required"] is True
    assert [v["name"] for v in animal["attributes"][0]["values"]] == ["Stray", "Injured", "Dead", "Rats or insects"]
    pole = (await both(open311, f"{V2}/services/CHA-LIGHT", "service_definition"))["attributes"][0]
    assert pole["datatype"] == "string" and pole["values"] == []
    missing = await both(open311, f"{V2}/services/NOPE", "errors", expect=404, locale="en")
    assert errors_of(missing) == ["Unknown service_code NOPE; see services.json for the list."]
    assert missing[0]["code"] == 404


async def test_jurisdiction_id_is_accepted_and_checked(open311: Open311Server) -> None:
    assert len(await both(open311, f"{V2}/services", "services", jurisdiction_id="chania.gr")) == 9
    wrong = await both(open311, f"{V2}/services", "errors", expect=404, jurisdiction_id="paphos.cy", locale="en")
    assert errors_of(wrong) == ["Unknown jurisdiction_id; this server is chania.gr."]
    wrong = await both(open311, f"{V2}/requests", "errors", expect=404, jurisdiction_id="mytilene.gr")
    assert "chania.gr" in errors_of(wrong)[0]


# ---------------------------------------------------------------- reading requests

async def test_a_request_has_every_field_of_the_spec_in_both_formats(open311: Open311Server) -> None:
    ticket = await open311.ticket("complaint_roads", "Λακκούβα μπροστά στο 12, πάρτε με στο 6912345678",
                                  address="Πλατεία Αγοράς 1")
    [req] = await both(open311, f"{V2}/requests", "service_requests")
    assert list(req) == REQUEST_FIELDS
    assert req["service_request_id"] == ticket["reference"] and re.fullmatch(r"CHA-\d{4}-\d{6}", ticket["reference"])
    assert req["status"] == "open" and req["status_notes"] is None
    assert req["service_name"] == "Δρόμοι – πεζοδρόμια" and req["service_code"] == "CHA-ROAD"
    assert req["agency_responsible"] == "Διεύθυνση Τεχνικών Υπηρεσιών"
    assert "6912345678" not in req["description"] and req["description"].startswith("Λακκούβα μπροστά στο 12")
    assert req["address"] == "Πλατεία Αγοράς 1"
    assert (req["lat"], req["long"]) == (AGORA.lat, AGORA.lon)
    assert W3C.match(req["requested_datetime"]) and W3C.match(req["updated_datetime"])
    assert datetime.fromisoformat(req["requested_datetime"]) == ticket["created_at"].replace(microsecond=0)
    assert req["requested_datetime"][-6:] in ("+02:00", "+03:00")  # Europe/Athens
    assert req["media_url"] is None and req["expected_datetime"] is None
    [same] = await both(open311, f"{V2}/requests/{ticket['reference']}", "service_requests", locale="en")
    assert same["service_name"] == "Roads and pavements" and same["service_request_id"] == ticket["reference"]
    lower = ticket["reference"].lower()
    assert (await both(open311, f"{V2}/requests/{lower}", "service_requests"))[0]["service_code"] == "CHA-ROAD"


async def test_status_maps_to_open_or_closed_with_the_last_status_note_redacted(open311: Open311Server) -> None:
    ticket = await open311.ticket()
    ref = ticket["reference"]
    for status, expected in (("acknowledged", "open"), ("in_progress", "open"), ("resolved", "closed"),
                             ("rejected", "closed"), ("referred", "closed"), ("new", "open")):
        await tickets.change_status(open311.services, ref, status, actor="staff:anna",
                                    note=f"Σημείωση {status}: καλέστε 2821341600 ή anna@chania.gr")
        [req] = await both(open311, f"{V2}/requests/{ref}", "service_requests")
        assert req["status"] == expected, status
        assert req["status_notes"].startswith(f"Σημείωση {status}:")
        assert "2821341600" not in req["status_notes"] and "anna@chania.gr" not in req["status_notes"]
    await tickets.reassign(open311.services, ref, "cleaning", actor="staff:anna", note="εσωτερικό")
    [req] = await both(open311, f"{V2}/requests/{ref}", "service_requests")
    assert req["status_notes"].startswith("Σημείωση new:")  # a reassignment's note is not a status note
    await tickets.change_status(open311.services, ref, "resolved", actor="staff:anna")
    [req] = await both(open311, f"{V2}/requests/{ref}", "service_requests")
    assert req["status"] == "closed" and req["status_notes"] is None
    other = await open311.ticket()
    await tickets.mark_duplicate(open311.services, other["reference"], ref, actor="staff:anna")
    [dup] = await both(open311, f"{V2}/requests/{other['reference']}", "service_requests")
    assert dup["status"] == "closed"


async def test_private_and_assisted_intake_tickets_are_left_out(open311: Open311Server) -> None:
    public = await open311.ticket(description="δημόσιο")
    private = await open311.ticket(description="ιδιωτικό")
    await open311.store.tickets.update_one({"reference": private["reference"]}, {"$set": {"private": True}})
    assisted = await open311.ticket(description="από ΚΑΠΗ", channel="assisted", citizen={"name": "Μαρία Π."})
    listed = await both(open311, f"{V2}/requests", "service_requests")
    assert [r["service_request_id"] for r in listed] == [public["reference"]]
    for hidden in (private, assisted):
        missing = await both(open311, f"{V2}/requests/{hidden['reference']}", "errors", expect=404)
        assert hidden["reference"] in errors_of(missing)[0]
    ids = ",".join(t["reference"] for t in (public, private, assisted))
    asked = await both(open311, f"{V2}/requests", "service_requests", service_request_id=ids)
    assert [r["service_request_id"] for r in asked] == [public["reference"]]


async def test_filters_of_the_spec(open311: Open311Server) -> None:
    light = await open311.ticket("complaint_lighting")
    waste = await open311.ticket("complaint_waste", "Αμάζευτα σκουπίδια")
    water = await open311.ticket("complaint_water", "Διαρροή νερού")
    await tickets.change_status(open311.services, water["reference"], "resolved", actor="staff:anna", note="ok")
    old = await open311.ticket("complaint_lighting", "παλιό")
    long_ago = utcnow() - timedelta(days=40)
    await open311.store.tickets.update_one({"reference": old["reference"]}, {"$set": {"created_at": long_ago}})

    def refs(doc: list[dict[str, Any]]) -> list[str]:
        return [r["service_request_id"] for r in doc]

    got = await both(open311, f"{V2}/requests", "service_requests", service_code="CHA-LIGHT")
    assert refs(got) == [light["reference"], old["reference"]]  # newest first
    got = await both(open311, f"{V2}/requests", "service_requests", service_code="CHA-WASTE,CHA-WATER")
    assert refs(got) == [water["reference"], waste["reference"]]
    assert refs(await both(open311, f"{V2}/requests", "service_requests", status="closed")) == [water["reference"]]
    got = await both(open311, f"{V2}/requests", "service_requests", status="open")
    assert set(refs(got)) == {light["reference"], waste["reference"], old["reference"]}
    assert len(await both(open311, f"{V2}/requests", "service_requests", status="open,closed")) == 4
    since = (utcnow() - timedelta(days=7)).astimezone().isoformat(timespec="seconds")
    got = await both(open311, f"{V2}/requests", "service_requests", start_date=since)
    assert old["reference"] not in refs(got) and len(got) == 3
    until = (utcnow() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert refs(await both(open311, f"{V2}/requests", "service_requests", end_date=until)) == [old["reference"]]
    old_day = local_time(long_ago).date()
    got = await both(open311, f"{V2}/requests", "service_requests", start_date=old_day.isoformat(),
                     end_date=old_day.isoformat())  # bare W3C dates: that whole day in Chania
    assert refs(got) == [old["reference"]]
    day_after = (old_day + timedelta(days=1)).isoformat()
    assert await both(open311, f"{V2}/requests", "service_requests", start_date=day_after, end_date=day_after) == []
    got = await both(open311, f"{V2}/requests", "service_requests",
                     service_request_id=f"{waste['reference']}, {old['reference'].lower()}", status="closed")
    assert set(refs(got)) == {waste["reference"], old["reference"]}  # with ids, the other filters are ignored


async def test_invalid_query_parameters_are_all_reported(open311: Open311Server) -> None:
    doc = await both(open311, f"{V2}/requests", "errors", expect=400, locale="en", service_code="CHA-LIGHT,XYZ",
                     start_date="yesterday", end_date="2026-07-14T09:30:00", page="0")
    messages = errors_of(doc)
    assert all(e["code"] == 400 for e in doc)
    assert messages == [
        "page must be a whole number from 1 to 100000.",
        "Unknown service_code XYZ; see services.json for the list.",
        "start_date must be a W3C date-time with a time zone, e.g. 2026-07-14T09:30:00+03:00.",
        "end_date must be a W3C date-time with a time zone, e.g. 2026-07-14T09:30:00+03:00.",
    ]
    doc = await both(open311, f"{V2}/requests", "errors", expect=400, status="pending")
    assert errors_of(doc) == ["Άγνωστη κατάσταση pending· χρησιμοποιήστε open ή closed."]
    doc = await both(open311, f"{V2}/requests", "errors", expect=400, locale="en",
                     start_date="2026-08-01T00:00:00+03:00", end_date="2026-07-01T00:00:00+03:00")
    assert errors_of(doc) == ["start_date is after end_date."]
    doc = await both(open311, f"{V2}/requests", "errors", expect=400, locale="en", service_request_id="CHA-2026-1,abc")
    assert errors_of(doc) == ["abc is not a service_request_id of this server (e.g. CHA-2026-000123)."]
    assert (await open311.get(f"{V2}/requests.csv"))[0] == 404


async def test_paging_with_page_and_page_size(open311: Open311Server) -> None:
    made = [await open311.ticket(description=f"λάμπα {i}") for i in range(5)]
    newest_first = [t["reference"] for t in reversed(made)]
    seen: list[str] = []
    for page in (1, 2, 3):
        code, headers, body = await open311.get(f"{V2}/requests.json", page=page, page_size=2)
        assert code == 200 and headers["X-Total-Count"] == "5"
        seen += [r["service_request_id"] for r in json.loads(body)]
        link = headers.get("Link", "")
        assert ('rel="next"' in link) == (page < 3) and ('rel="prev"' in link) == (page > 1)
        if page < 3:
            assert f"page={page + 1}" in link and "page_size=2" in link and link.startswith("<http://bot.example.test")
    assert seen == newest_first
    code, _, body = await open311.get(f"{V2}/requests.json", page=4, page_size=2)
    assert code == 200 and json.loads(body) == []
    code, _, body = await open311.get(f"{V2}/requests.json", page_size=1001)
    assert code == 400 and "page_size" in json.loads(body)[0]["description"]


# ---------------------------------------------------------------- filing requests

async def public_text(server: Open311Server, reference: str) -> tuple[dict[str, Any], str]:
    """The request as the public reads it: the JSON document, and the XML body as text."""
    [req] = await both(server, f"{V2}/requests/{reference}", "service_requests")
    _, _, xml_body = await server.get(f"{V2}/requests/{reference}.xml")
    return req, xml_body.decode()


async def test_names_in_descriptions_do_not_reach_the_public(open311: Open311Server) -> None:
    greek = await open311.ticket("complaint_lighting",
                                 "Με λένε Μαρία Σηφάκη και η λάμπα στην Τσουδερών δεν ανάβει εδώ και μέρες")
    lower = await open311.ticket("complaint_waste", "λέγομαι γιώργος παπαδάκης, οι κάδοι στη Χαλέπα ξεχειλίζουν")
    english = await open311.ticket("complaint_roads", "My name is John Smith. Pothole outside number 12",
                                   language="en")
    for ticket, private, public in (
            (greek, ("Μαρία", "Σηφάκη"), ("Με λένε", "η λάμπα στην Τσουδερών δεν ανάβει")),
            (lower, ("γιώργος", "παπαδάκης"), ("λέγομαι", "οι κάδοι στη Χαλέπα ξεχειλίζουν")),
            (english, ("John", "Smith"), ("My name is", "Pothole outside number 12"))):
        req, xml = await public_text(open311, ticket["reference"])
        for word in private:
            assert word not in req["description"] and word not in xml, (word, req["description"])
        for words in public:
            assert words in req["description"] and words in xml
        assert MASKS["name"] in req["description"]


async def test_the_reporters_own_name_is_masked_wherever_it_appears(open311: Open311Server) -> None:
    key = await open311.key()
    code, _, body = await open311.post(f"{V2}/requests.json", _form(
        key, first_name="Γιώργος", last_name="Παπαδάκης",
        description="Ο Γιώργος Παπαδάκης από τον 3ο όροφο είδε την κολόνα σβηστή· ρωτήστε τον κ. ΠΑΠΑΔΑΚΗ"))
    assert code == 200
    [created] = json.loads(body)
    reference = created["service_request_id"]
    await tickets.change_status(open311.services, reference, "in_progress", actor="staff:op",
                                note="Ενημερώσαμε τον κ. Παπαδάκη, το συνεργείο έρχεται")
    req, xml = await public_text(open311, reference)
    for form in ("Γιώργος", "Παπαδάκης", "ΠΑΠΑΔΑΚΗ", "Παπαδάκη"):
        assert form not in req["description"] and form not in (req["status_notes"] or "") and form not in xml, form
    assert "από τον 3ο όροφο είδε την κολόνα σβηστή" in req["description"]
    assert req["status_notes"].endswith("το συνεργείο έρχεται")
    ticket = await open311.store.tickets.find_one({"reference": reference})
    assert ticket["description"].startswith("Ο Γιώργος Παπαδάκης")  # the staff's own record keeps the words


def _form(key: str, **fields: Any) -> dict[str, Any]:
    return {"api_key": key, "service_code": "CHA-LIGHT", "lat": str(SPLANTZIA.lat), "long": str(SPLANTZIA.lon),
            "description": "Σβηστή κολόνα στην πλατεία Σπλάντζια", **fields}


async def test_post_files_a_ticket_on_the_open311_channel(open311: Open311Server) -> None:
    key = await open311.key("Δήμος Πάφου")
    code, headers, body = await open311.post(f"{V2}/requests.json", _form(
        key, jurisdiction_id="chania.gr", first_name="Ελένη", last_name="Κ.", phone="6912345678",
        email="eleni@example.org", device_id="dev-1", account_id="42", media_url="https://paphos.example/p/1.jpg"))
    assert code == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    [created] = json.loads(body)
    assert list(created) == CREATED_FIELDS and created["service_notice"] is None and created["account_id"] is None
    ticket = await open311.store.tickets.find_one({"reference": created["service_request_id"]})
    assert ticket["channel"] == "open311" and ticket["category"] == "complaint_lighting"
    assert ticket["department"] == "lighting" and ticket["status"] == "new" and ticket["language"] == "el"
    assert ticket["location"] == {"type": "Point", "coordinates": [SPLANTZIA.lon, SPLANTZIA.lat]}
    assert ticket["citizen"] == {"name": "Ελένη Κ.", "phone": "+306912345678"}
    assert "eleni@example.org" not in json.dumps(ticket, default=str)  # not needed for the work: not stored
    assert ticket["photos"] == [{"file_id": None, "url": "https://paphos.example/p/1.jpg", "size": None}]
    assert ticket["open311"]["client"] == "Δήμος Πάφου"
    assert ticket["history"][0]["actor"] == "api_key:Δήμος Πάφου"
    entry = await open311.store.audit.find_one({"action": "open311.create"})
    assert entry["actor"] == "api_key:Δήμος Πάφου" and entry["target"] == ticket["reference"]

    code, _, xml_body = await open311.post(f"{V2}/requests.xml", _form(key, address_string="Πλατεία 1866"))
    assert code == 200
    [created_xml] = parse_xml(xml_body, "service_requests")
    assert list(created_xml) == CREATED_FIELDS and created_xml["service_request_id"].startswith("CHA-")
    assert created_xml["service_request_id"] != created["service_request_id"]
    [public] = await both(open311, f"{V2}/requests/{created_xml['service_request_id']}", "service_requests")
    assert public["address"] == "Πλατεία 1866" and public["media_url"] is None


async def test_post_by_address_only_and_in_english(open311: Open311Server) -> None:
    key = await open311.key()
    code, _, body = await open311.post(f"{V2}/requests.json", {
        "api_key": key, "service_code": "CHA-WASTE", "address_string": "Odos Chalidon 20", "locale": "en",
        "description": "Bins not emptied for a week"})
    assert code == 200
    ref = json.loads(body)[0]["service_request_id"]
    ticket = await open311.store.tickets.find_one({"reference": ref})
    assert ticket["location"] is None and ticket["address"] == "Odos Chalidon 20" and ticket["language"] == "en"


async def test_post_answers_the_service_attributes(open311: Open311Server) -> None:
    key = await open311.key()
    code, _, body = await open311.post(f"{V2}/requests.json", _form(
        key, service_code="CHA-WASTE", **{"attribute[waste_kind]": "bulky"}))
    assert code == 200
    ticket = await open311.store.tickets.find_one({"reference": json.loads(body)[0]["service_request_id"]})
    assert ticket["attributes"] == {"waste_kind": "bulky"}
    code, _, body = await open311.post(f"{V2}/requests.json", _form(key, service_code="CHA-ANIMAL", locale="en"))
    assert code == 400 and errors_of(json.loads(body)) == ["attribute[animal_state] is required."]
    code, _, body = await open311.post(f"{V2}/requests.json", _form(
        key, service_code="CHA-ANIMAL", locale="en", **{"attribute[animal_state]": "asleep", "attribute[colour]": "x"}))
    assert code == 400 and errors_of(json.loads(body)) == [
        "attribute[colour] is not an attribute of CHA-ANIMAL; see its service definition.",
        "attribute[animal_state]: asleep is not one of stray, injured, dead, pests."]
    code, _, body = await open311.post(f"{V2}/requests.json", [
        *_form(key, service_code="CHA-ANIMAL", locale="en").items(),
        ("attribute[animal_state]", "stray"), ("attribute[animal_state]", "dead")])
    assert code == 400 and errors_of(json.loads(body)) == ["attribute[animal_state] takes one value."]
    code, _, body = await open311.post(f"{V2}/requests.json", _form(
        key, service_code="CHA-LIGHT", **{"attribute[pole_number]": "Κ-1234"}))
    assert code == 200
    ticket = await open311.store.tickets.find_one({"reference": json.loads(body)[0]["service_request_id"]})
    assert ticket["attributes"] == {"pole_number": "Κ-1234"}
    assert await open311.store.tickets.count_documents({}) == 2


async def test_post_runs_the_duplicate_check(open311: Open311Server) -> None:
    key = await open311.key()
    existing = await open311.ticket("complaint_lighting", location=SPLANTZIA)
    code, _, body = await open311.post(f"{V2}/requests.json", _form(key, locale="en"))
    assert code == 200
    [created] = json.loads(body)
    assert existing["reference"] in created["service_notice"]
    ticket = await open311.store.tickets.find_one({"reference": created["service_request_id"]})
    assert ticket["possible_duplicate_of"] == existing["reference"] and ticket["status"] == "new"
    code, _, body = await open311.post(f"{V2}/requests.json", _form(key, service_code="CHA-WATER"))
    assert json.loads(body)[0]["service_notice"] is None  # another category at the same place


async def test_every_invalid_field_is_reported_and_nothing_is_stored(open311: Open311Server) -> None:
    key = await open311.key()
    before = await open311.store.tickets.count_documents({})
    code, _, body = await open311.post(f"{V2}/requests.json", {
        "api_key": key, "locale": "en", "service_code": "CHA-NOPE", "lat": "35.5", "long": "",
        "description": "x" * 2001, "phone": "12", "media_url": "javascript:alert(1)"})
    assert code == 400
    assert errors_of(json.loads(body)) == [
        "Unknown service_code CHA-NOPE; see services.json for the list.",
        "lat and long go together: send both or neither.",
        "description is longer than 2000 characters.",
        "phone is not a valid phone number.",
        "media_url must be an http or https URL.",
    ]
    cases = [
        ({"service_code": ""}, "service_code is required."),
        ({"lat": str(OUTSIDE.lat), "long": str(OUTSIDE.lon)}, "The position is outside the Municipality of Chania."),
        ({"lat": "north", "long": "24"}, "lat and long must be decimal degrees (WGS84)."),
        ({"lat": "nan", "long": "24"}, "lat and long must be decimal degrees (WGS84)."),
        ({"lat": "", "long": ""}, "A location is required: lat and long, or address_string."),
        ({"lat": "", "long": "", "address_id": "77"}, "address_id is not used by this server: send lat and long, "
                                                       "or address_string."),
        ({"address_string": "α" * 301}, "address_string is longer than 300 characters."),
    ]
    for fields, message in cases:
        code, _, body = await open311.post(f"{V2}/requests.json", _form(key, locale="en", **fields))
        assert code == 400 and errors_of(json.loads(body)) == [message], fields
    code, _, body = await open311.post(f"{V2}/requests.xml", _form(key, service_code=""))
    assert code == 400
    [error] = parse_xml(body, "errors")
    assert error == {"code": "400", "description": "Το πεδίο service_code είναι υποχρεωτικό."}
    code, _, body = await open311.post(f"{V2}/requests.json", _form(key, jurisdiction_id="rethymno.gr"))
    assert code == 404
    assert await open311.store.tickets.count_documents({}) == before
    assert await open311.store.audit.count_documents({"action": "open311.invalid"}) == 10


async def test_a_missing_wrong_or_revoked_key_is_refused(open311: Open311Server) -> None:
    from bot.open311 import keys

    for form in ({}, {"api_key": "cha311_guessed"}, {"api_key": "x" * 5000}):
        code, _, body = await open311.post(f"{V2}/requests.json", {**_form(""), **form, "locale": "en"})
        assert code == 403
        assert errors_of(json.loads(body)) == ["Invalid or revoked api_key: the request was not filed."]
    key = await open311.key("Μυτιλήνη")
    [record] = await keys.list_keys(open311.store)
    assert (await open311.post(f"{V2}/requests.json", _form(key)))[0] == 200
    await keys.revoke(open311.store, record.id, actor="staff:admin")
    assert (await open311.post(f"{V2}/requests.json", _form(key)))[0] == 403
    assert await open311.store.tickets.count_documents({}) == 1
    assert await open311.store.audit.count_documents({"action": "open311.key_rejected"}) == 4


async def test_rate_limit_per_key(open311: Open311Server) -> None:
    limited = await open311.key("Δοκιμή", rate_limit=2)
    other = await open311.key("Άλλο σύστημα", rate_limit=2)
    statuses = [(await open311.post(f"{V2}/requests.json", _form(limited, service_code=c)))[0]
                for c in ("CHA-ROAD", "CHA-NOISE")]
    code, headers, body = await open311.post(f"{V2}/requests.json", _form(limited, locale="en"))
    assert statuses == [200, 200] and code == 429
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert errors_of(json.loads(body))[0].startswith("Too many requests with this api_key")
    assert (await open311.post(f"{V2}/requests.json", _form(other)))[0] == 200  # each key has its own limit
    assert await open311.store.tickets.count_documents({}) == 3
    assert await open311.store.audit.count_documents({"action": "open311.rate_limited"}) == 1


# ---------------------------------------------------------------- photos

async def test_only_photos_approved_by_staff_are_public(open311: Open311Server) -> None:
    ticket = await open311.ticket(photos=[Attachment(url="/chat/uploads/a1.jpg", size=2048),
                                          Attachment(url="/chat/uploads/b2.jpg", size=4096)])
    ref = ticket["reference"]
    [req] = await both(open311, f"{V2}/requests/{ref}", "service_requests")
    assert req["media_url"] is None
    for index in (0, 1, 2):
        assert (await open311.get(f"{V2}/media/{ref}/{index}"))[0] == 404
    clerk = await open311.login("eleni", role="operator")
    status, html, _ = await clerk.get(f"/staff/tickets/{ref}/public")
    assert status == 200 and "Μη δημόσια" in html
    status, _, resp = await clerk.post(f"/staff/tickets/{ref}/public/photos/1", {"approved": "1"})
    assert status == 303 and resp.headers["Location"].endswith(f"/staff/tickets/{ref}/public?done=saved")
    [req] = await both(open311, f"{V2}/requests/{ref}", "service_requests")
    assert req["media_url"] == f"http://bot.example.test/open311/v2/media/{ref}/1"
    async with open311.http.get(f"{open311.url}{V2}/media/{ref}/1", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/chat/uploads/b2.jpg"
    assert (await open311.get(f"{V2}/media/{ref}/0"))[0] == 404
    status, _, _ = await clerk.post(f"/staff/tickets/{ref}/public/photos/1", {"approved": "0"})
    assert status == 303 and (await open311.get(f"{V2}/media/{ref}/1"))[0] == 404
    status, _, _ = await clerk.post(f"/staff/tickets/{ref}/public/photos/5", {"approved": "1"})
    assert status == 404
    status, _, _ = await clerk.post(f"/staff/tickets/{ref}/public/photos/0", {"approved": "1"}, csrf="forged")
    assert status == 403 and (await open311.get(f"{V2}/media/{ref}/0"))[0] == 404
    actions = [e["details"]["approved"] async for e in open311.store.audit.find({"action": "ticket.photo_approval"})]
    assert actions == [True, False]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_cross_origin_reads_are_allowed_but_writes_are_not_advertised(open311: Open311Server,
                                                                             fmt: str) -> None:
    _, headers, _ = await open311.get(f"{V2}/services.{fmt}")
    assert headers["Access-Control-Allow-Origin"] == "*"
    key = await open311.key()
    _, headers, _ = await open311.post(f"{V2}/requests.{fmt}", _form(key))
    assert "Access-Control-Allow-Origin" not in headers


async def test_the_service_serves_open311(staff_service_stub_nlu: Any) -> None:
    """The real application (bot/app.py) mounts the interface next to the webhooks and the dashboard."""
    service = staff_service_stub_nlu
    async with service.http.get(f"{service.url}{V2}/services.xml", params={"locale": "en"}) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "text/xml; charset=utf-8"
        services = parse_xml(await resp.read(), "services")
    assert [s["service_code"] for s in services][:2] == ["CHA-LIGHT", "CHA-WASTE"]
    async with service.http.get(f"{service.url}/open311/discovery.json") as resp:
        assert (await resp.json())["endpoints"][0]["url"] == "https://bot.example.test/open311/v2"


async def test_an_unexpected_failure_is_an_error_document_and_files_nothing(open311: Open311Server,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    from bot.open311 import intake

    key = await open311.key()

    async def down(*_: Any, **__: Any) -> Any:
        raise ServerSelectionTimeoutError("no primary")

    monkeypatch.setattr(intake.tickets, "create_ticket", down)
    code, headers, body = await open311.post(f"{V2}/requests.xml", _form(key, locale="en"))
    assert code == 503 and headers["Retry-After"] == "30"
    [error] = parse_xml(body, "errors")
    assert error == {"code": "503", "description": "The service is busy; try again in a minute. Nothing was filed."}

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(intake.tickets, "create_ticket", broken)
    code, _, body = await open311.post(f"{V2}/requests.json", _form(key))
    assert code == 500 and json.loads(body)[0]["code"] == 500
    assert await open311.store.tickets.count_documents({}) == 0


async def test_text_that_xml_cannot_carry_still_gives_readable_documents(open311: Open311Server) -> None:
    ticket = await open311.ticket(description="Λάμπα\x00 σβηστή\x0b\x1b[31m τέλος 😀\tok")
    for fmt in ("xml", "json"):
        code, _, body = await open311.get(f"{V2}/requests/{ticket['reference']}.{fmt}")
        assert code == 200
        [req] = parse_xml(body, "service_requests") if fmt == "xml" else json.loads(body)
        assert req["description"].startswith("Λάμπα") and req["description"].endswith("τέλος 😀\tok")
    xml_description = parse_xml((await open311.get(f"{V2}/requests.xml"))[2], "service_requests")[0]["description"]
    assert xml_description == "Λάμπα\ufffd σβηστή\ufffd\ufffd[31m τέλος 😀\tok"
    json_description = json.loads((await open311.get(f"{V2}/requests.json"))[2])[0]["description"]
    assert json_description == "Λάμπα\x00 σβηστή\x0b\x1b[31m τέλος 😀\tok"  # JSON escapes them


async def test_an_approved_telegram_photo_is_fetched_and_served(open311: Open311Server) -> None:
    """A Telegram photo is a file id: the service fetches it from the Bot API (a fake on loopback) and passes it on
    only when it is approved and really an image."""
    from pydantic import SecretStr

    jpeg = b"\xff\xd8\xff\xe0" + b"\x01" * 1500
    fake = FakeBotApi()
    await fake.start()
    fake.files.update({"AgAD-ok": jpeg, "AgAD-html": b"<html>no</html>"})
    open311.services.settings = open311.services.settings.model_copy(
        update={"telegram_token": SecretStr("123:fake"), "telegram_api_url": fake.url})
    try:
        ticket = await open311.ticket(photos=[Attachment(file_id="AgAD-ok", size=1504),
                                              Attachment(file_id="AgAD-html")])
        ref = ticket["reference"]
        assert (await open311.get(f"{V2}/media/{ref}/0"))[0] == 404
        assert file_ids_asked(fake) == []  # not approved: not even asked
        for index in (0, 1):
            await open311.store.tickets.update_one({"reference": ref}, {"$set": {f"photos.{index}.approved": True}})
        code, headers, body = await open311.get(f"{V2}/media/{ref}/0")
        assert code == 200 and headers["Content-Type"] == "image/jpeg" and body == jpeg
        assert (await open311.get(f"{V2}/media/{ref}/1"))[0] == 404  # approved, but not an image
        [req] = await both(open311, f"{V2}/requests/{ref}", "service_requests")
        assert req["media_url"] == f"http://bot.example.test{V2}/media/{ref}/0"
        await open311.store.tickets.update_one({"reference": ref}, {"$set": {"private": True}})
        assert (await open311.get(f"{V2}/media/{ref}/0"))[0] == 404  # a private ticket's photos are not public
        assert file_ids_asked(fake) == ["AgAD-ok", "AgAD-html"]
    finally:
        await fake.stop()


async def test_an_address_is_placed_by_the_geocoder_and_one_elsewhere_is_refused(
        open311: Open311Server, nominatim: FakeNominatim) -> None:
    from bot.tickets.geocoding import EXTRA, Geocoder

    nominatim.add("χάληδων 20", SPLANTZIA.lat, SPLANTZIA.lon, "Χάληδων, Χανιά, Ελλάς")
    open311.services.extras[EXTRA] = Geocoder(nominatim.url, "chania-bot-tests", open311.store, min_delay_s=0.0)
    try:
        key = await open311.key()
        existing = await open311.ticket("complaint_lighting", location=SPLANTZIA)
        form = {"api_key": key, "service_code": "CHA-LIGHT", "address_string": "Χάληδων 20", "locale": "en"}
        code, _, body = await open311.post(f"{V2}/requests.json", form)
        assert code == 200
        [created] = json.loads(body)
        ticket = await open311.store.tickets.find_one({"reference": created["service_request_id"]})
        assert ticket["location"]["coordinates"] == [SPLANTZIA.lon, SPLANTZIA.lat] and ticket["address"] == "Χάληδων 20"
        assert existing["reference"] in created["service_notice"]  # placed, so the duplicate check could run
        code, _, body = await open311.post(f"{V2}/requests.json", {**form, "address_string": "Οδός Άγνωστη 1"})
        assert code == 200  # not found: the typed address is kept
        ticket = await open311.store.tickets.find_one({"reference": json.loads(body)[0]["service_request_id"]})
        assert ticket["location"] is None and ticket["address"] == "Οδός Άγνωστη 1"
        code, _, body = await open311.post(f"{V2}/requests.json", {**form, "address_string": "Ρέθυμνο, Αρκαδίου 10"})
        assert code == 400 and errors_of(json.loads(body)) == ["The position is outside the Municipality of Chania."]
        assert [r.params["q"] for r in nominatim.requests] == ["Χάληδων 20, Χανιά", "Οδός Άγνωστη 1, Χανιά"]
    finally:
        await open311.services.extras.pop(EXTRA).close()
