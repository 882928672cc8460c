"""The ticket list's filters (status, category, department, channel, dates, search) as one value that builds the
MongoDB query, the query string of links (pages, CSV export) and respects the member's departments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from bot.staff.accounts import StaffMember
from bot.tickets import CHANNELS, LOCAL_TZ, OPEN_STATUSES, STATUSES, parse_reference
from bot.tickets.categories import categories
from nlu.chania_text import normalize

MAX_SEARCH = 100

# Greek letters with their accented / dialytika / capital forms, so "λακκουβα" finds "Λακκούβα"
_GREEK_VARIANTS = {
    "α": "αάΑΆ", "ε": "εέΕΈ", "η": "ηήΗΉ", "ι": "ιίϊΐΙΊΪ", "ο": "οόΟΌ", "υ": "υύϋΰΥΎΫ", "ω": "ωώΩΏ", "σ": "σςΣ",
}


def loose_pattern(text: str) -> str:
    """A regular expression matching ``text`` regardless of case, Greek accents and final sigma."""
    out = []
    for ch in normalize(text):
        variants = _GREEK_VARIANTS.get(ch)
        out.append(f"[{variants}]" if variants else re.escape(ch))
    return "".join(out)


_SEQUENCE_RE = re.compile(r"^\d{1,6}$")  # the digits of a reference as read from a receipt: "000005", "5"
_DMY_RE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")


def _date(value: str) -> date | None:
    """A calendar day as typed in the filter, ``31/01/2026`` (Greek order, also with ``.`` or ``-``), or ISO
    ``2026-01-31`` (links of the list itself)."""
    if not value:
        return None
    try:
        m = _DMY_RE.match(value)
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else date.fromisoformat(value.strip())
    except ValueError:
        return None


def day_text(value: date | None) -> str:
    """A day as the filter's field shows it: ``31/01/2026``."""
    return value.strftime("%d/%m/%Y") if value else ""


@dataclass
class TicketFilter:
    status: str = ""  # "", "open" or one of STATUSES
    category: str = ""
    department: str = ""
    channel: str = ""
    date_from: date | None = None  # Europe/Athens calendar days, inclusive
    date_to: date | None = None
    q: str = ""
    invalid: list[str] = field(default_factory=list)  # names of parameters that were ignored

    @classmethod
    def from_query(cls, query: Any) -> TicketFilter:
        f = cls()
        status = query.get("status", "")
        if status in (*STATUSES, "open"):
            f.status = status
        elif status:
            f.invalid.append("status")
        category = query.get("category", "")
        if category in categories():
            f.category = category
        elif category:
            f.invalid.append("category")
        department = query.get("department", "")
        if categories().department(department) is not None:
            f.department = department
        elif department:
            f.invalid.append("department")
        channel = query.get("channel", "")
        if channel in CHANNELS:
            f.channel = channel
        elif channel:
            f.invalid.append("channel")
        for name in ("from", "to"):
            raw = query.get(name, "")
            value = _date(raw)
            if raw and value is None:
                f.invalid.append(name)
            setattr(f, "date_from" if name == "from" else "date_to", value)
        f.q = " ".join(query.get("q", "").split())[:MAX_SEARCH]
        return f

    def mongo(self, member: StaffMember) -> dict[str, Any]:
        """The query, limited to the member's departments; a department filter outside them matches nothing."""
        q: dict[str, Any] = {}
        if self.status == "open":
            q["status"] = {"$in": list(OPEN_STATUSES)}
        elif self.status:
            q["status"] = self.status
        if self.category:
            q["category"] = self.category
        if member.all_departments:
            if self.department:
                q["department"] = self.department
        elif self.department:
            q["department"] = self.department if self.department in member.departments else {"$in": []}
        else:
            q["department"] = {"$in": list(member.departments)}
        if self.channel:
            q["channel"] = self.channel
        created: dict[str, datetime] = {}
        if self.date_from:
            created["$gte"] = datetime.combine(self.date_from, time.min, LOCAL_TZ)
        if self.date_to:
            created["$lt"] = datetime.combine(self.date_to + timedelta(days=1), time.min, LOCAL_TZ)
        if created:
            q["created_at"] = created
        if self.q:
            ref = parse_reference(self.q)
            if ref:
                q["reference"] = ref
            else:
                q["$or"] = self._text_search()
        return q

    def _text_search(self) -> list[dict[str, Any]]:
        """The description, the typed address, the person's name (a clerk is asked by name at the centre), and
        for a bare number also the reference's sequence: "000005" or "5" finds CHA-2026-000005. Only among the
        tickets the member may see (the department condition of :meth:`mongo` applies to every branch)."""
        number = _SEQUENCE_RE.match(self.q)
        # a bare number is a whole number in the text ("5" finds "Βενιζέλου 5", not "Βενιζέλου 45")
        pattern = rf"(?<!\d){int(self.q)}(?!\d)" if number else loose_pattern(self.q)
        search: list[dict[str, Any]] = [{field: {"$regex": pattern, "$options": "i"}}
                                        for field in ("description", "address", "citizen.name")]
        if number:
            search.append({"reference": {"$regex": f"-0*{int(self.q)}$"}})
        return search

    def params(self) -> dict[str, str]:
        p = {"status": self.status, "category": self.category, "department": self.department,
             "channel": self.channel, "from": self.date_from.isoformat() if self.date_from else "",
             "to": self.date_to.isoformat() if self.date_to else "", "q": self.q}
        return {k: v for k, v in p.items() if v}

    def query_string(self, **extra: Any) -> str:
        return urlencode({**self.params(), **{k: v for k, v in extra.items() if v}})
