"""Office hours for talking to a person: Europe/Athens days and hours, closed on Greece's public holidays."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.settings import Settings
from bot.handoff.hours import OfficeHours, parse_days, parse_hours

ATHENS = ZoneInfo("Europe/Athens")
HOURS = OfficeHours.from_text("mon-fri", "08:00-15:00")


def athens(*args: int) -> datetime:
    return datetime(*args, tzinfo=ATHENS)


@pytest.mark.parametrize(("at", "open_"), [
    (athens(2026, 12, 1, 8, 0), True),     # Tuesday, opening minute
    (athens(2026, 12, 1, 14, 59), True),
    (athens(2026, 12, 1, 15, 0), False),   # closing time
    (athens(2026, 12, 1, 7, 59), False),
    (athens(2026, 12, 5, 10, 0), False),   # Saturday
    (athens(2026, 3, 25, 10, 0), False),   # Independence Day, a Wednesday
    (athens(2026, 4, 13, 10, 0), False),   # Orthodox Easter Monday 2026
    (athens(2026, 4, 14, 10, 0), True),
    (datetime(2026, 7, 1, 5, 30, tzinfo=UTC), True),  # 08:30 in Athens (summer time, UTC+3)
    (datetime(2026, 1, 7, 5, 30, tzinfo=UTC), False),  # 07:30 in Athens (winter, UTC+2)
])
def test_open_or_not(at: datetime, open_: bool) -> None:
    assert HOURS.is_open(at) is open_


@pytest.mark.parametrize(("at", "opens"), [
    (athens(2026, 12, 1, 16, 0), athens(2026, 12, 2, 8, 0)),     # Tuesday evening → Wednesday morning
    (athens(2026, 12, 4, 15, 30), athens(2026, 12, 7, 8, 0)),    # Friday afternoon → Monday
    (athens(2026, 12, 24, 18, 0), athens(2026, 12, 28, 8, 0)),   # Christmas, the 26th, a weekend
    (athens(2026, 4, 9, 20, 0), athens(2026, 4, 14, 8, 0)),      # before Good Friday and Easter Monday
    (athens(2026, 12, 1, 6, 0), athens(2026, 12, 1, 8, 0)),      # early the same day
])
def test_next_opening(at: datetime, opens: datetime) -> None:
    assert HOURS.next_opening(at) == opens


def test_days_and_hours_are_validated_at_start_up() -> None:
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("mon, wed,fri") == frozenset({0, 2, 4})
    assert parse_hours("8:30-14:30")[0].hour == 8
    for bad in ("monday", "fri-mon", "", "mon-xyz"):
        with pytest.raises(ValueError):
            parse_days(bad)
    for bad in ("15:00-08:00", "8-15", "25:00-26:00", "08:00-08:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)
    with pytest.raises(ValueError, match="office_hours"):
        Settings(_env_file=None, office_hours="late")  # type: ignore[call-arg]


def test_the_hand_back_question_names_what_was_left_half_way() -> None:
    from bot.core.i18n import Texts
    from bot.handoff import continue_question

    el, en = Texts("el"), Texts("en")
    assert continue_question(el, "complaints").text == el("handoff.continue_report")
    alerts = continue_question(el, "alerts")
    assert "εγγραφή σε ειδοποιήσεις" in alerts.text and "αναφορά" not in alerts.text
    assert [b.payload for b in alerts.buttons] == ["human:continue", "human:drop"]
    assert "the sign-up for area alerts" in continue_question(en, "alerts").text
    assert continue_question(en, None).text == en("handoff.continue_report")


@pytest.mark.parametrize(("at", "closed"), [
    (athens(2026, 12, 1, 15, 0), athens(2026, 12, 1, 15, 0)),    # Tuesday at closing time: this closing
    (athens(2026, 12, 1, 14, 59), athens(2026, 11, 30, 15, 0)),  # still open: Monday's
    (athens(2026, 12, 7, 9, 0), athens(2026, 12, 4, 15, 0)),     # Monday morning: Friday's
    (athens(2026, 3, 26, 10, 0), athens(2026, 3, 24, 15, 0)),    # after Independence Day (Wed 25th): Tuesday's
])
def test_last_closing(at: datetime, closed: datetime) -> None:
    """The idle release hands back a chat held since before the office last closed (bot/handoff/release.py)."""
    assert HOURS.last_closing(at) == closed
