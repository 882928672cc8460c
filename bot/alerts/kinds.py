"""The kinds of notice a resident can subscribe to (names in the ``alerts.kinds`` section of the catalogues)."""

from __future__ import annotations

KINDS: tuple[str, ...] = ("water", "power", "roads", "waste", "civil_protection")

# A complaint category (its intent in data/categories.yaml) → the notice kinds that may explain it: a resident
# reporting no water where a water cut is announced is told of it (bot/alerts/notices.active_at).
KINDS_FOR_CATEGORY: dict[str, tuple[str, ...]] = {
    "complaint_water": ("water",),
    "complaint_lighting": ("power",),
    "complaint_roads": ("roads",),
    "complaint_parking": ("roads",),
    "complaint_waste": ("waste",),
}
