"""An office's answer: today's state ("open now until 14:00", "closed now, opens Monday 08:00–14:00", a public
holiday), or the day asked about, its regular hours, address, phone, e-mail, web, map pin, and what it does.

Hours come from ``bot.guide.hours`` (the guide's ``opening_now`` / ``opening_on`` / ``next_opening``, Greek public
holidays included), at the moment ``Services.clock`` gives; every text from the ``municipal`` catalogue section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date, get_day_names

from bot.core.i18n import Texts
from bot.core.models import Pin
from bot.core.settings import Settings
from bot.guide.hours import (
    WEEKDAYS,
    DayAnswer,
    Opening,
    holiday_name,
    next_opening,
    next_opening_text,
    opening_now,
    opening_on,
    today_in_athens,
)
from bot.offices.directory import Office

_WEEKDAYS_MON_FRI = ("mon", "tue", "wed", "thu", "fri")


@dataclass(frozen=True, slots=True)
class Contact:
    """What to show of an office: its own fields, or the Citizen Service Office's settings (``CITIZEN_OFFICE_*``)."""

    address: str
    phone: str
    hours_text: str  # free text from the settings, shown when the office has no structured hours


def contact(office: Office, settings: Settings, lang: str) -> Contact:
    address, phone, hours_text = office.address(lang), office.phone, ""
    if office.contact_from_settings:
        address = settings.citizen_office_address or address
        phone = settings.citizen_office_phone or phone
        hours_text = (settings.citizen_office_hours_en or settings.citizen_office_hours) if lang == "en" \
            else settings.citizen_office_hours
    return Contact(address, phone, hours_text)


def office_card(office: Office, texts: Texts, settings: Settings, now: datetime, day: date | None = None) -> tuple[
        str, Pin | None]:
    """The card's text and its map pin. ``day``: a date asked about ("on Saturday"); ``None`` or today: now."""
    t, lang = texts, texts.lang
    name = office.name(lang)
    found = contact(office, settings, lang)
    lines = [t("municipal.title", name=name)]
    if office.opening is not None:
        lines.append(state_text(office.opening, texts, now, day))
        lines.append(regular_hours(office.opening, texts))
    elif found.hours_text:
        lines.append(t("municipal.hours_text", text=found.hours_text))
    else:
        lines.append(t("municipal.hours_unknown"))
    if found.address:
        lines.append(t("municipal.address", address=found.address))
    if found.phone:
        lines.append(t("municipal.phone", phone=found.phone))
    if office.email:
        lines.append(t("municipal.email", email=office.email))
    if office.web is not None:
        lines.append(t("municipal.web", web=str(office.web).rstrip("/")))
    if not (found.address or found.phone or office.email or office.web):
        lines.append(t("municipal.no_contact"))  # nothing confirmed to show: where to look instead
    if office.services:
        lines.append(t("municipal.services", services=" · ".join(s.label(lang) for s in office.services)))
    pin = None
    if office.lat is not None and office.lon is not None:
        pin = Pin(name, office.lat, office.lon, found.address)
        lines.append(t("municipal.map", url=pin.map_url))
    if not office.verified:
        lines.append(t("municipal.unverified"))
    return "\n".join(lines), pin


def state_text(opening: Opening, texts: Texts, now: datetime, day: date | None = None) -> str:
    """Today at ``now`` (open now, not yet, closed for the day, closed today and why) or the day asked about."""
    t = texts
    today = today_in_athens(now)
    if day is not None and day != today:
        answer = opening_on(opening, day)
        shown = format_date(day, "EEEE d MMMM", locale=texts.lang)
        if answer.status == "open":
            return t("municipal.day_open", day=shown, **answer.times())
        following = next_opening(opening, day)
        holiday = holiday_name(day, texts.lang) if answer.reason in ("holiday", "closed_day") else None
        key = "municipal.day_closed_holiday" if holiday else "municipal.day_closed"
        return t(key, day=shown, holiday=holiday or "", next=_next_text(following, texts, today))
    current = opening_now(opening, now)
    if current.state == "open" or current.state == "last_entry_passed":
        return t("municipal.open_now", **current.today.times())
    if current.state == "not_yet_open":
        return t("municipal.not_yet_open", **current.today.times())
    following = _next_text(current.next_open, texts, today)
    if current.state == "closed_for_the_day":
        return t("municipal.closed_now", next=following, **current.today.times())
    holiday = holiday_name(today, texts.lang) if current.today.reason in ("holiday", "closed_day") else None
    if holiday:
        return t("municipal.closed_today_holiday", holiday=holiday, next=following)
    return t("municipal.closed_today", next=following)


def short_state(opening: Opening | None, texts: Texts, now: datetime) -> str:
    """One line of the offices' list: "open now until 14:00", "closed now, opens Monday 7 December, 08:00–14:00"."""
    t = texts
    if opening is None:
        return t("municipal.short_unknown")
    current = opening_now(opening, now)
    if current.state == "open":
        return t("municipal.short_open", **current.today.times())
    if current.state == "not_yet_open":
        return t("municipal.short_not_yet_open", **current.today.times())
    return t("municipal.short_closed", next=_next_text(current.next_open, texts, today_in_athens(now)))


def regular_hours(opening: Opening, texts: Texts) -> str:
    """The usual week, from the season in force: "Monday–Friday 08:00–14:00"; closed on public holidays."""
    t = texts
    names = get_day_names("wide", locale=texts.lang)
    lines = []
    for season in opening.seasons:
        if season.days == _WEEKDAYS_MON_FRI:
            days = t("municipal.weekdays")
        elif len(set(season.days)) == len(WEEKDAYS):
            days = t("municipal.every_day")
        else:
            days = ", ".join(names[WEEKDAYS.index(d)] for d in season.days)
        lines.append(t("municipal.regular_hours", days=days, open=f"{season.open:%H:%M}",
                       close=f"{season.close:%H:%M}"))
    if opening.public_holidays == "closed":
        lines.append(t("municipal.holidays_closed"))
    return "\n".join(lines)


def _next_text(answer: DayAnswer | None, texts: Texts, today: date) -> str:
    return "—" if answer is None else next_opening_text(texts, answer, today, "municipal.")
