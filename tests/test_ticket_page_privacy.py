"""A department's staff see, on a ticket's page, the messages of that report only — not the person's whole chat
(their other reports, requests and data). Staff who monitor conversations see the chat. QA, session 2 (F17): the
real service over the Telegram webhook with real Rasa, then the staff pages of the same app over HTTP."""

from __future__ import annotations

import html
from typing import Any

import pytest

from bot.core.i18n import Texts
from bot.staff.accounts import create_staff
from tests.fixtures.dashboard import PASSWORD, StaffClient
from tests.fixtures.people import TelegramPerson, finish

pytestmark = pytest.mark.rasa
EL = Texts("el")
HTTP = {"public_url": None}  # plain http on loopback: the session cookie is not "Secure"


async def staff_client(service: Any, name: str, role: str, departments: list[str]) -> StaffClient:
    await create_staff(service.store, name, role, departments, PASSWORD)
    client = StaffClient(service.url, name)
    assert (await client.login())[0] == 303
    return client


async def test_a_department_sees_its_report_not_the_persons_other_reports(make_service: Any) -> None:
    service = await make_service(**HTTP)
    maria = TelegramPerson(service, 9401)
    await maria.say("Γέμισαν τα σκουπίδια στη Χάληδων 14 και μυρίζει")
    await maria.say("ναι")
    rubbish = await finish(maria, EL)
    await maria.say("Δεν ανάβει η λάμπα του δρόμου στην Αποκορώνου 25")
    await maria.say("ναι")
    lighting = await finish(maria, EL)

    lamps = await staff_client(service, "fotismos", "department", ["lighting"])
    status, page, _ = await lamps.get(f"/staff/tickets/{lighting}")
    assert status == 200
    page = html.unescape(page)
    assert "Δεν ανάβει η λάμπα του δρόμου στην Αποκορώνου 25" in page  # this report's messages are there
    assert "Γέμισαν" not in page, page[max(0, page.find("Γέμισαν") - 2500):]  # the other report is not
    status, _, _ = await lamps.get(f"/staff/tickets/{rubbish}")
    assert status in (403, 404)

    bins = await staff_client(service, "katharismos", "department", ["cleaning"])
    status, page, _ = await bins.get(f"/staff/tickets/{rubbish}")
    assert status == 200
    page = html.unescape(page)
    assert "Γέμισαν τα σκουπίδια στη Χάληδων 14" in page
    assert "Δεν ανάβει" not in page  # the next report, begun seconds after this one's receipt, is not shown

    admin = await staff_client(service, "boss", "admin", [])
    status, page, _ = await admin.get(f"/staff/tickets/{lighting}")
    assert status == 200 and "Γέμισαν τα σκουπίδια" in html.unescape(page)  # a monitor sees the whole chat
    for client in (lamps, bins, admin):
        await client.close()
