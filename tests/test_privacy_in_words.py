"""Asking for one's data or its erasure in one's own words, not only by the commands (QA F35): over the real
Telegram webhook with the real Rasa server, in Greek, Greeklish and English, in and out of a report."""

from __future__ import annotations

import pytest

from bot.core.i18n import Texts
from handlers.privacy import asks_for
from tests.fixtures.people import TelegramPerson
from tests.fixtures.service import Service

EL, EN = Texts("el"), Texts("en")


@pytest.mark.parametrize(("text", "action"), [
    ("θέλω να διαγράψετε τα στοιχεία μου", "forget"), ("thelw na svisete ta stoixeia mou", "forget"),
    ("Σβήστε τα προσωπικά μου δεδομένα", "forget"), ("σβήστε με", "forget"), ("delete my data please", "forget"),
    ("please delete me", "forget"), ("τι στοιχεία μου έχετε;", "mydata"), ("ti dedomena kratate gia mena?", "mydata"),
    ("what data do you have about me?", "mydata"),
    ("σβήστε το γκράφιτι από τον τοίχο", None), ("remove the rubbish from my street", None), ("forget it", None),
    ("τι ώρα κλείνει το δημαρχείο;", None),
])
def test_what_a_message_asks_for(text: str, action: str | None) -> None:
    assert asks_for(text) == action


@pytest.mark.rasa
@pytest.mark.parametrize(("lang", "report", "asked"), [
    ("el", "Γέμισαν τα σκουπίδια στη Χάληδων 14", "θέλω να διαγράψετε τα στοιχεία μου"),
    ("el", "Γέμισαν τα σκουπίδια στη Χάληδων 14", "thelw na svisete ta stoixeia mou"),
    ("en", "The bins on Chalidon 14 are overflowing", "delete my data please"),
])
async def test_erasure_asked_in_words_mid_report_is_never_the_address(service: Service, lang: str, report: str,
                                                                      asked: str) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    person = TelegramPerson(service, 9601, lang=lang)
    await person.say(report)
    await person.say(asked)
    assert person.texts[0].startswith(t("privacy.forget.confirm"))  # the erasure is asked to be confirmed
    conv = await person.conversation()
    assert conv["flow"]["name"] == "privacy" and conv["flow"]["step"] == "confirm_forget"


@pytest.mark.rasa
@pytest.mark.parametrize(("lang", "asked"), [("el", "τι στοιχεία μου έχετε;"),
                                               ("en", "what data do you have about me?")])
async def test_what_data_do_you_have_sends_the_copy(service: Service, lang: str, asked: str) -> None:
    person = TelegramPerson(service, 9602, lang=lang)
    await person.say(asked)
    await service.idle()
    assert "sendDocument" in [c.method for c in service.fake_telegram.sent(9602)]
