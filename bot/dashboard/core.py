"""What every dashboard page shares: the app keys, rendering with the common context, access checks, the audit
helper, time formatting in Europe/Athens."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.core.events import EventBus
from bot.core.services import Services
from bot.dashboard.i18n import StaffTexts, texts_for
from bot.dashboard.places import where
from bot.dashboard.sessions import SessionStore
from bot.dashboard.ticket_filters import day_text
from bot.open311.intake import attribute_answers
from bot.staff import audit
from bot.staff.accounts import StaffMember
from bot.tickets import local_time, phones

PREFIX = "/staff"
HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    secure_cookies: bool  # PUBLIC_URL is https
    tiles_url: str | None  # map tiles for the ticket pin; None: pin on a blank map
    low_confidence: float  # NLU confidence below this is "low" in the monitor and the stats


SERVICES = web.AppKey("staff_services", Services)
BUS = web.AppKey("staff_bus", EventBus)
SESSIONS = web.AppKey("staff_sessions", SessionStore)
CONFIG = web.AppKey("staff_config", DashboardConfig)
JINJA = web.AppKey("staff_jinja", jinja2.Environment)
PHOTO_HTTP = web.AppKey("staff_photo_http", aiohttp.ClientSession)  # fetches ticket photos (bot.tickets.photos)

# per request, set by bot.dashboard.security.session_middleware
STAFF: web.RequestKey[StaffMember | None] = web.RequestKey("staff_member")
SESSION: web.RequestKey[dict[str, Any] | None] = web.RequestKey("staff_session")
SESSION_TOKEN: web.RequestKey[str] = web.RequestKey("staff_session_token")
LANG: web.RequestKey[str] = web.RequestKey("staff_lang")
PRE_CSRF: web.RequestKey[str] = web.RequestKey("staff_pre_csrf")


def services_of(request: web.Request) -> Services:
    return request.config_dict[SERVICES]


def staff_of(request: web.Request) -> StaffMember:
    """The logged-in member (only in handlers wrapped by :func:`requires`)."""
    member = request.get(STAFF)
    assert member is not None
    return member


def texts_of(request: web.Request) -> StaffTexts:
    return texts_for(request.get(LANG))


# ---------------------------------------------------------------- formatting

def fmt_time(value: datetime | str | None, with_seconds: bool = False) -> str:
    """A stored UTC time as Europe/Athens wall-clock time: ``31/01/2026 14:05``."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return local_time(value).strftime("%d/%m/%Y %H:%M:%S" if with_seconds else "%d/%m/%Y %H:%M")


def fmt_confidence(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def url_quote(value: Any) -> str:
    return quote(str(value), safe="")


@functools.cache
def _static_version(path: str) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """URL of a file under ``static/`` with a content hash, so browsers may cache it."""
    return f"{PREFIX}/static/{path}?v={_static_version(path)}"


def staff_name(actor: str | None) -> str:
    """"staff:maria" → "maria" (the account, as the dashboard names staff); other actors as they are."""
    actor = actor or "—"
    return actor.removeprefix("staff:")


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every {{ value }} is HTML-escaped: citizen text is untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update({"dt": fmt_time, "conf": fmt_confidence, "q": url_quote, "day": day_text,
                        "phone": phones.display, "staff_name": staff_name})
    env.globals.update({"static": static_url, "PREFIX": PREFIX, "where": where,
                        "ticket_attributes": attribute_answers})
    return env


# ---------------------------------------------------------------- rendering

NAV: tuple[tuple[str, str, str], ...] = (
    ("monitor", "nav.monitor", f"{PREFIX}/monitor"),
    ("monitor", "nav.failed", f"{PREFIX}/failed"),
    ("tickets", "nav.tickets", f"{PREFIX}/tickets"),
    ("intake", "nav.intake", f"{PREFIX}/intake"),
    ("stats", "nav.stats", f"{PREFIX}/stats"),
    ("monitor", "nav.outbox", f"{PREFIX}/outbox"),
    ("alerts", "nav.alerts", f"{PREFIX}/alerts"),
    ("guide", "nav.guide", f"{PREFIX}/guide"),
    ("manage_staff", "nav.staff", f"{PREFIX}/admin/staff"),
    ("manage_centres", "nav.centres", f"{PREFIX}/admin/centres"),
    ("audit", "nav.audit", f"{PREFIX}/admin/audit"),
    ("api_keys", "nav.api_keys", f"{PREFIX}/admin/api-keys"),
    ("privacy", "nav.privacy", f"{PREFIX}/privacy"),
    ("annotate", "nav.nlu_review", f"{PREFIX}/nlu/review"),
    ("nlu_models", "nav.nlu_models", f"{PREFIX}/nlu/models"),
)


def csrf_token_of(request: web.Request) -> str:
    session = request.get(SESSION)
    if session is not None:
        return str(session["csrf"])
    return str(request.get(PRE_CSRF) or "")


def base_context(request: web.Request) -> dict[str, Any]:
    member: StaffMember | None = request.get(STAFF)
    nav = [(key, url) for perm, key, url in NAV if member is not None and member.can(perm)]
    return {
        "t": texts_of(request),
        "lang": texts_of(request).lang,
        "staff": member,
        "csrf_token": csrf_token_of(request),
        "path": request.path,
        "path_qs": request.path_qs,
        "nav": nav,
        "done": request.query.get("done", ""),
        "error": request.query.get("error", ""),
    }


def render(request: web.Request, template: str, context: dict[str, Any] | None = None, *,
           status: int = 200) -> web.Response:
    ctx = base_context(request)
    ctx.update(context or {})
    return aiohttp_jinja2.render_template(template, request, ctx, status=status, app_key=JINJA)


def error_page(request: web.Request, status: int, key: str) -> web.Response:
    return render(request, "error.html", {"status": status, "message_key": key}, status=status)


def see_other(path: str, **query: str) -> web.HTTPSeeOther:
    """A 303 redirect (after a POST) to a dashboard path, with e.g. ``done="status_changed"``."""
    query = {k: v for k, v in query.items() if v}
    return web.HTTPSeeOther(path + ("?" + urlencode(query) if query else ""))


def safe_next(value: str | None) -> str:
    """Only local dashboard paths (no open redirect to another site)."""
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value and \
            not value.startswith(f"{PREFIX}/login"):
        return value
    return f"{PREFIX}/"


def requires(permission: str) -> Callable[[Handler], Handler]:
    """Only logged-in staff whose role has ``permission``; others go to the login page (GET) or get 401/403."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            member: StaffMember | None = request.get(STAFF)
            if member is None:
                if request.method == "GET" and "text/event-stream" not in request.headers.get("Accept", ""):
                    raise web.HTTPSeeOther(f"{PREFIX}/login?" + urlencode({"next": request.path_qs}))
                return error_page(request, 401, "errors.login_required")
            if not member.can(permission):
                return error_page(request, 403, "errors.forbidden")
            return await handler(request)

        return wrapped

    return decorate


async def record(request: web.Request, action: str, *, target: str | None = None, **details: Any) -> None:
    """Audit a staff action of the logged-in member."""
    member: StaffMember | None = request.get(STAFF)
    actor = member.actor if member else "anonymous"
    await audit.record(services_of(request).store, actor, action, target=target, details=details,
                       ip=request.remote)
