"""Questions about the municipality's own offices and services (intent ``municipal_info``): "τι ώρα κλείνει το
δημαρχείο;", "τηλέφωνο ΚΕΠ", "is the town hall open on Saturday?", "πού πληρώνω τα δημοτικά τέλη;".

* an office named (``bot/offices/directory.py``: names and aliases in any script) → its card: open now or not (at
  ``Services.clock``, Greek public holidays included) or on the day asked ("on Saturday", "αύριο"), regular hours,
  address, phone, web, what it does, and its map pin when it has a point;
* no office, but a service named ("δημοτικά τέλη", "πιστοποιητικό", "water bill") → the card of the office that does
  it, introduced by the service;
* neither → the main offices, one line each with today's state, and a button per office.

Buttons: ``mun:office:<id>`` (a card), ``mun:list`` (the list), ``mun:report:<id>`` (report a fault of that office's
kind here in the chat: the complaint flow of its ``report_category``). The handler keeps no flow of its own: an
answer given in the middle of a report leaves the report running (the registry offers it again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.models import Button, Reply
from bot.core.services import Services
from bot.guide.hours import today_in_athens
from bot.guide.questions import asked_day
from bot.offices.card import contact, office_card, short_state
from bot.offices.directory import Directory, Office
from handlers.base import KEEP, Outcome, Turn

if TYPE_CHECKING:
    from handlers.registry import HandlerRegistry

INTENT = "municipal_info"


class MunicipalHandler:
    name = "municipal"
    intents = frozenset({INTENT})
    button_prefix = "mun"

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.registry: HandlerRegistry | None = None

    # ------------------------------------------------------------------ the Handler protocol
    async def handle(self, turn: Turn) -> Outcome:
        button = turn.inbound.button
        if button is not None and button.startswith(f"{self.button_prefix}:"):
            return await self._button(turn, button.split(":")[1:])
        return self.answer(turn)

    async def continue_flow(self, turn: Turn) -> Outcome | None:
        return None

    async def resume_prompt(self, turn: Turn) -> list[Reply]:
        return []

    def knows(self, text: str, *, services: bool = True) -> bool:
        """Does ``text`` name an office (or, with ``services``, a service) of the directory? Other handlers ask before
        handing a question over (the complaint flow, the guide)."""
        return self.directory.named(text) is not None or (services and self.directory.service(text) is not None)

    # ------------------------------------------------------------------ answers
    def answer(self, turn: Turn) -> Outcome:
        """The answer to a typed question (also handed over by the complaint flow's "is this a report?" step)."""
        text = turn.inbound.text or ""
        office = self.directory.named(text)
        if office is not None:
            return self._card(turn, office)
        service = self.directory.service(text)
        if service is not None:
            intro = turn.texts("municipal.for_service", service=service.label(turn.lang),
                               name=service.office.name(turn.lang))
            return self._card(turn, service.office, intro=intro)
        return self._list(turn)

    def _card(self, turn: Turn, office: Office, *, intro: str | None = None) -> Outcome:
        t = turn.texts
        now = turn.services.clock()
        day = asked_day(turn.inbound.text or "", today_in_athens(now)) if not turn.inbound.button else None
        text, pin = office_card(office, t, turn.services.settings, now, day)
        if intro:
            text = f"{intro}\n\n{text}"
        buttons: list[Button] = []
        if office.report_category and self._can_report(office.report_category):
            text += "\n" + t("municipal.report_here")
            buttons.append(Button(t("municipal.button_report"), f"mun:report:{office.id}"))
        buttons.append(Button(t("municipal.button_list"), "mun:list"))
        return Outcome([Reply(text, buttons=tuple(buttons), location=pin)], flow=KEEP)

    def _list(self, turn: Turn, key: str = "municipal.list_title") -> Outcome:
        t, lang = turn.texts, turn.lang
        now = turn.services.clock()
        offices = self.directory.main()
        lines = [t(key), ""]
        settings = turn.services.settings
        for office in offices:
            hours_text = contact(office, settings, lang).hours_text if office.opening is None else ""
            lines.append(t("municipal.list_line", name=office.name(lang),
                           state=hours_text or short_state(office.opening, t, now)))
        lines += ["", t("municipal.list_hint")]
        buttons = tuple(Button(o.short(lang), f"mun:office:{o.id}") for o in offices)
        return Outcome([Reply("\n".join(lines), buttons=buttons)], flow=KEEP)

    async def _button(self, turn: Turn, args: list[str]) -> Outcome:
        if args == ["list"]:
            return self._list(turn)
        office = self.directory.get(args[1]) if len(args) == 2 else None
        if office is not None and args[0] == "office":
            return self._card(turn, office)
        if office is not None and args[0] == "report" and office.report_category and \
                self._can_report(office.report_category):
            assert self.registry is not None
            return await self.registry.dispatch_intent(turn, office.report_category)
        return self._list(turn, "municipal.unknown_button")

    def _can_report(self, intent: str) -> bool:
        return self.registry is not None and intent in self.registry.by_intent


def create_handler(services: Services) -> MunicipalHandler:
    directory = services.extras.get("offices")
    if not isinstance(directory, Directory):
        directory = services.extras["offices"] = Directory.load()
    return MunicipalHandler(directory)
