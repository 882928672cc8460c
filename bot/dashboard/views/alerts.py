"""Area notices in the dashboard (role ``broadcaster``, and admin): write a notice in Greek and English, pick the
areas on a map or from the list, preview the recipients per channel, send it (or submit it for a second person's
approval), and watch its delivery report live (``/staff/alerts/{id}/report.json``, polled by
``static/js/alerts.js``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.alerts import broadcast, notices
from bot.alerts.areas import alert_areas
from bot.alerts.kinds import KINDS
from bot.core.models import utcnow
from bot.dashboard.core import PREFIX, error_page, record, render, requires, see_other, services_of, staff_of

ATHENS = ZoneInfo("Europe/Athens")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">


def _local(value: datetime | None) -> str:
    return value.astimezone(ATHENS).strftime(LOCAL_FORMAT) if value else ""


def _parse_local(value: str) -> datetime | None:
    try:
        return datetime.strptime(value.strip(), LOCAL_FORMAT).replace(tzinfo=ATHENS)
    except ValueError:
        return None


def _areas_geojson() -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [a.geojson() for a in alert_areas().areas]}


def _two_person(request: web.Request) -> bool:
    return services_of(request).settings.alerts_two_person_approval


def _form_context(form: dict[str, Any], error: str = "") -> dict[str, Any]:
    return {"form": form, "kinds": KINDS, "areas": alert_areas().areas, "areas_geojson": _areas_geojson(),
            "form_error": error, "title_max": notices.TITLE_MAX, "body_max": notices.BODY_MAX}


@requires("alerts")
async def notice_list(request: web.Request) -> web.StreamResponse:
    cursor = notices.collection(services_of(request).store).find({}).sort("created_at", -1).limit(100)
    return render(request, "alerts_list.html", {"notices": [doc async for doc in cursor],
                                                "catalogue": alert_areas()})


@requires("alerts")
async def notice_new(request: web.Request) -> web.StreamResponse:
    now = utcnow()
    form = {"kind": "water", "areas": [], "title_el": "", "body_el": "", "title_en": "", "body_en": "",
            "valid_from": _local(now), "valid_until": _local(now.replace(minute=0) + timedelta(hours=6)), "send_at": ""}
    return render(request, "alerts_form.html", _form_context(form))


@requires("alerts")
async def notice_create(request: web.Request) -> web.StreamResponse:
    post = await request.post()
    form = {key: str(post.get(key, "")) for key in ("kind", "title_el", "body_el", "title_en", "body_en",
                                                    "valid_from", "valid_until", "send_at")}
    form["areas"] = [str(v) for v in post.getall("areas", [])]
    valid_from, valid_until = _parse_local(form["valid_from"]), _parse_local(form["valid_until"])
    send_at = _parse_local(form["send_at"]) if form["send_at"].strip() else None
    if valid_from is None or valid_until is None or (form["send_at"].strip() and send_at is None):
        return render(request, "alerts_form.html", _form_context(form, "bad_date"), status=400)
    draft = notices.Draft(kind=form["kind"], areas=form["areas"], title_el=form["title_el"], body_el=form["body_el"],
                          title_en=form["title_en"], body_en=form["body_en"], valid_from=valid_from,
                          valid_until=valid_until, send_at=send_at)
    try:
        doc = await notices.create(services_of(request).store, draft, alert_areas(), author=staff_of(request).actor,
                                   two_person=_two_person(request),
                                   scope=services_of(request).settings.alerts_approval_scope)
    except notices.NoticeError as exc:
        return render(request, "alerts_form.html", _form_context(form, exc.code), status=400)
    await record(request, "alert.create", target=str(doc["_id"]), kind=doc["kind"], areas=doc["areas"])
    raise see_other(f"{PREFIX}/alerts/{doc['_id']}", done="alert_saved")


async def _notice(request: web.Request) -> dict[str, Any] | web.Response:
    doc = await notices.get(services_of(request).store, request.match_info["notice_id"])
    return doc if doc is not None else error_page(request, 404, "errors.not_found")


@requires("alerts")
async def notice_detail(request: web.Request) -> web.StreamResponse:
    doc = await _notice(request)
    if isinstance(doc, web.Response):
        return doc
    services = services_of(request)
    catalogue = alert_areas()
    preview = {lang: broadcast.message(doc, lang, catalogue).text for lang in ("el", "en")}
    counts = await broadcast.recipients(services, doc) if doc["status"] != "queued" else {}
    member = staff_of(request)
    return render(request, "alerts_detail.html", {
        "notice": doc, "preview": preview, "recipients": counts, "recipients_total": sum(counts.values()),
        "report": await broadcast.report(services, doc["_id"]), "catalogue": catalogue,
        "can_approve": doc["status"] == "awaiting_approval" and doc.get("created_by") != member.actor,
    })


@requires("alerts")
async def notice_report(request: web.Request) -> web.StreamResponse:
    doc = await _notice(request)
    if isinstance(doc, web.Response):
        return doc
    return web.json_response({"status": doc["status"], "recipients": doc.get("recipients"),
                              **await broadcast.report(services_of(request), doc["_id"])})


def _action(name: str, move: Any, done: str) -> Any:
    @requires("alerts")
    async def action(request: web.Request) -> web.StreamResponse:
        doc = await _notice(request)
        if isinstance(doc, web.Response):
            return doc
        try:
            moved = await move(services_of(request).store, doc, staff_of(request).actor)
        except notices.NoticeError as exc:
            raise see_other(f"{PREFIX}/alerts/{doc['_id']}", error=f"alert_{exc.code}") from None
        await record(request, f"alert.{name}", target=str(doc["_id"]), status=moved["status"])
        if moved["status"] == "scheduled":
            await broadcast.run_due(services_of(request))  # due now: queued at once (later ones by the scheduler)
        raise see_other(f"{PREFIX}/alerts/{doc['_id']}", done=done)

    action.__name__ = f"notice_{name}"
    return action


notice_send = _action("send", notices.submit, "alert_sent")
notice_approve = _action("approve", notices.approve, "alert_approved")
notice_cancel = _action("cancel", notices.cancel, "alert_cancelled")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/alerts", notice_list)
    router.add_get("/alerts/new", notice_new)
    router.add_post("/alerts", notice_create)
    router.add_get("/alerts/{notice_id}", notice_detail)
    router.add_get("/alerts/{notice_id}/report.json", notice_report)
    router.add_post("/alerts/{notice_id}/send", notice_send)
    router.add_post("/alerts/{notice_id}/approve", notice_approve)
    router.add_post("/alerts/{notice_id}/cancel", notice_cancel)
