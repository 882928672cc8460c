"""The staff dashboard: a sub-application of the one aiohttp app, mounted at ``/staff``.

Server-rendered Jinja2 pages (autoescape on, citizen text is untrusted), a little JavaScript and all assets served
from ``/staff/static`` (Chart.js and Leaflet vendored with their licences): it works on an intranet without
internet. Middlewares and headers of :mod:`bot.dashboard.security` apply to ``/staff`` only. Texts in
``data/i18n/staff/{el,en}.yaml`` (Greek by default); times shown in Europe/Athens.

Pages (roles in :data:`bot.staff.accounts.PERMISSIONS`):
``/staff/login`` · ``/staff/monitor`` (live, server-sent events from ``/staff/events``) ·
``/staff/conversations/{id}`` (transcript with NLU, take-over, reply, hand-back) · ``/staff/failed`` (dead
letters with retry) · ``/staff/tickets`` (filters,
search, ``/staff/tickets.csv``) · ``/staff/tickets/{ref}`` (timeline, map, photos, conversation, actions) ·
``/staff/intake`` (assisted intake, receipt) · ``/staff/admin/centres`` (KAPI/KIFI) · ``/staff/stats`` ·
``/staff/admin/staff`` · ``/staff/admin/audit`` · ``/status/<token>`` (public, from a receipt's QR code) ·
``/staff/account`` · ``/staff/guide`` (the visitor guide's sights) ·
``/staff/admin/api-keys`` (Open311 keys) · ``/staff/tickets/{ref}/public`` (what Open311
publishes of a ticket) · ``/staff/privacy`` (the data-protection officer: find a person, export, erase) ·
``/staff/nlu/review`` (NLU review queue, role ``annotator``) · ``/staff/nlu/models`` (candidate
reports, promotion, rollback; admin).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.core.events import EventBus
from bot.core.services import Services
from bot.dashboard.core import (
    BUS,
    CONFIG,
    JINJA,
    PHOTO_HTTP,
    PREFIX,
    SERVICES,
    SESSIONS,
    STATIC_DIR,
    DashboardConfig,
    make_environment,
)
from bot.dashboard.security import csrf_middleware, security_headers, session_middleware
from bot.dashboard.sessions import SessionStore
from bot.dashboard.views import (
    admin,
    alerts,
    api_keys,
    auth,
    centres,
    failed,
    guide,
    intake,
    monitor,
    nlu_models,
    nlu_review,
    outbox,
    privacy,
    public_status,
    publication,
    stats,
    tickets,
)
from bot.intake.centres import ensure_seeded
from bot.staff.accounts import ensure_demo_admin
from bot.tickets import photos

__all__ = ["ensure_demo_admin", "setup_dashboard"]


def _config(services: Services) -> DashboardConfig:
    settings = services.settings
    return DashboardConfig(
        secure_cookies=bool(settings.public_url and settings.public_url.startswith("https://")),
        tiles_url=getattr(settings, "staff_map_tiles_url", None) or None,
        low_confidence=settings.nlu_confidence_threshold,
    )


def setup_dashboard(app: web.Application, services: Services, bus: EventBus) -> None:
    """Mount the dashboard at ``/staff`` on ``app`` (before the app starts)."""
    staff = web.Application(middlewares=[session_middleware, csrf_middleware])
    staff[SERVICES] = services
    staff[BUS] = bus
    staff[SESSIONS] = SessionStore(services.store)
    staff[CONFIG] = _config(services)
    staff[JINJA] = make_environment()
    staff[monitor.STREAMS] = set()
    staff.on_response_prepare.append(security_headers)
    staff.on_shutdown.append(monitor.close_streams)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await staff[SESSIONS].ensure_indexes()
        await ensure_seeded(services.store)  # the KAPI/KIFI list, from data/centres.yaml on first start
        await services.store.tickets.create_index("status_token", sparse=True, name="status_token")
        staff[PHOTO_HTTP] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=photos.TIMEOUT_S))
        yield
        await staff[PHOTO_HTTP].close()

    staff.cleanup_ctx.append(lifecycle)

    r = staff.router
    r.add_get("/", auth.home)
    r.add_get("/login", auth.login_page)
    r.add_post("/login", auth.login)
    r.add_post("/logout", auth.logout)
    r.add_post("/language", auth.language)
    r.add_get("/account", auth.account)
    r.add_post("/account/password", auth.change_password)
    r.add_post("/account/name", auth.change_display_name)

    r.add_get("/monitor", monitor.monitor)
    r.add_get("/events", monitor.events)
    r.add_get("/conversations/{conversation_id}", monitor.conversation)
    r.add_post("/conversations/{conversation_id}/take-over", monitor.take_over)
    r.add_post("/conversations/{conversation_id}/hand-back", monitor.hand_back)
    r.add_post("/conversations/{conversation_id}/reply", monitor.reply)
    r.add_get("/conversations/{conversation_id}/photos/{message_id}/{index:\\d{1,2}}", monitor.message_photo)
    r.add_get("/failed", failed.failed_list)
    r.add_post("/failed/{message_id}/retry", failed.retry)

    r.add_get("/tickets", tickets.ticket_list)
    r.add_get("/tickets.csv", tickets.ticket_csv)
    r.add_get("/tickets/{reference}", tickets.ticket_detail)
    r.add_get("/tickets/{reference}/photos/{index:\\d+}", tickets.ticket_photo)
    r.add_post("/tickets/{reference}/status", tickets.change_status)
    r.add_post("/tickets/{reference}/reassign", tickets.reassign)
    r.add_post("/tickets/{reference}/note", tickets.add_note)
    r.add_post("/tickets/{reference}/duplicate", tickets.mark_duplicate)
    r.add_get("/tickets/{reference}/public", publication.public_view)
    r.add_post("/tickets/{reference}/public/private", publication.change_private)
    r.add_post("/tickets/{reference}/public/photos/{index:\\d{1,3}}", publication.change_photo)

    r.add_get("/privacy", privacy.search)
    r.add_post("/privacy/export", privacy.download)
    r.add_post("/privacy/erase", privacy.erase_subject)
    r.add_post("/privacy/review/{reference}", privacy.review)

    r.add_get("/intake", intake.intake_form)
    r.add_post("/intake", intake.intake_submit)
    r.add_get("/intake/{reference}/receipt", intake.receipt)
    r.add_get("/admin/centres", centres.centre_list)
    r.add_post("/admin/centres", centres.centre_create)
    r.add_post("/admin/centres/{centre_id}", centres.centre_update)

    r.add_get("/stats", stats.stats_page)
    r.add_get("/outbox", outbox.dead_letters)
    r.add_post("/outbox/{entry_id}/retry", outbox.retry)

    alerts.add_routes(r)
    guide.add_routes(r)

    r.add_get("/admin/staff", admin.staff_list)
    r.add_post("/admin/staff", admin.staff_create)
    r.add_get("/admin/staff/{username}", admin.staff_edit)
    r.add_post("/admin/staff/{username}", admin.staff_update)
    r.add_post("/admin/staff/{username}/password", admin.staff_password)
    r.add_post("/admin/staff/{username}/unlock", admin.staff_unlock)
    r.add_get("/admin/audit", admin.audit_page)
    r.add_get("/admin/api-keys", api_keys.key_list)
    r.add_post("/admin/api-keys", api_keys.key_issue)
    r.add_post("/admin/api-keys/{key_id}/revoke", api_keys.key_revoke)

    r.add_get("/nlu/review", nlu_review.review_queue)
    r.add_post("/nlu/review/{message_id}", nlu_review.save_label)
    r.add_get("/nlu/models", nlu_models.models_page)
    r.add_post("/nlu/models/promote", nlu_models.promote)
    r.add_post("/nlu/models/rollback", nlu_models.rollback)

    r.add_static("/static", STATIC_DIR, append_version=False)

    async def to_home(_: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther(f"{PREFIX}/")

    app.router.add_get(PREFIX, to_home)  # "/staff" without the slash; before the sub-app so it matches first
    public_status.setup(app, services)  # /status/<token>: the public page a receipt's QR code opens
    app.add_subapp(PREFIX, staff)
