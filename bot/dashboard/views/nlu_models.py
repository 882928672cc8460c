"""NLU models (admin): the model in service, the candidates' reports of ``bot.py train --candidate`` (per script,
per split, per intent, confusion pairs that changed), promotion of a candidate that passed the gate and a one-click
rollback to the previous model. Both load the model into the running Rasa server (``PUT /model``) without a
restart; the registry (``nlu/models/registry.json``) is updated only after Rasa accepted the model."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from bot.dashboard.core import PREFIX, record, render, requires, see_other, services_of, staff_of
from bot.rasa import promotion
from bot.rasa.client import NluClient

DONE = {"promote": "nlu_promoted", "rollback": "nlu_rolled_back"}


def _client(request: web.Request) -> NluClient | None:
    client = services_of(request).extras.get("nlu")
    return client if isinstance(client, NluClient) else None


@requires("nlu_models")
async def models_page(request: web.Request) -> web.StreamResponse:
    client = _client(request)
    status = await client.status() if client else {"ok": False}
    registry = await asyncio.to_thread(promotion.read_registry)
    reports = await asyncio.to_thread(promotion.reports)
    return render(request, "nlu_models.html", {"registry": registry, "served": status.get("model"),
                                               "reports": reports})


def _candidate_file(name: str) -> Path | None:
    for folder in (promotion.CANDIDATES_DIR, promotion.MODELS_DIR):
        path = folder / name
        if name.startswith("nlu-") and name.endswith(".tar.gz") and "/" not in name and path.is_file():
            return path
    return None


async def _switch(request: web.Request, model: Path, action: str, report: str | None) -> web.StreamResponse:
    client = _client(request)
    if client is None:
        raise see_other(f"{PREFIX}/nlu/models", error="nlu_no_server")
    target = await asyncio.to_thread(promotion.promote_file, model)
    try:
        await client.load_model(str(target.resolve()))
    except (RuntimeError, OSError, TimeoutError) as exc:
        await record(request, f"nlu.{action}", target=target.name, ok=False, error=str(exc)[:200])
        raise see_other(f"{PREFIX}/nlu/models", error="nlu_swap_failed") from None
    await asyncio.to_thread(promotion.record_switch, target, action=action, actor=staff_of(request).actor,
                            report=report)
    await record(request, f"nlu.{action}", target=target.name, ok=True)
    raise see_other(f"{PREFIX}/nlu/models", done=DONE[action])


@requires("nlu_models")
async def promote(request: web.Request) -> web.StreamResponse:
    name = str((await request.post()).get("model") or "")
    report = next((r for r in await asyncio.to_thread(promotion.reports, 200)
                   if r.get("candidate_model") == name), None)
    model = await asyncio.to_thread(_candidate_file, name)
    if report is None or model is None or not report.get("promote"):
        raise see_other(f"{PREFIX}/nlu/models", error="nlu_not_promotable")
    return await _switch(request, model, "promote", name)


@requires("nlu_models")
async def rollback(request: web.Request) -> web.StreamResponse:
    registry = await asyncio.to_thread(promotion.read_registry)
    model = await asyncio.to_thread(_candidate_file, registry["previous"] or "")
    if model is None:
        raise see_other(f"{PREFIX}/nlu/models", error="nlu_no_previous")
    return await _switch(request, model, "rollback", None)
