"""Tickets: filtered list, CSV export, detail (timeline, map pin, photos, conversation) and the staff actions
(status with a note that is sent to the resident, reassign, internal note, duplicate). Department staff see and act
on their departments' tickets only."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from pymongo import ASCENDING, DESCENDING

from bot import tickets as ticket_service
from bot.core.i18n import Texts
from bot.core.settings import Settings
from bot.dashboard.core import (
    CONFIG,
    PHOTO_HTTP,
    PREFIX,
    error_page,
    fmt_time,
    render,
    requires,
    see_other,
    services_of,
    staff_of,
    texts_of,
)
from bot.dashboard.core import record as audit
from bot.dashboard.ticket_filters import TicketFilter
from bot.privacy.redaction import redact_text
from bot.store import shapes
from bot.tickets import CHANNELS, MAX_NOTE, STATUSES, parse_reference, photos, reasons, ticket_point
from bot.tickets.categories import categories
from bot.transcript import label_presses

log = logging.getLogger(__name__)

PAGE_SIZE = 50
CONVERSATION_LIMIT = 100


def _page(query: Any) -> int:
    try:
        return max(1, min(int(query.get("page", "1")), 10_000))
    except ValueError:
        return 1


def _choices() -> dict[str, Any]:
    return {"statuses": STATUSES, "channels": CHANNELS, "categories": list(categories()),
            "departments": categories().departments,
            "reasons": {s: reasons.reason_codes(s) for s in STATUSES if reasons.reason_codes(s)},
            "needs_reason": sorted(reasons.NEEDS_REASON)}


def _resident_note(ticket: dict[str, Any], status: str, form: dict[str, str]) -> str:
    """The note sent to the resident with ``status``; ``see_other`` with an error when the reason is missing."""
    try:
        return reasons.resident_note(status, form.get("reason", ""), form.get("note", ""),
                                     ticket.get("language") or "el")
    except reasons.ReasonMissing:
        raise see_other(_here(ticket), error="reason_required") from None
    except ValueError:
        raise see_other(_here(ticket), error="bad_status") from None


@requires("tickets")
async def ticket_list(request: web.Request) -> web.StreamResponse:
    store = services_of(request).store
    member = staff_of(request)
    f = TicketFilter.from_query(request.query)
    query = f.mongo(member)
    page = _page(request.query)
    total = await store.tickets.count_documents(query)
    cursor = store.tickets.find(query, {"history": 0, "notes": 0, "photos.data": 0}).sort(
        [("created_at", DESCENDING), ("reference", DESCENDING)]).skip((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    rows = [shapes.ticket(doc) async for doc in cursor]
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    visible_departments = [d for d in categories().departments if member.sees_department(d.id)]
    return render(request, "tickets.html", {
        "rows": rows, "f": f, "total": total, "page": page, "pages": pages, **_choices(),
        "departments": visible_departments,
    })


# Formula injection: a spreadsheet runs a cell that starts with one of these (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


CSV_COLUMNS = ("reference", "created_at", "status", "category", "department", "channel", "language", "address",
               "lat", "lon", "description", "duplicate_of", "updated_at")


def csv_delimiter(lang: str) -> str:
    """";" where numbers have a decimal comma (Greek: what spreadsheet programs set to Greek expect), else ","."""
    return ";" if lang == "el" else ","


@requires("tickets")
async def ticket_csv(request: web.Request) -> web.StreamResponse:
    """The filtered list as CSV (UTF-8 with BOM, so spreadsheet programs show Greek; ";" between Greek cells with
    decimal commas), streamed. No personal data
    of the resident (name, phone) is exported; phones, e-mails and ΑΦΜ/ΑΜΚΑ in the free text are masked."""
    store = services_of(request).store
    member = staff_of(request)
    t = texts_of(request)
    f = TicketFilter.from_query(request.query)
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="tickets.csv"',
    })
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=csv_delimiter(t.lang))
    writer.writerow([t(f"csv.{c}") for c in CSV_COLUMNS])
    await response.write(("\ufeff" + buffer.getvalue()).encode())
    count = 0
    skip = {"history": 0, "notes": 0, "citizen": 0, "photos.data": 0}  # no photo bytes in a list
    cursor = store.tickets.find(f.mongo(member), skip).sort(
        [("created_at", DESCENDING), ("reference", DESCENDING)])
    async for stored in cursor:
        doc = shapes.ticket(stored)
        point = ticket_point(doc)
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(v) for v in (
            doc["reference"], fmt_time(doc.get("created_at")), t.status(doc.get("status")),
            t.category(doc.get("category")), t.department(doc.get("department")), t.channel(doc.get("channel")),
            t(f"language.{doc['language']}") if t.has(f"language.{doc.get('language')}") else doc.get("language"),
            redact_text(doc.get("address") or doc.get("place_name") or ""), t.number(point.lat, 6) if point else "",
            t.number(point.lon, 6) if point else "", redact_text(doc.get("description") or ""), doc.get("duplicate_of"),
            fmt_time(doc.get("updated_at")),
        )])
        await response.write(buffer.getvalue().encode())
        count += 1
    await audit(request, "ticket.export", filters=f.params(), rows=count)
    await response.write_eof()
    return response


async def find_visible_ticket(request: web.Request) -> dict[str, Any] | web.Response:
    """The ticket of the URL's reference as stored, or the 404/403 page when it is unknown or not this member's."""
    ref = parse_reference(request.match_info["reference"])
    ticket = await ticket_service.get_ticket(services_of(request), ref) if ref else None
    if ticket is None:
        return error_page(request, 404, "errors.not_found")
    if not staff_of(request).sees_department(ticket.get("department")):
        return error_page(request, 403, "errors.forbidden")
    return ticket


async def _visible_ticket(request: web.Request) -> dict[str, Any] | web.Response:
    ticket = await find_visible_ticket(request)
    return ticket if isinstance(ticket, web.Response) else shapes.ticket(ticket)


def timeline(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """Status changes, reassignments and internal notes in time order."""
    items: list[dict[str, Any]] = []
    previous_status = None
    for entry in ticket.get("history") or ():
        kind = "reassign" if entry.get("department") else ("status" if entry.get("status") != previous_status
                                                             else "update")
        items.append({"kind": kind, **entry})
        previous_status = entry.get("status")
    for note in ticket.get("notes") or ():
        items.append({"kind": "note", **note})
    items.sort(key=lambda e: e["at"])
    return items


def photo_views(ticket: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    """Each photo's address for the page: its own same-origin URL, or this service's proxy (``ticket_photo``)."""
    out = []
    for i, p in enumerate(ticket.get("photos") or ()):
        src = photos.local_url(p)
        if src is None and photos.can_fetch(p, ticket.get("channel"), settings):
            src = f"{PREFIX}/tickets/{ticket['reference']}/photos/{i}"
        out.append({"src": src, "size_kb": round((p.get("size") or 0) / 1024)})
    return out


@requires("tickets")
async def ticket_photo(request: web.Request) -> web.StreamResponse:
    ticket = await _visible_ticket(request)
    if isinstance(ticket, web.Response):
        return ticket
    index = int(request.match_info["index"])
    all_photos = ticket.get("photos") or []
    if index >= len(all_photos):
        return error_page(request, 404, "errors.not_found")
    try:
        data, kind = await photos.fetch(request.config_dict[PHOTO_HTTP], all_photos[index], ticket.get("channel"),
                                        services_of(request).settings)
    except photos.PhotoUnavailable as exc:
        log.info("photo unavailable", extra={"reference": ticket["reference"], "reason": str(exc)})
        return error_page(request, 502, "errors.photo_unavailable")
    return web.Response(body=data, content_type=kind)


REPORT_TAIL = timedelta(seconds=10)  # the bot's receipt, stored just after the ticket


async def report_messages(store: Any, ticket: dict[str, Any], *, whole_chat: bool) -> dict[str, Any] | None:
    """Which of the chat's messages the ticket page shows: the whole chat to staff who may monitor conversations;
    to the others (a department) only the messages of this report, from its first message to its receipt and
    before the person's next message (a report begun seconds later is not shown with it) — the person's other
    reports, requests and data stay out of their sight. None: nothing to show."""
    query: dict[str, Any] = {"conversation_id": ticket["conversation_id"]}
    if whole_chat:
        return query
    started, filed = ticket.get("report_started_at"), ticket.get("created_at")
    if not isinstance(started, datetime) or not isinstance(filed, datetime):
        return None  # filed before reports kept their span, or not from a chat flow
    window: dict[str, Any] = {"$gte": started, "$lte": filed + REPORT_TAIL}
    after = await store.messages.find_one({**query, "direction": "in", "created_at": {"$gt": filed}},
                                          sort=[("created_at", ASCENDING)])
    if after is not None and isinstance(after.get("created_at"), datetime):
        window["$lt"] = after["created_at"]
    return {**query, "created_at": window}


@requires("tickets")
async def ticket_detail(request: web.Request) -> web.StreamResponse:
    ticket = await _visible_ticket(request)
    if isinstance(ticket, web.Response):
        return ticket
    services = services_of(request)
    messages: list[dict[str, Any]] = []
    conv = None
    whole_chat = staff_of(request).can("monitor")
    if ticket.get("conversation_id"):
        conv = await services.store.conversations.find_one({"_id": ticket["conversation_id"]})
        conv = shapes.conversation(conv) if conv is not None else None
        query = await report_messages(services.store, ticket, whole_chat=whole_chat)
        if query is not None:
            cursor = services.store.messages.find(query).sort(
                [("created_at", DESCENDING), ("seq", DESCENDING)]).limit(CONVERSATION_LIMIT)
            messages = label_presses([shapes.message(doc) async for doc in cursor][::-1])
    await audit(request, "ticket.view", target=ticket["reference"])
    point = ticket_point(ticket)
    return render(request, "ticket.html", {
        "ticket": ticket, "timeline": timeline(ticket), "photos": photo_views(ticket, services.settings),
        "point": point,
        "tiles_url": request.config_dict[CONFIG].tiles_url or "", "messages": messages, "conv": conv,
        "whole_chat": whole_chat,
        "max_note": MAX_NOTE, **_choices(),
        "res_t": Texts(texts_of(request).lang),  # the ready-made reasons, in the clerk's language on the page
    })


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def _here(ticket: dict[str, Any]) -> str:
    return f"{PREFIX}/tickets/{ticket['reference']}"


@requires("tickets")
async def change_status(request: web.Request) -> web.StreamResponse:
    ticket = await _visible_ticket(request)
    if isinstance(ticket, web.Response):
        return ticket
    form = await _form(request)
    status, note = form.get("status", ""), form.get("note", "")
    if status not in STATUSES or status == "duplicate" or len(note) > MAX_NOTE:
        raise see_other(_here(ticket), error="bad_status")  # "duplicate" needs the other ticket: its own form
    note = _resident_note(ticket, status, form)
    await ticket_service.change_status(services_of(request), ticket["reference"], status,
                                       actor=staff_of(request).actor, note=note)
    await audit(request, "ticket.status", target=ticket["reference"], status=status, previous=ticket.get("status"),
                note_length=len(note), **({"reason": form["reason"]} if form.get("reason") else {}))
    raise see_other(_here(ticket), done="status_changed")


@requires("tickets")
async def reassign(request: web.Request) -> web.StreamResponse:
    ticket = await _visible_ticket(request)
    if isinstance(ticket, web.Response):
        return ticket
    form = await _form(request)
    department, note = form.get("department", ""), form.get("note", "")
    if categories().department(department) is None or len(note) > MAX_NOTE:
        raise see_other(_here(ticket), error="bad_department")
    await ticket_service.reassign(services_of(request), ticket["reference"], department,
                                  actor=staff_of(request).actor, note=note)
    await audit(request, "ticket.reassign", target=ticket["reference"], department=department,
                previous=ticket.get("department"))
    if not staff_of(request).sees_department(department):
        raise see_other(f"{PREFIX}/tickets", done="reassigned")  # no longer theirs to see
    raise see_other(_here(ticket), done="reassigned")


@requires("tickets")
async def add_note(request: web.Request) -> web.StreamResponse:
    ticket = await _visible_ticket(request)
    if isinstance(ticket, web.Response):
        return ticket
    text = (await _form(request)).get("text", "")
    if not text or len(text) > MAX_NOTE:
        raise see_other(_here(ticket), error="note_length")
    await ticket_service.add_note(services_of(request), ticket["reference"], text, actor=staff_of(request).actor)
    await audit(request, "ticket.note", target=ticket["reference"], length=len(text))
    raise see_other(_here(ticket), done="note_added")


@requires("tickets")
async def mark_duplicate(request: web.Request) -> web.StreamResponse:
    ticket = await _visible_ticket(request)
    if isinstance(ticket, web.Response):
        return ticket
    form = await _form(request)
    other = parse_reference(form.get("of", ""))
    note = form.get("note", "")
    if other is None or other == ticket["reference"] or len(note) > MAX_NOTE:
        raise see_other(_here(ticket), error="bad_duplicate")
    note = _resident_note(ticket, "duplicate", form)
    try:
        await ticket_service.mark_duplicate(services_of(request), ticket["reference"], other,
                                            actor=staff_of(request).actor, note=note)
    except LookupError:
        raise see_other(_here(ticket), error="duplicate_unknown") from None
    await audit(request, "ticket.duplicate", target=ticket["reference"], of=other,
                **({"reason": form["reason"]} if form.get("reason") else {}))
    raise see_other(_here(ticket), done="marked_duplicate")
