"""What the "where" column of a ticket says: the place a person would recognise, never a bare pin.

In order: the address the resident or the clerk typed; the street the geocoder found for the pin (the geocoding of
``bot/tickets/`` writes it as ``ticket["place_name"]`` — this is the hook it fills); otherwise the neighbourhood or
municipal unit the pin falls in (the areas of ``bot/alerts/areas.py``) with the pin's coordinates in the staff's
number format. The ticket page and the intake receipt show the same text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.areas import alert_areas
from bot.dashboard.i18n import StaffTexts
from bot.tickets import ticket_point


def where(ticket: Mapping[str, Any], t: StaffTexts) -> str:
    for key in ("address", "place_name"):
        value = " ".join(str(ticket.get(key) or "").split())
        if value:
            return value
    point = ticket_point(ticket)
    if point is not None:
        coordinates = t.coordinates(point.lat, point.lon)
        areas = sorted(alert_areas().at(point), key=lambda a: a.kind != "neighbourhood")  # the most specific first
        if areas:
            return t("tickets.pin_in", area=areas[0].name(t.lang), coordinates=coordinates)
        return t("tickets.pin_at", coordinates=coordinates)
    return "—"
