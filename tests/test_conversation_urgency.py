"""A resident who writes of an immediate danger is pointed to 112 before anything else (QA F22): over the real
Telegram webhook with the real Rasa server; and the words that mean danger, in every script, without false alarms."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from bot.core.i18n import Texts
from handlers.urgency import is_urgent
from tests.fixtures.people import TelegramPerson
from tests.fixtures.service import Service

EL, EN = Texts("el"), Texts("en")


@pytest.mark.parametrize("text", [
    "ειναι επειγον, πεσε ενα δεντρο στο δρομο στη Σουδα", "Μυρίζει γκάζι στην πολυκατοικία μας",
    "exei plimmyrisei to ypogeio mou apo to freatio", "There is smoke coming from the bin", "the bin is on fire!",
    "ΚΙΝΔΥΝΟΣ: κρέμεται καλώδιο", "a man is injured on the pavement",
])
def test_danger_in_every_script(text: str) -> None:
    assert is_urgent(text)


@pytest.mark.parametrize("text", [
    "Δεν ανάβει η λάμπα στην Αποκορώνου", "the fireworks were loud last night", "καπνίζουν στο πάρκο",
    "tell me about Firkas", "Firestone tyres dumped on the road", "κάδος γεμάτος",
])
def test_no_false_alarm(text: str) -> None:
    assert not is_urgent(text)


@pytest.mark.rasa
@pytest.mark.parametrize(("lang", "text"), [
    ("el", "ειναι επειγον, πεσε ενα δεντρο στο δρομο στη Σουδα"),
    ("en", "Urgent: a tree has fallen across the road in Souda"),
])
async def test_a_danger_reported_in_the_chat_points_to_112_first(service: Service, lang: str, text: str) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    person = TelegramPerson(service, 9501, lang=lang)
    await person.say(text)
    assert person.texts[0] == t("system.emergency")
    assert len(person.texts) > 1  # and the report goes on as usual


@pytest.mark.rasa
async def test_an_ordinary_report_gets_no_112_line(service: Service) -> None:
    person = TelegramPerson(service, 9502)
    await person.say("Δεν ανάβει η λάμπα στην Αποκορώνου 25")
    assert EL("system.emergency") not in person.texts


@pytest.mark.rasa
async def test_asking_urgently_for_a_person_in_office_hours_points_to_112(make_service: Any) -> None:
    if datetime.now(ZoneInfo("Europe/Athens")).date() in holidays.country_holidays("GR"):
        pytest.skip("a Greek public holiday: the office is closed all day")
    service = await make_service(office_days="mon-sun", office_hours="00:00-24:00")
    person = TelegramPerson(service, 9503)
    await person.say("θέλω να μιλήσω με υπάλληλο, είναι επείγον")
    assert person.texts == [EL("system.emergency"), EL("handoff.waiting_open")]
