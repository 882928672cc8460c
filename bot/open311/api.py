"""The GeoReport v2 resources under ``/open311`` (a sub-application of the one aiohttp app).

``/open311/discovery.{json,xml}`` · ``/open311/v2/services.{fmt}`` · ``/open311/v2/services/{code}.{fmt}`` ·
``/open311/v2/requests.{fmt}`` (GET: public list with the spec's filters and paging; POST: a new request, needs an
``api_key``) · ``/open311/v2/requests/{id}.{fmt}`` · ``/open311/v2/media/{reference}/{index}`` (approved photos).

Errors are the spec's document (``[{"code": 400, "description": "..."}]`` / ``<errors><error>…``) with the HTTP
status of the first error: one entry per invalid field. Texts come from ``data/i18n/{el,en}.yaml`` (``open311``)
in the language of the ``locale`` parameter (``el`` by default, ``en``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

import aiohttp
from aiohttp import web
from pymongo import DESCENDING
from pymongo.errors import PyMongoError

from bot.core.i18n import Texts
from bot.core.models import Language
from bot.core.services import Services
from bot.open311 import keys
from bot.open311.formats import CONTENT_TYPES, FORMATS, Format, encode, parse_w3c
from bot.open311.intake import Invalid, create_request_from_form
from bot.open311.publication import PUBLIC_FILTER, approved_photos, is_public, public_request
from bot.staff import audit
from bot.tickets import LOCAL_TZ, OPEN_STATUSES, STATUSES, parse_reference, photos
from bot.tickets.categories import Category, categories

log = logging.getLogger(__name__)

SERVICES = web.AppKey("open311_services", Services)
PHOTO_HTTP = web.AppKey("open311_photo_http", aiohttp.ClientSession)
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime.fromisoformat("2026-12-01T12:00:00+00:00")  # when this interface last changed
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_IDS = 100


class Open311Error(Exception):
    """One or more errors of the spec's form, sent with the HTTP status of the first."""

    def __init__(self, errors: Sequence[tuple[int, str]], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(errors[0][1])
        self.errors = list(errors)
        self.headers = dict(headers or {})


def language_of(locale: str | None) -> Language:
    """``en``, ``en_GB``, ``en-US`` → English; anything else (and nothing) → Greek."""
    return "en" if (locale or "").strip().lower()[:2] == "en" else "el"


def _format(request: web.Request) -> Format:
    fmt = request.match_info.get("fmt", "")
    if fmt not in FORMATS:
        raise web.HTTPNotFound()
    return fmt  # type: ignore[return-value]


def respond(request: web.Request, root: str, document: Any, *, status: int = 200,
            headers: Mapping[str, str] | None = None) -> web.Response:
    fmt = _format(request)
    return web.Response(body=encode(fmt, root, document), status=status, headers=headers,
                        content_type=CONTENT_TYPES[fmt], charset="utf-8")


def _texts(request: web.Request, form: Mapping[str, Any] | None = None) -> Texts:
    locale = request.query.get("locale") or (form or {}).get("locale")
    return Texts(language_of(locale if isinstance(locale, str) else None))


async def _failure_texts(request: web.Request) -> Texts:
    form = await request.post() if request.method == "POST" else None  # already read (and cached) by the handler
    return _texts(request, {k: v for k, v in form.items() if isinstance(v, str)} if form else None)


@web.middleware
async def errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response = await handler(request)
    except Open311Error as exc:
        document = [{"code": code, "description": text} for code, text in exc.errors]
        response = respond(request, "errors", document, status=exc.errors[0][0], headers=exc.headers)
    except web.HTTPException:
        raise
    except PyMongoError:
        log.exception("open311: store unavailable", extra={"path": request.path})
        texts = await _failure_texts(request)
        response = respond(request, "errors", [{"code": 503, "description": texts("open311.errors.busy")}],
                           status=503, headers={"Retry-After": "30"})
    except Exception:
        log.exception("open311: request failed", extra={"path": request.path})
        texts = await _failure_texts(request)
        response = respond(request, "errors", [{"code": 500, "description": texts("open311.errors.failed")}],
                           status=500)
    if request.method == "GET":  # public, read-only data: any web page may read it
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
    return response


def services_of(request: web.Request) -> Services:
    return request.app[SERVICES]


def base_url(request: web.Request) -> str:
    return services_of(request).settings.public_url or f"{request.scheme}://{request.host}"


def check_jurisdiction(request: web.Request, value: str | None, texts: Texts) -> None:
    expected = services_of(request).settings.open311_jurisdiction_id
    if value is not None and value.strip().lower() != expected.lower():
        raise Open311Error([(404, texts("open311.errors.jurisdiction", jurisdiction=expected))])


# ---------------------------------------------------------------- discovery and services

async def discovery(request: web.Request) -> web.Response:
    texts = _texts(request)
    demo = services_of(request).settings.demo
    return respond(request, "discovery", {
        "changeset": CHANGESET,
        "contact": texts("open311.discovery.contact"),
        "key_service": texts("open311.discovery.key_service"),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": f"{base_url(request)}/open311/v2",
            "changeset": CHANGESET,
            "type": "test" if demo else "production",
            "formats": [CONTENT_TYPES["xml"], CONTENT_TYPES["json"]],
        }],
    })


def _keywords(category: Category, lang: Language) -> str:
    # the category's description is itself a comma-separated list of what it covers
    return ", ".join(part.strip() for part in category.description(lang).replace("(", ",").replace(")", ",")
                     .split(",") if part.strip())


def _service(category: Category, lang: Language) -> dict[str, Any]:
    department = categories().department(category.department)
    return {
        "service_code": category.service_code,
        "service_name": category.name(lang),
        "description": category.description(lang),
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": _keywords(category, lang),
        "group": department.name(lang) if department else None,
    }


async def service_list(request: web.Request) -> web.Response:
    texts = _texts(request)
    check_jurisdiction(request, request.query.get("jurisdiction_id"), texts)
    return respond(request, "services", [_service(c, texts.lang) for c in categories()])


async def service_definition(request: web.Request) -> web.Response:
    texts = _texts(request)
    check_jurisdiction(request, request.query.get("jurisdiction_id"), texts)
    code = request.match_info["code"]
    category = categories().by_service_code(code)
    if category is None:
        raise Open311Error([(404, texts("open311.errors.unknown_service_code", code=code))])
    return respond(request, "service_definition", {"service_code": category.service_code, "attributes": [
        {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": None, "order": order, "description": a.description.get(texts.lang),
         "values": [{"key": v.key, "name": v.name.get(texts.lang)} for v in a.values]}
        for order, a in enumerate(category.attributes, start=1)
    ]})


# ---------------------------------------------------------------- reading requests

_DAY_RE = re.compile(r"^\d{4}-\d\d-\d\d$")


def _date(value: str, name: str, texts: Texts, errors: list[tuple[int, str]], *,
          end: bool = False) -> datetime | None:
    """A W3C date-time with its offset; a bare W3C date (``2026-07-14``) is that day in Chania, from its first
    moment (``start_date``) or to its last (``end_date``)."""
    value = value.strip()
    if _DAY_RE.match(value):
        try:
            start = datetime.combine(date.fromisoformat(value), dt_time(), tzinfo=LOCAL_TZ)
        except ValueError:  # 2026-02-30
            start = None
        if start is not None:
            return start + timedelta(days=1) - timedelta(microseconds=1) if end else start
    at = parse_w3c(value)
    if at is None:
        errors.append((400, texts("open311.errors.date", field=name)))
    return at


def _int(value: str | None, default: int, lo: int, hi: int, name: str, texts: Texts,
         errors: list[tuple[int, str]]) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = lo - 1
    if not lo <= number <= hi:
        errors.append((400, texts("open311.errors.range", field=name, low=lo, high=hi)))
        return default
    return number


def request_filter(query: Mapping[str, str], texts: Texts) -> dict[str, Any]:
    """The MongoDB filter of a ``GET requests`` query (public tickets only); :class:`Open311Error` listing every
    invalid parameter. With ``service_request_id`` the other filters are ignored, as the spec says."""
    errors: list[tuple[int, str]] = []
    found: dict[str, Any] = dict(PUBLIC_FILTER)
    ids = [part.strip() for part in (query.get("service_request_id") or "").split(",") if part.strip()]
    if ids:
        refs = [parse_reference(part) for part in ids[:MAX_IDS + 1]]
        if len(ids) > MAX_IDS:
            errors.append((400, texts("open311.errors.too_many_ids", max=MAX_IDS)))
        bad = [part for part, ref in zip(ids, refs, strict=False) if ref is None]
        if bad:
            errors.append((400, texts("open311.errors.request_id", value=bad[0])))
        if errors:
            raise Open311Error(errors)
        found["reference"] = {"$in": refs}
        return found
    codes = [part.strip() for part in (query.get("service_code") or "").split(",") if part.strip()]
    if codes:
        cats = [categories().by_service_code(code) for code in codes]
        unknown = [code for code, cat in zip(codes, cats, strict=True) if cat is None]
        if unknown:
            errors.append((400, texts("open311.errors.unknown_service_code", code=unknown[0])))
        found["category"] = {"$in": [cat.intent for cat in cats if cat is not None]}
    created: dict[str, datetime] = {}
    if query.get("start_date"):
        if (start := _date(query["start_date"], "start_date", texts, errors)) is not None:
            created["$gte"] = start
    if query.get("end_date"):
        if (end := _date(query["end_date"], "end_date", texts, errors, end=True)) is not None:
            created["$lte"] = end
    if "$gte" in created and "$lte" in created and created["$gte"] > created["$lte"]:
        errors.append((400, texts("open311.errors.date_order")))
    if created:
        found["created_at"] = created
    wanted = {part.strip().lower() for part in (query.get("status") or "").split(",") if part.strip()}
    if wanted - {"open", "closed"}:
        errors.append((400, texts("open311.errors.status", value=sorted(wanted - {"open", "closed"})[0])))
    elif wanted == {"open"}:
        found["status"] = {"$in": list(OPEN_STATUSES)}
    elif wanted == {"closed"}:
        found["status"] = {"$in": [s for s in STATUSES if s not in OPEN_STATUSES]}
    if errors:
        raise Open311Error(errors)
    return found


def _page_link(request: web.Request, page: int, rel: str) -> str:
    url = request.url.update_query(page=str(page))
    return f'<{base_url(request)}{url.path_qs}>; rel="{rel}"'


async def request_list(request: web.Request) -> web.Response:
    texts = _texts(request)
    q = request.query
    check_jurisdiction(request, q.get("jurisdiction_id"), texts)
    errors: list[tuple[int, str]] = []
    page = _int(q.get("page"), 1, 1, 100_000, "page", texts, errors)
    size = _int(q.get("page_size"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE, "page_size", texts, errors)
    try:
        query = request_filter(q, texts)
    except Open311Error as exc:
        raise Open311Error(errors + exc.errors) from None
    if errors:
        raise Open311Error(errors)
    store = services_of(request).store
    total = await store.tickets.count_documents(query)
    cursor = store.tickets.find(query).sort([("created_at", DESCENDING), ("reference", DESCENDING)])
    tickets = await cursor.skip((page - 1) * size).limit(size).to_list(size)
    base = base_url(request)
    links = []
    if page * size < total:
        links.append(_page_link(request, page + 1, "next"))
    if page > 1:
        links.append(_page_link(request, page - 1, "prev"))
    headers = {"X-Total-Count": str(total)}
    if links:
        headers["Link"] = ", ".join(links)
    return respond(request, "service_requests", [public_request(t, texts.lang, base) for t in tickets],
                   headers=headers)


async def request_detail(request: web.Request) -> web.Response:
    texts = _texts(request)
    check_jurisdiction(request, request.query.get("jurisdiction_id"), texts)
    raw = request.match_info["id"]
    ref = parse_reference(raw)
    ticket = await services_of(request).store.tickets.find_one({"reference": ref, **PUBLIC_FILTER}) if ref else None
    if ticket is None:
        raise Open311Error([(404, texts("open311.errors.no_request", id=raw))])
    return respond(request, "service_requests", [public_request(ticket, texts.lang, base_url(request))])


async def media(request: web.Request) -> web.StreamResponse:
    """An approved photo of a public ticket; 404 for anything else (unapproved looks like missing)."""
    ref = parse_reference(request.match_info["reference"])
    index = int(request.match_info["index"])
    ticket = await services_of(request).store.tickets.find_one({"reference": ref}) if ref else None
    if ticket is None or not is_public(ticket) or index not in approved_photos(ticket):
        raise web.HTTPNotFound()
    photo = ticket["photos"][index]
    if (local := photos.local_url(photo)) is not None:
        raise web.HTTPSeeOther(local)
    try:
        data, kind = await photos.fetch(request.app[PHOTO_HTTP], photo, ticket.get("channel"),
                                        services_of(request).settings)
    except photos.PhotoUnavailable as exc:
        log.info("open311 photo unavailable", extra={"reference": ref, "reason": str(exc)})
        raise web.HTTPNotFound() from None
    return web.Response(body=data, content_type=kind, headers={"Cache-Control": "public, max-age=3600"})


# ---------------------------------------------------------------- filing requests

_ATTRIBUTE_RE = re.compile(r"^attribute\[([^\[\]]{1,60})\](\[\])?$")


def _attribute_answers(form: Any) -> dict[str, list[str]]:
    """``attribute[code]=v`` and, for multi-value lists, ``attribute[code][]=v1&attribute[code][]=v2``."""
    answers: dict[str, list[str]] = {}
    for name in set(form.keys()):
        if m := _ATTRIBUTE_RE.match(name):
            answers.setdefault(m.group(1), []).extend(v for v in form.getall(name) if isinstance(v, str))
    return answers


async def create_request(request: web.Request) -> web.Response:
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    texts = _texts(request, fields)
    services = services_of(request)
    store = services.store
    key = await keys.authenticate(store, fields.get("api_key"))
    if key is None:
        await audit.record(store, "anonymous", "open311.key_rejected", ip=request.remote)
        raise Open311Error([(403, texts("open311.errors.api_key"))])
    actor = f"api_key:{key.name}"
    retry_after = await keys.take(store, key)
    if retry_after is not None:
        await audit.record(store, actor, "open311.rate_limited", details={"key_id": key.id}, ip=request.remote)
        raise Open311Error([(429, texts("open311.errors.rate_limited", seconds=retry_after))],
                           headers={"Retry-After": str(retry_after)})
    try:
        check_jurisdiction(request, fields.get("jurisdiction_id"), texts)
        created = await create_request_from_form(services, fields, texts, key=key,
                                                 attributes=_attribute_answers(form))
    except (Invalid, Open311Error) as exc:
        errors = exc.errors
        await audit.record(store, actor, "open311.invalid", details={"key_id": key.id, "errors": len(errors)},
                           ip=request.remote)
        raise Open311Error(errors) from None
    await audit.record(store, actor, "open311.create", target=created.reference,
                       details={"key_id": key.id, "service_code": created.service_code}, ip=request.remote)
    return respond(request, "service_requests", [{
        "service_request_id": created.reference, "service_notice": created.notice, "account_id": None}])


# ---------------------------------------------------------------- mounting

async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    store = app[SERVICES].store
    await keys.ensure_indexes(store)
    # GET requests lists newest first; MongoDB serves the public filter from this index instead of sorting
    await store.tickets.create_index([("created_at", DESCENDING), ("reference", DESCENDING)], name="open311_recent")
    app[PHOTO_HTTP] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=photos.TIMEOUT_S))
    yield
    await app[PHOTO_HTTP].close()


def setup_open311(app: web.Application, services: Services) -> None:
    """Mount the Open311 interface at ``/open311`` on ``app`` (before the app starts)."""
    sub = web.Application(middlewares=[errors_middleware])
    sub[SERVICES] = services
    sub.cleanup_ctx.append(_lifecycle)
    r = sub.router
    fmt = "{fmt:json|xml}"
    r.add_get(f"/discovery.{fmt}", discovery)
    r.add_get(f"/v2/services.{fmt}", service_list)
    r.add_get("/v2/services/{code:[^/.]+}." + fmt, service_definition)
    r.add_get(f"/v2/requests.{fmt}", request_list)
    r.add_post(f"/v2/requests.{fmt}", create_request)
    r.add_get("/v2/requests/{id:[^/.]+}." + fmt, request_detail)
    r.add_get("/v2/media/{reference:[^/.]+}/{index:\\d{1,3}}", media)
    app.add_subapp("/open311", sub)
