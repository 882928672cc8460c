"""The privacy package's routes on the one app: the notice at ``/privacy`` (``?lang=en``), the one-time export
downloads at ``/privacy/download/<token>``, and the daily retention run in the background."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import jinja2
from aiohttp import web

from bot.core.i18n import Texts
from bot.core.services import Services
from bot.privacy import downloads
from bot.privacy.retention import retention_loop

SERVICES = web.AppKey("privacy_services", Services)
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                          autoescape=True, trim_blocks=True, lstrip_blocks=True)


def setup_privacy(app: web.Application, services: Services, *, retention: bool = True) -> None:
    app[SERVICES] = services
    app.router.add_get("/privacy", notice_page)
    app.router.add_get(downloads.PATH + "{token}", download)
    if retention:
        app.cleanup_ctx.append(_retention_task)


async def notice_page(request: web.Request) -> web.Response:
    settings = request.app[SERVICES].settings
    lang = "en" if request.query.get("lang") == "en" else "el"
    html = _ENV.get_template("notice.html").render(
        lang=lang, other="el" if lang == "en" else "en", t=Texts(lang), controller=settings.privacy_controller,
        dpo=", ".join(c for c in (settings.dpo_email, settings.dpo_phone) if c),
        messages_days=settings.retention_messages_days, photos_days=settings.retention_photos_days,
        audit_days=settings.retention_audit_days)
    return web.Response(text=html, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


async def download(request: web.Request) -> web.Response:
    """The export file, once. ``HEAD`` answers without consuming the link (a messenger checking the file)."""
    store = request.app[SERVICES].store
    token = request.match_info["token"]
    if request.method == "HEAD":
        found = await downloads.peek(store, token)
    else:
        found = await downloads.take(store, token)
    return file_response(found, "privacy.export.gone")


def file_response(found: downloads.Download | None, gone_key: str) -> web.Response:
    """An export file as an attachment that no cache or search engine keeps; a used or expired link gets 410 with
    ``gone_key`` in Greek and English (the person's language is not known here)."""
    if found is None:
        raise web.HTTPGone(text="\n".join(Texts(lang)(gone_key) for lang in ("el", "en")))
    return web.Response(body=found.content, content_type=found.content_type, headers={
        "Content-Disposition": f'attachment; filename="{found.name}"', "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex"})


async def _retention_task(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    task = asyncio.create_task(retention_loop(services.store, services.settings), name="retention")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
