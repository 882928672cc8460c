"""The opening hours of a sight as a small form (issue 9): seasons (dates, days, hours, last entry), the days it is
always closed (the usual public holidays as ticks, others typed), public holidays, open-air, verified. The form
writes the same structure as ``data/pois.yaml`` and is validated by the same model (:class:`bot.guide.hours.Opening`);
the YAML textarea stays for what the form does not make easy (it is used when the editor select says so).

Field names (flat, as an HTML form posts them): ``season_<i>_from`` / ``_to`` (``MM-DD``), ``season_<i>_<day>``
(a tick per weekday), ``season_<i>_open`` / ``_close`` / ``_last_entry`` (``HH:MM``); ``closed_<key>`` ticks,
``opening_closed_other`` (more ``MM-DD`` dates, comma separated), ``opening_public_holidays`` (open | closed),
``opening_always_open``, ``opening_verified``, ``opening_editor`` (form | yaml). A season row left empty is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.guide.hours import MOVABLE, WEEKDAYS, Opening

# The closed days offered as ticks: the fixed public holidays museums usually close on, and the movable feasts.
COMMON_CLOSED = ("01-01", "01-06", "03-25", "05-01", "08-15", "10-28", "12-25", "12-26", *MOVABLE)
EDITORS = ("form", "yaml")
SPARE_ROWS = 1  # empty season rows after the existing ones (a new season)
_ROW = re.compile(r"^season_(\d{1,2})_")


def closed_field(key: str) -> str:
    return "closed_" + key.replace("-", "_")


def season_rows(form: Mapping[str, Any]) -> int:
    """How many season rows a form has (its fields say)."""
    rows = [int(m.group(1)) for key in form if (m := _ROW.match(key))]
    return max(rows) + 1 if rows else 1


def opening_form(opening: Opening | None) -> dict[str, Any]:
    """The form's fields for a sight's hours; booleans for the ticks (unticked boxes post nothing)."""
    seasons = opening.seasons if opening is not None else ()
    form: dict[str, Any] = {
        "opening_editor": "form",
        "opening_always_open": bool(opening and opening.always_open),
        "opening_verified": bool(opening and opening.verified),
        "opening_public_holidays": opening.public_holidays if opening is not None else "open",
    }
    closed_on = opening.closed_on if opening is not None else ()
    for key in COMMON_CLOSED:
        form[closed_field(key)] = key in closed_on
    form["opening_closed_other"] = ", ".join(k for k in closed_on if k not in COMMON_CLOSED)
    for i in range(len(seasons) + SPARE_ROWS):
        season = seasons[i] if i < len(seasons) else None
        form[f"season_{i}_from"] = season.start if season else ""
        form[f"season_{i}_to"] = season.end if season else ""
        for day in WEEKDAYS:
            form[f"season_{i}_{day}"] = bool(season and day in season.days)
        for part in ("open", "close", "last_entry"):
            value = getattr(season, part) if season else None
            form[f"season_{i}_{part}"] = f"{value:%H:%M}" if value is not None else ""
    return form


def opening_from_form(form: Mapping[str, Any], current: Opening | None = None) -> Opening | None:
    """The hours the form describes (``None``: no structured hours). Raises ``ValueError`` / ``ValidationError``
    with the field that is wrong, as the catalogue's model does for the file. Closed days keep ``current``'s order
    (an unchanged form is an unchanged sight)."""
    seasons: list[dict[str, Any]] = []
    for i in range(season_rows(form)):
        row = {part: str(form.get(f"season_{i}_{part}") or "").strip()
               for part in ("from", "to", "open", "close", "last_entry")}
        days = [day for day in WEEKDAYS if form.get(f"season_{i}_{day}")]
        if not any(row.values()) and not days:
            continue  # an empty row
        season: dict[str, Any] = {"from": row["from"], "to": row["to"], "days": days,
                                  "open": row["open"], "close": row["close"]}
        if row["last_entry"]:
            season["last_entry"] = row["last_entry"]
        seasons.append(season)
    ticked = [key for key in COMMON_CLOSED if form.get(closed_field(key))]
    ticked += [v.strip() for v in str(form.get("opening_closed_other") or "").split(",") if v.strip()]
    kept = [key for key in (current.closed_on if current is not None else ()) if key in ticked]
    closed_on = kept + [key for key in dict.fromkeys(ticked) if key not in kept]
    always_open = bool(form.get("opening_always_open"))
    if not always_open and not seasons:
        if closed_on:
            raise ValueError("opening hours: closed days without a season")
        return None
    data: dict[str, Any] = {"always_open": always_open, "verified": bool(form.get("opening_verified")),
                            "public_holidays": form.get("opening_public_holidays") or "open",
                            "closed_on": closed_on}
    if seasons:
        data["seasons"] = seasons
    return Opening.model_validate(data)
