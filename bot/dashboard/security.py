"""Middlewares and headers of the ``/staff`` sub-application: session loading, CSRF check, security headers.

- Session: the cookie's token is looked up in :class:`~bot.dashboard.sessions.SessionStore`; the account is
  re-read on every request, so disabling an account or changing its role takes effect at once.
- CSRF (synchronizer token): every POST must carry the session's token in the ``csrf_token`` form field or the
  ``X-CSRF-Token`` header; before login (login and language forms) the token of the ``chania_staff_pre`` cookie.
  A missing or wrong token is answered 403 and nothing is done.
- Headers: a strict Content-Security-Policy (scripts, styles, fonts and connections only from this service; no
  inline script; no framing), nosniff, no referrer to other sites, ``Cache-Control: no-store`` on pages.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import urlsplit

from aiohttp import web

from bot.core.models import LANGUAGES
from bot.dashboard.core import (
    CONFIG,
    LANG,
    PRE_CSRF,
    PREFIX,
    SESSION,
    SESSION_TOKEN,
    SESSIONS,
    STAFF,
    DashboardConfig,
    Handler,
    error_page,
    services_of,
)
from bot.dashboard.sessions import COOKIE, LANG_COOKIE, PRE_COOKIE, new_token
from bot.staff.accounts import get_staff

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STATIC_PREFIX = f"{PREFIX}/static/"
UPLOAD_PATHS = frozenset({f"{PREFIX}/intake"})  # forms with photos: a larger body than the app's MAX_BODY_BYTES
_SIGHT_PHOTOS = re.compile(rf"^{re.escape(PREFIX)}/guide/[\w-]+/photos$")  # a sight's photo (the tourism office)


def is_upload(path: str) -> bool:
    return path in UPLOAD_PATHS or _SIGHT_PHOTOS.match(path) is not None
UPLOAD_MAX_BODY = 32 * 1024 * 1024


def content_security_policy(config: DashboardConfig) -> str:
    img = ["'self'", "data:"]
    if config.tiles_url:
        parts = urlsplit(config.tiles_url.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in config.tiles_url else parts.netloc
        img.append(f"{parts.scheme}://{host}")
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {' '.join(img)}",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ])


def cookie_options(request: web.Request) -> dict[str, object]:
    return {"path": PREFIX, "httponly": True, "samesite": "Lax", "secure": request.config_dict[CONFIG].secure_cookies}


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    lang = request.cookies.get(LANG_COOKIE)
    request[LANG] = lang if lang in LANGUAGES else "el"
    request[STAFF] = None
    request[SESSION] = None
    if request.path.startswith(STATIC_PREFIX):
        return await handler(request)
    token = request.cookies.get(COOKIE)
    if token:
        session = await request.config_dict[SESSIONS].load(token)
        if session is not None:
            member = await get_staff(services_of(request).store, session["username"])
            if member is not None and member.active:
                request[STAFF] = member
                request[SESSION] = session
                request[SESSION_TOKEN] = token
    pre = request.cookies.get(PRE_COOKIE)
    new_pre = None
    if request[SESSION] is None and not (pre and 20 <= len(pre) <= 128):
        pre = new_pre = new_token()
    request[PRE_CSRF] = pre
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if new_pre:
            exc.set_cookie(PRE_COOKIE, new_pre, **cookie_options(request))  # type: ignore[arg-type]
        raise
    if new_pre and not response.prepared:
        response.set_cookie(PRE_COOKIE, new_pre, **cookie_options(request))  # type: ignore[arg-type]
    return response


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE_METHODS:
        return await handler(request)
    session = request.get(SESSION)
    expected = str(session["csrf"]) if session is not None else request.cookies.get(PRE_COOKIE, "")
    given = request.headers.get("X-CSRF-Token", "")
    if request.content_type == "multipart/form-data" and is_upload(request.path) and request.get(STAFF):
        request = request.clone(client_max_size=UPLOAD_MAX_BODY)  # photos: logged-in staff only
    if not given and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get("csrf_token", "")
        given = value if isinstance(value, str) else ""
    # a header that is not UTF-8 arrives with surrogates: encoded back, it simply does not match (403, not 500)
    if not expected or not given or not hmac.compare_digest(expected.encode(),
                                                            given.encode("utf-8", "surrogateescape")):
        return error_page(request, 403, "errors.csrf")
    return await handler(request)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` of the sub-application: runs for pages, errors, redirects, files and streams."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(request.config_dict[CONFIG])
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=(), payment=()"
    if not request.path.startswith(STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"  # pages hold personal data: not kept by the browser or a proxy
