"""What the "where" column of a ticket says: the place a person would recognise, never a bare pin.

In order: the address the resident or the clerk typed; the street the geocoder found for the pin (the geocoding of
``bot/tickets/`` writes it as ``ticket["place_name"]`` — this is the hook it fills); otherwise the pin's
coordinates in the staff's number format. The ticket page shows the same text above its map.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.dashboard.i18n import StaffTexts
from bot.tickets import ticket_point


def where(ticket: Mapping[str, Any], t: StaffTexts) -> str:
    for key in ("address", "place_name"):
        value = " ".join(str(ticket.get(key) or "").split())
        if value:
            return value
    point = ticket_point(ticket)
    if point is not None:
        return t("tickets.pin_at", coordinates=t.coordinates(point.lat, point.lon))
    return "—"
