"""Office hours of the municipality's staff: days and hours in Europe/Athens, closed on Greece's public holidays
(the ``holidays`` package). Configured by ``OFFICE_DAYS`` ("mon-fri", "mon,wed,fri") and ``OFFICE_HOURS``
("08:00-15:00")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

LOCAL_TZ = ZoneInfo("Europe/Athens")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_days(text: str) -> frozenset[int]:
    """ "mon-fri" or "mon,wed,fri" (weekday numbers, Monday 0); ValueError on anything else."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"days are {', '.join(DAY_NAMES)} as 'mon-fri' or 'mon,wed,fri', not {text!r}")
        a, b = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        if b < a:
            raise ValueError(f"{part!r}: a range runs forwards (mon-fri)")
        days.update(range(a, b + 1))
    return frozenset(days)


def parse_hours(text: str) -> tuple[time, time]:
    m = _HOURS_RE.match(text)
    if not m:
        raise ValueError(f"hours are written 08:00-15:00, not {text!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2, m2) <= (h1, m1) or (h2 == 24 and m2):
        raise ValueError(f"{text!r}: the office opens before it closes, within one day")
    return time(h1, m1), (time(23, 59, 59) if h2 == 24 else time(h2, m2))


@cache
def _greek_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GR", years=year)


def is_holiday(day: date) -> bool:
    return day in _greek_holidays(day.year)


@dataclass(frozen=True, slots=True)
class OfficeHours:
    days: frozenset[int]
    opens: time
    closes: time

    @classmethod
    def from_text(cls, days: str, hours: str) -> OfficeHours:
        opens, closes = parse_hours(hours)
        return cls(parse_days(days), opens, closes)

    def _working_day(self, day: date) -> bool:
        return day.weekday() in self.days and not is_holiday(day)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(LOCAL_TZ)
        return self._working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, at: datetime) -> datetime:
        """When the office next opens after ``at`` (``at`` itself when it is open), in Europe/Athens."""
        local = at.astimezone(LOCAL_TZ)
        if self.is_open(at):
            return local
        day = local.date()
        if local.time() >= self.opens:
            day += timedelta(days=1)
        for _ in range(400):
            if self._working_day(day):
                return datetime.combine(day, self.opens, LOCAL_TZ)
            day += timedelta(days=1)
        raise ValueError("no working day in the next 400 days")

    def last_closing(self, at: datetime) -> datetime:
        """The latest closing time of a working day at or before ``at`` (a chat held since before it is released:
        the office closed meanwhile), in Europe/Athens."""
        local = at.astimezone(LOCAL_TZ)
        day = local.date()
        for _ in range(400):
            closing = datetime.combine(day, self.closes, LOCAL_TZ)
            if self._working_day(day) and closing <= local:
                return closing
            day -= timedelta(days=1)
        raise ValueError("no working day in the last 400 days")
