"""Open311 API keys (role ``admin``): issue a key to another system (name, rate limit), see when it was last used,
revoke it. The key is shown once, on the page that answers the issuing form; only its hash is stored
(:mod:`bot.open311.keys`). Every use of a key is in the audit log (``open311.*``, actor ``api_key:<name>``)."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.core import PREFIX, error_page, render, requires, see_other, services_of, staff_of
from bot.dashboard.core import record as audit
from bot.open311 import keys

PAGE = f"{PREFIX}/admin/api-keys"


async def _page(request: web.Request, *, new_key: str = "", form: dict[str, str] | None = None,
                form_error: str = "", status: int = 200) -> web.Response:
    return render(request, "api_keys.html", {
        "keys": await keys.list_keys(services_of(request).store), "new_key": new_key, "form": form or {},
        "form_error": form_error, "default_rate_limit": keys.DEFAULT_RATE_LIMIT, "max_rate_limit": keys.MAX_RATE_LIMIT,
        "max_name": keys.MAX_NAME, "flash": request.query.get("done", ""),
    }, status=status)


@requires("api_keys")
async def key_list(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@requires("api_keys")
async def key_issue(request: web.Request) -> web.StreamResponse:
    posted = await request.post()
    form = {k: v.strip() for k, v in posted.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        key, secret = await keys.issue(services_of(request).store, form.get("name", ""), form.get("rate_limit", ""),
                                       actor=staff_of(request).actor)
    except keys.ApiKeyError as exc:
        return await _page(request, form=form, form_error=exc.code, status=400)
    await audit(request, "api_key.issue", target=key.id, name=key.name, rate_limit=key.rate_limit)
    response = await _page(request, new_key=secret)
    response.headers["Cache-Control"] = "no-store"  # the only time the key is shown
    return response


@requires("api_keys")
async def key_revoke(request: web.Request) -> web.StreamResponse:
    key = await keys.revoke(services_of(request).store, request.match_info["key_id"], actor=staff_of(request).actor)
    if key is None:
        return error_page(request, 404, "errors.not_found")
    await audit(request, "api_key.revoke", target=key.id, name=key.name)
    raise see_other(PAGE, done="revoked")
