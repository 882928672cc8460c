"""The KAPI/KIFI list of assisted intake, kept by an admin: add a centre, rename it, set its address and phone,
hide it (never delete: tickets keep its id and name)."""

from __future__ import annotations

from aiohttp import web
from pymongo.errors import DuplicateKeyError

from bot.dashboard.core import PREFIX, error_page, render, requires, see_other, services_of
from bot.dashboard.core import record as audit
from bot.intake import centres as centre_store
from bot.intake.centres import KINDS, Centre, CentreError

HERE = f"{PREFIX}/admin/centres"


def _centre(form: dict[str, str], centre_id: str) -> Centre:
    return Centre(id=centre_id, kind=form.get("kind", ""), name_el=form.get("name_el", ""),
                  name_en=form.get("name_en", ""), address=form.get("address", ""), phone=form.get("phone", ""),
                  active=form.get("active") == "1")


async def _form(request: web.Request) -> dict[str, str]:
    posted = await request.post()
    return {k: " ".join(v.split()) for k, v in posted.items() if isinstance(v, str)}


@requires("manage_centres")
async def centre_list(request: web.Request) -> web.StreamResponse:
    centres = await centre_store.all_centres(services_of(request).store)
    return render(request, "centres.html", {"centres": centres, "kinds": KINDS,
                                            "form_error": request.query.get("field", "")})


@requires("manage_centres")
async def centre_create(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    form["active"] = "1"
    try:
        await centre_store.save_centre(services_of(request).store, _centre(form, form.get("id", "").lower()),
                                       create=True)
    except CentreError as exc:
        raise see_other(HERE, error="centre_invalid", field=exc.field) from None
    except DuplicateKeyError:
        raise see_other(HERE, error="centre_exists") from None
    await audit(request, "centre.create", target=form.get("id", "").lower())
    raise see_other(HERE, done="centre_saved")


@requires("manage_centres")
async def centre_update(request: web.Request) -> web.StreamResponse:
    centre_id = request.match_info["centre_id"]
    if await centre_store.get_centre(services_of(request).store, centre_id) is None:
        return error_page(request, 404, "errors.not_found")
    form = await _form(request)
    try:
        await centre_store.save_centre(services_of(request).store, _centre(form, centre_id), create=False)
    except CentreError as exc:
        raise see_other(HERE, error="centre_invalid", field=exc.field) from None
    await audit(request, "centre.update", target=centre_id, active=form.get("active") == "1")
    raise see_other(HERE, done="centre_saved")
