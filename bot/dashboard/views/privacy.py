"""The data-protection officer's pages (role ``dpo``, and admin): requests that arrive by post or at the office.

``/staff/privacy?q=`` finds a person by a ticket reference or a phone number and shows what is held; from there the
DPO downloads the export (JSON) or erases, each with its legal basis and a note (both required), and marks a
ticket's description as free of personal data (so erasure keeps it; photos are kept when approved for publication).
Every search, export, erasure and mark is in the audit log. The person's phone is never written to the log: the
entry names their conversation or ticket, which erasure pseudonymises.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from bot.dashboard.core import PREFIX, error_page, render, requires, see_other, services_of, staff_of
from bot.dashboard.core import record as audit
from bot.privacy import erase, export, subjects
from bot.privacy.registry import DataSubject
from bot.tickets import parse_reference

LEGAL_BASES: dict[str, tuple[str, ...]] = {
    "export": ("art15", "art20"),  # access, portability
    "erase": ("art17", "art21"),  # erasure, objection
}
MAX_NOTE = 1000
MAX_QUERY = 64


def _target(subject: DataSubject) -> str | None:
    return min(subject.conversation_ids) if subject.conversation_ids else min(subject.references, default=None)


async def _found(request: web.Request, query: str) -> dict[str, Any]:
    store = services_of(request).store
    subject = await subjects.find(store, query) if query else None
    if subject is None:
        return {"subject": None}
    data = await export.export_subject(store, subject, services_of(request).settings)
    return {"subject": subject, "data": data, "target": _target(subject)}


@requires("privacy")
async def search(request: web.Request) -> web.StreamResponse:
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    found = await _found(request, query)
    if query:
        await audit(request, "privacy.search", target=found.get("target"), found=found["subject"] is not None)
    return render(request, "privacy.html", {"q": query, "bases": LEGAL_BASES, **found,
                                            "report": None, "form_error": request.query.get("error", "")})


def _form_fields(form: Any, action: str) -> tuple[str, str, str] | None:
    query = str(form.get("q", "")).strip()[:MAX_QUERY]
    basis = str(form.get("legal_basis", ""))
    note = str(form.get("note", "")).strip()
    if basis not in LEGAL_BASES[action] or not note or len(note) > MAX_NOTE:
        return None
    return query, basis, note


@requires("privacy")
async def download(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    fields = _form_fields(form, "export")
    if fields is None:
        raise see_other(f"{PREFIX}/privacy", q=str(form.get("q", "")), error="basis_and_note")
    query, basis, note = fields
    found = await _found(request, query)
    if found["subject"] is None:
        return error_page(request, 404, "errors.not_found")
    await audit(request, "privacy.export", target=found["target"], legal_basis=basis, note=note)
    name = f"chania-data-{date.today().isoformat()}.json"
    return web.Response(body=export.export_json(found["data"]), content_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@requires("privacy")
async def erase_subject(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    fields = _form_fields(form, "erase")
    if fields is None or form.get("confirm") != "1":
        raise see_other(f"{PREFIX}/privacy", q=str(form.get("q", "")), error="basis_and_note")
    query, basis, note = fields
    store = services_of(request).store
    subject = await subjects.find(store, query)
    if subject is None:
        return error_page(request, 404, "errors.not_found")
    report = await erase.erase_subject(store, subject)
    await audit(request, "privacy.erase", target=report.pseudonym, legal_basis=basis, note=note,
                **report.as_details())
    return render(request, "privacy.html", {"q": "", "bases": LEGAL_BASES, "subject": None, "report": report,
                                            "form_error": ""})


@requires("privacy")
async def review(request: web.Request) -> web.StreamResponse:
    """Mark (or unmark) a ticket's description as free of personal data: erasure then keeps it."""
    reference = parse_reference(request.match_info["reference"])
    form = await request.post()
    free = form.get("free") == "1"
    store = services_of(request).store
    result = await store.tickets.update_one({"reference": reference}, {"$set": {
        "personal_data_review.description": free, "personal_data_review.by": staff_of(request).actor}})
    if not reference or result.matched_count == 0:
        return error_page(request, 404, "errors.not_found")
    await audit(request, "privacy.review", target=reference, description_free=free)
    raise see_other(f"{PREFIX}/privacy", q=str(form.get("q", "")) or reference, done="review_saved")
