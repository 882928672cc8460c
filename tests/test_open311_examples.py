"""Our XML has the element structure of the GeoReport v2 examples (http://wiki.open311.org/GeoReport_v2 and its
Service Discovery page): same root, same elements in the same order at every level. The examples below keep the
spec's structure; their values are made up."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from bot.core.models import Attachment
from tests.fixtures.open311 import SPLANTZIA, Open311Server

V2 = "/open311/v2"

SERVICES = """<?xml version="1.0" encoding="utf-8"?>
<services><service><service_code>001</service_code><service_name>Bins left out</service_name>
<description>Bins left on the street after collection.</description><metadata>true</metadata><type>realtime</type>
<keywords>bins, street</keywords><group>sanitation</group></service></services>"""

SERVICE_DEFINITION = """<?xml version="1.0" encoding="utf-8"?>
<service_definition><service_code>X1</service_code><attributes><attribute><variable>true</variable>
<code>KIND</code><datatype>singlevaluelist</datatype><required>true</required><datatype_description></datatype_description>
<order>1</order><description>Which kind?</description><values><value><key>1</key><name>One</name></value>
</values></attribute></attributes></service_definition>"""

REQUESTS = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><service_request_id>1</service_request_id><status>closed</status>
<status_notes>Done.</status_notes><service_name>Potholes</service_name><service_code>006</service_code>
<description></description><agency_responsible></agency_responsible><service_notice></service_notice>
<requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime><updated_datetime>2010-04-14T15:37:38-08:00</updated_datetime>
<expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime><address>Main St</address><address_id>5</address_id>
<zipcode>73100</zipcode><lat>35.5</lat><long>24.0</long><media_url>http://example.org/1.jpg</media_url></request>
</service_requests>"""

CREATED = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><service_request_id>2</service_request_id><service_notice>We will look.</service_notice>
<account_id/></request></service_requests>"""

ERRORS = """<?xml version="1.0" encoding="utf-8"?>
<errors><error><code>403</code><description>Invalid api_key.</description></error></errors>"""

DISCOVERY = """<?xml version="1.0" encoding="utf-8"?>
<discovery><changeset>2011-04-05T17:48:34Z</changeset><contact>Call us.</contact><key_service>Ask us.</key_service>
<endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification><url>http://x/v2</url>
<changeset>2011-04-20T17:48:34Z</changeset><type>production</type><formats><format>text/xml</format>
<format>application/json</format></formats></endpoint></endpoints></discovery>"""


def skeleton(element: ET.Element) -> tuple[Any, ...]:
    """The element's tag and, in order, the distinct structures of its children (repeated items count once)."""
    children: list[tuple[Any, ...]] = []
    for child in element:
        shape = skeleton(child)
        if shape not in children:
            children.append(shape)
    return (element.tag, tuple(children))


def parse(body: bytes | str) -> ET.Element:
    return ET.fromstring(body.encode() if isinstance(body, str) else body)  # noqa: S314 - test data and our output


async def _xml(server: Open311Server, path: str, **params: Any) -> ET.Element:
    code, _, body = await server.get(path, **params)
    assert code in (200, 404), body
    return parse(body)


async def test_every_document_has_the_structure_of_the_spec_example(open311: Open311Server) -> None:
    ticket = await open311.ticket(photos=[Attachment(url="/chat/uploads/p.jpg")])
    await open311.store.tickets.update_one({"reference": ticket["reference"]}, {"$set": {"photos.0.approved": True}})
    key = await open311.key()
    form = {"api_key": key, "service_code": "CHA-LIGHT", "lat": str(SPLANTZIA.lat), "long": str(SPLANTZIA.lon)}
    code, _, created = await open311.post(f"{V2}/requests.xml", form)
    assert code == 200
    code, _, refused = await open311.post(f"{V2}/requests.xml", {**form, "api_key": "wrong"})
    assert code == 403
    pairs = [
        (await _xml(open311, f"{V2}/services.xml"), SERVICES),
        (await _xml(open311, f"{V2}/services/CHA-WASTE.xml"), SERVICE_DEFINITION),
        (await _xml(open311, f"{V2}/requests.xml"), REQUESTS),
        (await _xml(open311, f"{V2}/requests/{ticket['reference']}.xml"), REQUESTS),
        (parse(created), CREATED),
        (parse(refused), ERRORS),
        (await _xml(open311, f"{V2}/requests/CHA-2026-999999.xml"), ERRORS),
        (await _xml(open311, "/open311/discovery.xml"), DISCOVERY),
    ]
    for ours, example in pairs:
        assert skeleton(ours) == skeleton(parse(example)), ET.tostring(ours)[:300]


def test_the_skeleton_tells_structures_apart() -> None:
    assert skeleton(parse(REQUESTS)) != skeleton(parse(CREATED))
    reordered = REQUESTS.replace("<lat>35.5</lat><long>24.0</long>", "<long>24.0</long><lat>35.5</lat>")
    assert skeleton(parse(reordered)) != skeleton(parse(REQUESTS))
    assert skeleton(parse(SERVICES.replace("<group>sanitation</group>", ""))) != skeleton(parse(SERVICES))
