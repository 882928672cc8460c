"""Public read of the notices in force: ``/alerts`` (a page), ``/alerts/feed.atom`` (an Atom feed, made with
feedgen) and ``/alerts.json``. Greek by default; ``?lang=en`` or the browser's Accept-Language for English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from feedgen.feed import FeedGenerator

from bot.alerts import notices
from bot.alerts.areas import alert_areas
from bot.alerts.broadcast import areas_text, period_text
from bot.core.i18n import Texts
from bot.core.models import Language, as_utc, utcnow
from bot.core.services import Services

SERVICES = web.AppKey("alerts_public_services", Services)
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)


def _lang(request: web.Request) -> Language:
    wanted = request.query.get("lang")
    if wanted in ("el", "en"):
        return wanted  # type: ignore[return-value]
    accept = request.headers.get("Accept-Language", "").lower()
    first = accept.split(",")[0].split(";")[0].strip()
    return "en" if first and not first.startswith("el") else "el"


def _public(notice: dict[str, Any], lang: Language) -> dict[str, Any]:
    title, body = notices.text_for(notice, lang)
    catalogue = alert_areas()
    return {"id": str(notice["_id"]), "kind": notice["kind"], "title": title, "body": body,
            "areas": notice["areas"], "areas_text": areas_text(notice, lang, catalogue),
            "valid_from": as_utc(notice["valid_from"]).isoformat(),
            "valid_until": as_utc(notice["valid_until"]).isoformat(), "period": period_text(notice, lang)}


async def _active(request: web.Request, lang: Language) -> list[dict[str, Any]]:
    return [_public(n, lang) for n in await notices.active(request.app[SERVICES].store)]


async def page(request: web.Request) -> web.Response:
    lang = _lang(request)
    t = Texts(lang)
    html = _env.get_template("alerts_public.html").render(
        lang=lang, t=t, notices=await _active(request, lang), kinds={k: t(f"alerts.kinds.{k}") for k in
                                                                      ("water", "power", "roads", "waste",
                                                                       "civil_protection")})
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "public, max-age=60"})


async def as_json(request: web.Request) -> web.Response:
    lang = _lang(request)
    return web.json_response({"language": lang, "notices": await _active(request, lang)},
                             headers={"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"})


async def feed(request: web.Request) -> web.Response:
    lang = _lang(request)
    t = Texts(lang)
    base = str(request.url.origin())
    fg = FeedGenerator()
    fg.id(f"{base}/alerts")
    fg.title(t("alerts.feed_title"))
    fg.link(href=f"{base}/alerts?lang={lang}", rel="alternate")
    fg.link(href=f"{base}/alerts/feed.atom?lang={lang}", rel="self")
    fg.language(lang)
    fg.author({"name": t("alerts.feed_author")})
    items = await notices.active(request.app[SERVICES].store)
    fg.updated(max((as_utc(n.get("queued_at") or n["created_at"]) for n in items), default=utcnow()))
    for notice in reversed(items):  # feedgen lists the last added first
        item = _public(notice, lang)
        entry = fg.add_entry()
        entry.id(f"{base}/alerts#{item['id']}")
        entry.title(item["title"])
        entry.content(f"{item['body']}\n{item['period']} · {item['areas_text']}", type="text")
        entry.link(href=f"{base}/alerts?lang={lang}#{item['id']}")
        entry.published(as_utc(notice.get("queued_at") or notice["created_at"]))
        entry.updated(as_utc(notice.get("queued_at") or notice["created_at"]))
    return web.Response(body=fg.atom_str(pretty=True), content_type="application/atom+xml", charset="utf-8")


def add_routes(app: web.Application, services: Services) -> None:
    app[SERVICES] = services
    app.router.add_get("/alerts", page)
    app.router.add_get("/alerts.json", as_json)
    app.router.add_get("/alerts/feed.atom", feed)
