"""Opening hours (bot/guide/hours.py) on the real catalogue, and the words of a question (bot/guide/questions.py).

Dates are fixed and the expected answers are read off data/pois.yaml by hand: a museum on a winter Monday, a
closed weekday, Christmas, Orthodox Easter (2 May 2027), a gorge out of season.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.guide.catalogue import Catalogue
from bot.guide.hours import ATHENS, Opening, holiday_name, next_opening, opening_now, opening_on, today_in_athens
from bot.guide.questions import asked_day, asks_hours, asks_nearest, names_near

CATALOGUE = Catalogue.load()


def hours_of(poi_id: str) -> Opening:
    poi = CATALOGUE.get(poi_id)
    assert poi is not None and poi.opening is not None
    return poi.opening


def test_a_museum_on_a_winter_monday_and_a_summer_one() -> None:
    winter = opening_on(hours_of("maritime_museum"), date(2026, 12, 7))
    assert (winter.status, winter.open, winter.close, winter.last_entry) == (
        "open", time(9, 0), time(15, 30), time(15, 0))
    summer = opening_on(hours_of("maritime_museum"), date(2027, 7, 5))
    assert (summer.open, summer.close) == (time(9, 0), time(17, 0))
    assert winter.verified is False  # nobody has checked these against the museum's own timetable yet


def test_closed_weekday_holidays_and_movable_feasts() -> None:
    archaeological = hours_of("archaeological_museum")
    tuesday = opening_on(archaeological, date(2026, 12, 8))
    assert (tuesday.status, tuesday.reason) == ("closed", "weekday")
    christmas = opening_on(archaeological, date(2026, 12, 25))
    assert (christmas.status, christmas.reason) == ("closed", "closed_day")
    easter = opening_on(archaeological, date(2027, 5, 2))  # Orthodox Easter Sunday 2027
    assert (easter.status, easter.reason, easter.holiday) == ("closed", "closed_day", "easter_sunday")
    war = opening_on(hours_of("war_museum"), date(2027, 1, 6))  # Epiphany, a Wednesday: closed on public holidays
    assert (war.status, war.reason) == ("closed", "holiday")
    assert holiday_name(date(2027, 1, 6), "el") == "Θεοφάνεια"
    assert holiday_name(date(2027, 1, 6), "en") == "Epiphany"
    assert holiday_name(date(2027, 1, 7), "en") is None


def test_a_season_over_new_year_and_out_of_season() -> None:
    new_year_eve = opening_on(hours_of("maritime_museum"), date(2026, 12, 31))  # winter season 11-01 .. 03-31
    assert new_year_eve.status == "open" and new_year_eve.close == time(15, 30)
    samaria = opening_on(hours_of("samaria_gorge"), date(2027, 1, 15))
    assert (samaria.status, samaria.reason) == ("closed", "out_of_season")
    assert opening_on(hours_of("samaria_gorge"), date(2027, 5, 1)).status == "open"
    assert opening_on(hours_of("old_harbour"), date(2027, 1, 1)).status == "always_open"


def test_several_seasons_on_the_same_dates_give_different_days_different_hours() -> None:
    saturday = opening_on(hours_of("venizelos_residence"), date(2026, 12, 5))
    weekday = opening_on(hours_of("venizelos_residence"), date(2026, 12, 4))
    sunday = opening_on(hours_of("venizelos_residence"), date(2026, 12, 6))
    assert (saturday.open, weekday.open, sunday.status) == (time(10, 0), time(9, 0), "closed")


@pytest.mark.parametrize("bad", [
    {"seasons": [{"from": "04-01", "to": "10-31", "days": ["mon"], "open": "17:00", "close": "09:00"}]},
    {"seasons": [{"from": "02-30", "to": "10-31", "days": ["mon"], "open": "09:00", "close": "17:00"}]},
    {"seasons": [{"from": "04-01", "to": "10-31", "days": ["monday"], "open": "09:00", "close": "17:00"}]},
    {"seasons": [{"from": "04-01", "to": "10-31", "days": ["mon"], "open": "09:00", "close": "17:00",
                  "last_entry": "18:00"}]},
    {"always_open": True, "seasons": [{"from": "04-01", "to": "10-31", "days": ["mon"], "open": "09:00",
                                       "close": "17:00"}]},
    {},
    {"always_open": True, "closed_on": ["easter"]},
])
def test_invalid_hours_are_refused(bad: dict) -> None:
    with pytest.raises(ValidationError):
        Opening.model_validate(bad)


def test_today_is_the_date_in_athens() -> None:
    late = datetime(2026, 12, 6, 22, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on Monday in Athens
    assert today_in_athens(late) == date(2026, 12, 7)


def athens(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ATHENS)


MONDAY = date(2026, 12, 7)  # the archaeological museum's winter: Wed-Mon 08:30-15:30, last entry 15:10; Tue closed


@pytest.mark.parametrize("at,state,next_day", [
    (athens(MONDAY, 7, 45), "not_yet_open", None),
    (athens(MONDAY, 8, 30), "open", None),
    (athens(MONDAY, 15, 10), "open", None),  # the last entry itself is still in time
    (athens(MONDAY, 15, 11), "last_entry_passed", date(2026, 12, 9)),
    (athens(MONDAY, 15, 30), "closed_for_the_day", date(2026, 12, 9)),  # Tuesday closed: next is Wednesday
    (athens(MONDAY, 18, 43), "closed_for_the_day", date(2026, 12, 9)),
    (athens(date(2026, 12, 6), 18, 43), "closed_for_the_day", MONDAY),  # Sunday evening: tomorrow
    (athens(date(2026, 12, 8), 11, 0), "closed_today", date(2026, 12, 9)),  # a closed weekday
    (athens(date(2026, 12, 24), 17, 0), "closed_for_the_day", date(2026, 12, 27)),  # 25 and 26 December closed
])
def test_the_state_now_and_the_next_opening(at: datetime, state: str, next_day: date | None) -> None:
    now = opening_now(hours_of("archaeological_museum"), at)
    assert now.state == state
    assert (now.next_open.day if now.next_open else None) == next_day


def test_now_is_athens_wall_clock_time_and_open_air_and_out_of_season() -> None:
    utc_evening = datetime(2026, 12, 7, 16, 43, tzinfo=ZoneInfo("UTC"))  # 18:43 in Athens (UTC+2 in winter)
    assert opening_now(hours_of("archaeological_museum"), utc_evening).state == "closed_for_the_day"
    utc_morning = datetime(2026, 12, 7, 8, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in Athens
    assert opening_now(hours_of("archaeological_museum"), utc_morning).state == "open"
    assert opening_now(hours_of("old_harbour"), utc_evening).state == "always_open"
    samaria = opening_now(hours_of("samaria_gorge"), utc_evening)
    assert samaria.state == "closed_today" and samaria.next_open is not None
    assert samaria.next_open.day == date(2027, 5, 1)
    assert next_opening(hours_of("old_harbour"), MONDAY) is None


SATURDAY = date(2026, 12, 5)


@pytest.mark.parametrize("text,expected", [
    ("is the maritime museum open on Monday?", date(2026, 12, 7)),
    ("είναι ανοιχτό το ναυτικό μουσείο τη Δευτέρα;", date(2026, 12, 7)),
    ("EINAI ANOIXTO TH DEYTERA?", date(2026, 12, 7)),
    ("einai anoixto tin deftera", date(2026, 12, 7)),
    ("ανοιγει την Κυριακη;", date(2026, 12, 6)),
    ("open on saturday?", SATURDAY),  # today is Saturday: today, not next week
    ("is it open tomorrow", date(2026, 12, 6)),
    ("ανοιχτό αύριο;", date(2026, 12, 6)),
    ("τι ώρα κλείνει σήμερα", SATURDAY),
    ("what time does it close", None),
])
def test_the_asked_day(text: str, expected: date | None) -> None:
    assert asked_day(text, SATURDAY) == expected


@pytest.mark.parametrize("text,hours", [
    ("what time does the archaeological museum close?", True),
    ("τι ώρα κλείνει το αρχαιολογικό μουσείο;", True),
    ("ti ora kleinei to mouseio", True),
    ("ΩΡΑΡΙΟ ΝΑΥΤΙΚΟΥ ΜΟΥΣΕΙΟΥ", True),
    ("tell me about the maritime museum", False),
    ("πώς πάω στο Ελαφονήσι;", False),
])
def test_an_hours_question(text: str, hours: bool) -> None:
    assert asks_hours(text) is hours


@pytest.mark.parametrize("text,near,nearest", [
    ("What is there to see near Firkas?", True, False),
    ("τι να δω κοντά στο λιμάνι;", True, False),
    ("ti na do konta sto limani", True, False),
    ("nearest beach", False, True),
    ("η κοντινότερη παραλία;", False, True),
    ("παραλίες κοντά μου", True, True),
    ("can I swim in Falasarna?", False, False),
])
def test_near_and_nearest(text: str, near: bool, nearest: bool) -> None:
    assert (names_near(text), asks_nearest(text)) == (near, nearest)
