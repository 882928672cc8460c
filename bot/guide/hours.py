"""Opening hours of a sight: structured, seasonal data (``opening`` in ``data/pois.yaml``) and the day's answer.

A sight's ``opening`` lists seasons (``from``/``to`` as ``MM-DD``, a season may run over New Year), each with the days
it opens, its hours and the last entry; days it is always closed (``MM-DD`` or a movable feast of the Orthodox
calendar); whether it closes on Greek public holidays (the ``holidays`` package); and ``verified``: false until the
sight's own published timetable has been checked, and the answer then says to check before going.

:func:`opening_on` computes the answer for one date (``bot/guide/questions.py`` finds the date a question asks about);
:func:`opening_now` the answer for a moment of today: not open yet, open (and whether the last entry has passed),
closed for the day, with the next day it opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_date
from dateutil.easter import EASTER_ORTHODOX, easter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.core.i18n import Texts

ATHENS = ZoneInfo("Europe/Athens")

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Movable feasts, as days after Orthodox Easter Sunday.
MOVABLE: dict[str, int] = {"clean_monday": -48, "good_friday": -2, "holy_saturday": -1, "easter_sunday": 0,
                           "easter_monday": 1, "whit_monday": 50}
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def _month_day(value: str) -> tuple[int, int]:
    if not _MONTH_DAY.match(value):
        raise ValueError(f"{value!r} is not a MM-DD date")
    month, day = int(value[:2]), int(value[3:])
    try:
        date(2024, month, day)  # a leap year: 02-29 is allowed, 02-30 is not
    except ValueError:
        raise ValueError(f"{value!r} is not a MM-DD date") from None
    return month, day


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Season(_Strict):
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    days: tuple[Weekday, ...] = Field(min_length=1)
    open: time
    close: time
    last_entry: time | None = None

    @field_validator("start", "end")
    @classmethod
    def _dates(cls, v: str) -> str:
        _month_day(v)
        return v

    @model_validator(mode="after")
    def _times(self) -> Season:
        if self.close <= self.open:
            raise ValueError(f"closes ({self.close}) before it opens ({self.open})")
        if self.last_entry is not None and not self.open <= self.last_entry <= self.close:
            raise ValueError(f"last entry {self.last_entry} is outside {self.open}-{self.close}")
        if len(set(self.days)) != len(self.days):
            raise ValueError("a day is listed twice")
        return self

    def covers(self, day: date) -> bool:
        md = (day.month, day.day)
        start, end = _month_day(self.start), _month_day(self.end)
        return start <= md <= end if start <= end else (md >= start or md <= end)


class Opening(_Strict):
    """``always_open`` for open-air places (a harbour, a square); otherwise the seasons."""

    always_open: bool = False
    seasons: tuple[Season, ...] = ()
    closed_on: tuple[str, ...] = ()  # "MM-DD" or a key of MOVABLE
    public_holidays: Literal["open", "closed"] = "open"
    verified: bool = False

    @field_validator("closed_on")
    @classmethod
    def _closed(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for v in values:
            if v not in MOVABLE:
                _month_day(v)
        return values

    @model_validator(mode="after")
    def _either(self) -> Opening:
        if self.always_open == bool(self.seasons):
            raise ValueError("give either always_open: true or the seasons")
        return self


@dataclass(frozen=True, slots=True)
class DayAnswer:
    """What a sight does on one date."""

    day: date
    status: Literal["always_open", "open", "closed"]
    reason: Literal["closed_day", "holiday", "weekday", "out_of_season"] | None = None
    holiday: str | None = None  # the closed_on entry that closes it
    open: time | None = None
    close: time | None = None
    last_entry: time | None = None
    verified: bool = False

    def times(self) -> dict[str, str]:
        """``{"open": "08:30", "close": "16:00"}`` for a day it opens (the catalogues' ``{open}``/``{close}``)."""
        assert self.open is not None and self.close is not None
        return {"open": f"{self.open:%H:%M}", "close": f"{self.close:%H:%M}"}


def next_opening_text(texts: Texts, answer: DayAnswer, today: date, prefix: str) -> str:
    """``tomorrow 08:30–16:00`` or ``Monday 7 December, 09:00–15:30``: the next day it opens, in the words of the
    catalogue entries ``<prefix>next_tomorrow`` / ``<prefix>next_day`` (the guide's ``tourism.hours_``, the
    offices' ``municipal.``)."""
    if answer.day - timedelta(days=1) == today:
        return texts(f"{prefix}next_tomorrow", **answer.times())
    return texts(f"{prefix}next_day", day=format_date(answer.day, "EEEE d MMMM", locale=texts.lang),
                 **answer.times())


@cache
def _greek_holidays(year: int, language: str = "en_US") -> holidays.HolidayBase:
    return holidays.country_holidays("GR", years=year, language=language)


def holiday_name(day: date, lang: str) -> str | None:
    """The Greek public holiday on ``day``, named in ``lang`` (el / en), or ``None``."""
    return _greek_holidays(day.year, "el" if lang == "el" else "en_US").get(day)


def today_in_athens(now: datetime | None = None) -> date:
    return (now or datetime.now(ATHENS)).astimezone(ATHENS).date()


NEXT_OPENING_HORIZON_DAYS = 366  # a sight closed all winter opens again within a year, or it has no season at all


def _feast_on(day: date, closed_on: tuple[str, ...]) -> str | None:
    orthodox_easter = easter(day.year, EASTER_ORTHODOX)
    for item in closed_on:
        if item in MOVABLE:
            if day == orthodox_easter + timedelta(days=MOVABLE[item]):
                return item
        elif _month_day(item) == (day.month, day.day):
            return item
    return None


def opening_on(opening: Opening, day: date) -> DayAnswer:
    """The sight's hours on ``day`` (a date in Athens)."""
    verified = opening.verified
    if opening.always_open:
        return DayAnswer(day, "always_open", verified=verified)
    if (feast := _feast_on(day, opening.closed_on)) is not None:
        return DayAnswer(day, "closed", "closed_day", holiday=feast, verified=verified)
    if opening.public_holidays == "closed" and day in _greek_holidays(day.year):
        return DayAnswer(day, "closed", "holiday", verified=verified)
    seasons = [s for s in opening.seasons if s.covers(day)]
    if not seasons:
        return DayAnswer(day, "closed", "out_of_season", verified=verified)
    weekday = WEEKDAYS[day.weekday()]
    for season in seasons:
        if weekday in season.days:
            return DayAnswer(day, "open", open=season.open, close=season.close, last_entry=season.last_entry,
                             verified=verified)
    return DayAnswer(day, "closed", "weekday", verified=verified)


def next_opening(opening: Opening, after: date) -> DayAnswer | None:
    """The first day after ``after`` the sight opens (``None``: open-air, or no open day within a year)."""
    if opening.always_open:
        return None
    for n in range(1, NEXT_OPENING_HORIZON_DAYS + 1):
        answer = opening_on(opening, after + timedelta(days=n))
        if answer.status == "open":
            return answer
    return None


@dataclass(frozen=True, slots=True)
class NowAnswer:
    """What a sight does at one moment of today (Athens time), and when it opens next when that matters."""

    today: DayAnswer
    state: Literal["always_open", "not_yet_open", "open", "last_entry_passed", "closed_for_the_day", "closed_today"]
    next_open: DayAnswer | None = None  # when today is over or closed


def opening_now(opening: Opening, now: datetime) -> NowAnswer:
    """The sight's state at ``now`` (any aware datetime; compared as Europe/Athens wall-clock time)."""
    local = now.astimezone(ATHENS)
    today = opening_on(opening, local.date())
    if today.status == "always_open":
        return NowAnswer(today, "always_open")
    if today.status == "closed":
        return NowAnswer(today, "closed_today", next_opening(opening, today.day))
    assert today.open is not None and today.close is not None
    clock = local.time().replace(tzinfo=None)
    if clock < today.open:
        return NowAnswer(today, "not_yet_open")
    if clock >= today.close:
        return NowAnswer(today, "closed_for_the_day", next_opening(opening, today.day))
    if today.last_entry is not None and clock > today.last_entry:
        return NowAnswer(today, "last_entry_passed", next_opening(opening, today.day))
    return NowAnswer(today, "open")
