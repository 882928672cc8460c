"""The kinds of notice a resident can subscribe to (names in the ``alerts.kinds`` section of the catalogues)."""

from __future__ import annotations

KINDS: tuple[str, ...] = ("water", "power", "roads", "waste", "civil_protection")

# A complaint category (data/categories.yaml) → the notice kinds that may explain it (bot/alerts/notices.py).
KINDS_FOR_CATEGORY: dict[str, tuple[str, ...]] = {
    "water": ("water",),
    "lighting": ("power",),
    "roads": ("roads",),
    "parking": ("roads",),
    "waste": ("waste",),
}
