"""The visitor guide in the dashboard (role ``tourism``, and admin): the sights the bot shows, edited by the tourism
office. A list with the unverified positions, hours, bus and boat details to check (a "verified" tick per field), an
edit page per sight (names and aliases el/en, descriptions, practical notes, category, rank, the pin on a map that works
without tiles, structured opening hours, bus details), photos (uploaded, resized, stored in MongoDB) and hiding a
sight without deleting it. Every change is validated by the catalogue's own models, audited, and in the bot's next
answer (``bot/guide/sights.py`` bumps the catalogue's version)."""

from __future__ import annotations

from typing import Any

import yaml
from aiohttp import web
from pydantic import ValidationError

from bot.dashboard.core import CONFIG, PREFIX, error_page, record, render, requires, see_other, services_of, staff_of
from bot.dashboard.views.guide_opening import (
    COMMON_CLOSED,
    EDITORS,
    closed_field,
    opening_form,
    opening_from_form,
    season_rows,
)
from bot.guide import photos, sights
from bot.guide.catalogue import Category, Poi
from bot.guide.hours import WEEKDAYS, Opening

PRACTICAL = ("season", "hours", "tickets", "access")
BUS_SERVICES = ("city", "ktel", "ktel_summer")
FIELDS = ("position", "hours", "bus", "boat")  # what the tourism office ticks as verified


def unverified_fields(poi: Poi) -> list[str]:
    out = []
    if not poi.position_verified:
        out.append("position")
    if poi.opening is not None and not poi.opening.verified:
        out.append("hours")
    if poi.bus is not None and not poi.bus.verified:
        out.append("bus")
    if poi.boat is not None and not poi.boat.verified:
        out.append("boat")  # edited in the YAML file (bot.py import-pois); ticked here once checked
    return out


def _form_of(poi: Poi) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name_el": poi.name.el, "name_en": poi.name.en, "aliases": "\n".join(poi.aliases),
        "description_el": poi.description.el, "description_en": poi.description.en,
        "category": poi.category.value, "rank": str(poi.rank), "lat": f"{poi.lat:.6f}", "lon": f"{poi.lon:.6f}",
        "position_verified": poi.position_verified,
        "opening": yaml.safe_dump(poi.opening.model_dump(mode="json", by_alias=True, exclude_defaults=True),
                                  allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
        if poi.opening is not None else "",
        "bus_service": poi.bus.service if poi.bus else "", "bus_verified": bool(poi.bus and poi.bus.verified),
    } | opening_form(poi.opening)
    for field in PRACTICAL:
        value = getattr(poi.practical, field)
        for lang in ("el", "en"):
            form[f"{field}_{lang}"] = value(lang) if value is not None else ""
    for part in ("line", "stop", "season"):
        value = getattr(poi.bus, part) if poi.bus else None
        for lang in ("el", "en"):
            form[f"bus_{part}_{lang}"] = value(lang) if value is not None else ""
    return form


def _bilingual(form: dict[str, Any], prefix: str) -> dict[str, str] | None:
    el, en = form.get(f"{prefix}_el", "").strip(), form.get(f"{prefix}_en", "").strip()
    return {"el": el, "en": en} if el or en else None  # one language alone is refused by the model


def _poi_from_form(current: Poi, form: dict[str, Any]) -> Poi:
    """The edited sight, validated by the catalogue's models (raises ValidationError or ValueError)."""
    data: dict[str, Any] = current.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.update({
        "name": _bilingual(form, "name"), "description": _bilingual(form, "description"),
        "aliases": [a.strip() for a in form.get("aliases", "").splitlines() if a.strip()],
        "category": form.get("category", ""), "rank": form.get("rank", ""),
        "lat": form.get("lat", "").replace(",", "."), "lon": form.get("lon", "").replace(",", "."),
        "position_verified": bool(form.get("position_verified")),
        "practical": {f: v for f in PRACTICAL if (v := _bilingual(form, f)) is not None},
    })
    opening_text = form.get("opening", "").strip()
    if form.get("opening_editor") == "yaml":  # the rare case: the hours typed as YAML
        opening = None
        if opening_text:
            try:
                parsed = yaml.safe_load(opening_text)
            except yaml.YAMLError as exc:
                raise ValueError(f"opening hours: {exc}") from exc
            opening = Opening.model_validate(parsed)
    else:
        opening = opening_from_form(form, current.opening)
    if opening is not None:
        data["opening"] = opening.model_dump(mode="json", by_alias=True)
    else:
        data.pop("opening", None)
    service = form.get("bus_service", "")
    if service in BUS_SERVICES:
        bus: dict[str, Any] = {"service": service, "line": _bilingual(form, "bus_line"),
                               "stop": _bilingual(form, "bus_stop"), "verified": bool(form.get("bus_verified"))}
        if (season := _bilingual(form, "bus_season")) is not None:
            bus["season"] = season
        data["bus"] = bus
    else:
        data.pop("bus", None)
    return Poi.model_validate(data)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(exc)


async def _poi_doc(request: web.Request) -> tuple[Poi, dict[str, Any]] | web.Response:
    doc = await services_of(request).store.sights.find_one({"_id": request.match_info["poi_id"]})
    if doc is None:
        return error_page(request, 404, "errors.not_found")
    return sights.poi_from_document(doc), doc


def _edit_context(request: web.Request, poi: Poi, doc: dict[str, Any], form: dict[str, Any],
                  error: str = "") -> dict[str, Any]:
    max_bytes = services_of(request).settings.max_body_bytes  # an upload is one request body
    return {"poi": poi, "form": form, "form_error": error, "categories": [c.value for c in Category],
            "bus_services": BUS_SERVICES, "photos": doc.get("photos", []), "photo_path": photos.photo_path,
            "season_rows": range(season_rows(form)), "weekdays": WEEKDAYS, "common_closed": COMMON_CLOSED,
            "closed_field": closed_field, "editors": EDITORS,
            "unverified": unverified_fields(poi), "tiles_url": request.config_dict[CONFIG].tiles_url or "",
            "max_upload_mb": f"{max_bytes / 1024 / 1024:.0f}"}


@requires("guide")
async def sight_list(request: web.Request) -> web.StreamResponse:
    store = services_of(request).store
    pois, _ = await sights.load_all(store)
    return render(request, "guide_list.html", {
        "pois": pois, "to_check": [(p, unverified_fields(p)) for p in pois if unverified_fields(p)],
    })


@requires("guide")
async def sight_edit(request: web.Request) -> web.StreamResponse:
    found = await _poi_doc(request)
    if isinstance(found, web.Response):
        return found
    poi, doc = found
    return render(request, "guide_edit.html", _edit_context(request, poi, doc, _form_of(poi)))


@requires("guide")
async def sight_update(request: web.Request) -> web.StreamResponse:
    found = await _poi_doc(request)
    if isinstance(found, web.Response):
        return found
    poi, doc = found
    post = await request.post()
    form: dict[str, Any] = {k: False if isinstance(v, bool) else "" for k, v in _form_of(poi).items()}
    form.update({k: v for k, v in post.items() if isinstance(v, str) and k in form})  # unticked boxes stay False
    try:
        edited = _poi_from_form(poi, form)
    except (ValidationError, ValueError) as exc:
        return render(request, "guide_edit.html", _edit_context(request, poi, doc, form, _error_text(exc)), status=400)
    await sights.save_poi(services_of(request).store, edited, by=staff_of(request).actor)
    changed = sorted(k for k in Poi.model_fields if getattr(poi, k) != getattr(edited, k))
    await record(request, "guide.update", target=poi.id, fields=changed)
    raise see_other(f"{PREFIX}/guide/{poi.id}", done="guide_saved")


@requires("guide")
async def sight_visibility(request: web.Request) -> web.StreamResponse:
    found = await _poi_doc(request)
    if isinstance(found, web.Response):
        return found
    poi, _ = found
    hidden = (await request.post()).get("hidden") == "1"
    await sights.save_poi(services_of(request).store, poi.model_copy(update={"hidden": hidden}),
                          by=staff_of(request).actor)
    await record(request, "guide.hide" if hidden else "guide.show", target=poi.id)
    raise see_other(f"{PREFIX}/guide/{poi.id}", done="guide_hidden" if hidden else "guide_shown")


@requires("guide")
async def sight_verify(request: web.Request) -> web.StreamResponse:
    found = await _poi_doc(request)
    if isinstance(found, web.Response):
        return found
    poi, _ = found
    field = str((await request.post()).get("field", ""))
    if field == "position":
        edited = poi.model_copy(update={"position_verified": True})
    elif field == "hours" and poi.opening is not None:
        edited = poi.model_copy(update={"opening": poi.opening.model_copy(update={"verified": True})})
    elif field == "bus" and poi.bus is not None:
        edited = poi.model_copy(update={"bus": poi.bus.model_copy(update={"verified": True})})
    elif field == "boat" and poi.boat is not None:
        edited = poi.model_copy(update={"boat": poi.boat.model_copy(update={"verified": True})})
    else:
        return error_page(request, 400, "errors.bad_request")
    await sights.save_poi(services_of(request).store, edited, by=staff_of(request).actor)
    await record(request, "guide.verify", target=poi.id, field=field)
    raise see_other(f"{PREFIX}/guide", done="guide_verified")


@requires("guide")
async def photo_upload(request: web.Request) -> web.StreamResponse:
    found = await _poi_doc(request)
    if isinstance(found, web.Response):
        return found
    poi, _ = found
    upload = (await request.post()).get("photo")
    data = upload.file.read() if upload is not None and hasattr(upload, "file") else b""
    store = services_of(request).store
    try:
        photo_id = await photos.add_photo(store, poi.id, data)
    except photos.BadPhoto:
        raise see_other(f"{PREFIX}/guide/{poi.id}", error="guide_bad_photo") from None
    await sights.bump_version(store)
    await record(request, "guide.photo_add", target=poi.id, photo=photo_id, bytes=len(data))
    raise see_other(f"{PREFIX}/guide/{poi.id}", done="guide_photo_added")


@requires("guide")
async def photo_remove(request: web.Request) -> web.StreamResponse:
    found = await _poi_doc(request)
    if isinstance(found, web.Response):
        return found
    poi, _ = found
    store = services_of(request).store
    photo_id = request.match_info["photo_id"]
    if not await photos.remove_photo(store, poi.id, photo_id):
        return error_page(request, 404, "errors.not_found")
    await sights.bump_version(store)
    await record(request, "guide.photo_remove", target=poi.id, photo=photo_id)
    raise see_other(f"{PREFIX}/guide/{poi.id}", done="guide_photo_removed")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/guide", sight_list)
    router.add_get("/guide/{poi_id}", sight_edit)
    router.add_post("/guide/{poi_id}", sight_update)
    router.add_post("/guide/{poi_id}/visibility", sight_visibility)
    router.add_post("/guide/{poi_id}/verify", sight_verify)
    router.add_post("/guide/{poi_id}/photos", photo_upload)
    router.add_post("/guide/{poi_id}/photos/{photo_id}/remove", photo_remove)
