"""Login, logout, interface language and the member's own account (password change)."""

from __future__ import annotations

from aiohttp import web

from bot.core.models import LANGUAGES
from bot.dashboard.core import (
    NAV,
    PREFIX,
    SESSION,
    SESSION_TOKEN,
    SESSIONS,
    STAFF,
    error_page,
    render,
    requires,
    safe_next,
    see_other,
    services_of,
    staff_of,
)
from bot.dashboard.core import record as audit
from bot.dashboard.security import cookie_options
from bot.dashboard.sessions import COOKIE, LANG_COOKIE
from bot.staff.accounts import (
    USERNAME_RE,
    StaffError,
    authenticate,
    check_password,
    normalise_username,
    set_display_name,
    set_language,
    set_password,
)


def _field(form: object, name: str, limit: int = 1024) -> str:
    value = form.get(name, "")  # type: ignore[attr-defined]
    return value[:limit] if isinstance(value, str) else ""


async def home(request: web.Request) -> web.StreamResponse:
    member = request.get(STAFF)
    if member is None:
        raise web.HTTPSeeOther(f"{PREFIX}/login")
    first = next((url for permission, _key, url in NAV if member.can(permission)), f"{PREFIX}/account")
    raise web.HTTPSeeOther(first)  # the first page of the menu this role may see


async def login_page(request: web.Request) -> web.StreamResponse:
    if request.get(STAFF) is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    return render(request, "login.html", {"next": safe_next(request.query.get("next")), "username": "",
                                          "login_error": ""})


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = normalise_username(_field(form, "username", 64))
    password = _field(form, "password", 4096)
    next_url = safe_next(_field(form, "next", 2000))
    store = services_of(request).store
    result = await authenticate(store, username, password)
    target = username if USERNAME_RE.match(username) else "(invalid)"
    if result.status == "ok":
        assert result.member is not None
        old = request.get(SESSION_TOKEN)
        if old:
            await request.config_dict[SESSIONS].delete(old)
        token, session = await request.config_dict[SESSIONS].create(result.member.username)
        request[STAFF], request[SESSION] = result.member, session
        await audit(request, "login.ok", target=result.member.username)
        response = web.HTTPSeeOther(next_url)
        response.set_cookie(COOKIE, token, **cookie_options(request))  # type: ignore[arg-type]
        response.set_cookie(LANG_COOKIE, result.member.language, max_age=365 * 86400,
                            **cookie_options(request))  # type: ignore[arg-type]
        raise response
    if result.status == "locked":
        await audit(request, "login.locked", target=target)
        return render(request, "login.html", {"next": next_url, "username": username, "login_error": "locked"},
                      status=429)
    await audit(request, "login.failed", target=target)
    return render(request, "login.html", {"next": next_url, "username": username, "login_error": "invalid"},
                  status=401)


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.get(SESSION_TOKEN)
    if token:
        await audit(request, "logout", target=staff_of(request).username)
        await request.config_dict[SESSIONS].delete(token)
    response = web.HTTPSeeOther(f"{PREFIX}/login")
    response.del_cookie(COOKIE, path=PREFIX)
    raise response


async def language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    lang = _field(form, "lang", 8)
    if lang not in LANGUAGES:
        return error_page(request, 400, "errors.bad_request")
    member = request.get(STAFF)
    if member is not None:
        await set_language(services_of(request).store, member.username, lang)  # type: ignore[arg-type]
        await audit(request, "language", target=member.username, lang=lang)
    response = web.HTTPSeeOther(safe_next(_field(form, "next", 2000)))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, **cookie_options(request))  # type: ignore[arg-type]
    raise response


@requires("tickets")  # every role
async def account(request: web.Request) -> web.StreamResponse:
    return render(request, "account.html", {"form_error": ""})


@requires("tickets")
async def change_password(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    member = staff_of(request)
    store = services_of(request).store
    current, new, repeat = _field(form, "current", 4096), _field(form, "new", 4096), _field(form, "repeat", 4096)
    error = ""
    if not await check_password(store, member.username, current):
        error = "wrong_current"
    elif new != repeat:
        error = "passwords_differ"
    else:
        try:
            await set_password(store, member.username, new)
        except StaffError as exc:
            error = exc.code
    if error:
        return render(request, "account.html", {"form_error": error}, status=400)
    await request.config_dict[SESSIONS].delete_for_user(member.username, except_token=request.get(SESSION_TOKEN))
    await audit(request, "account.password", target=member.username)
    raise see_other(f"{PREFIX}/account", done="password_changed")


@requires("tickets")
async def change_display_name(request: web.Request) -> web.StreamResponse:
    """The name residents see on this member's replies ("Μαρία — Δήμος Χανίων")."""
    form = await request.post()
    member = staff_of(request)
    try:
        await set_display_name(services_of(request).store, member.username, _field(form, "display_name", 200))
    except StaffError as exc:
        return render(request, "account.html", {"form_error": exc.code}, status=400)
    await audit(request, "account.display_name", target=member.username)
    raise see_other(f"{PREFIX}/account", done="name_changed")
