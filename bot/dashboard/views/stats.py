"""The statistics page: tables with the figures of :mod:`bot.staff.stats` and charts drawn from the same figures by the
vendored Chart.js (``static/js/stats.js`` reads them from a JSON data block, never from inline script)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.dashboard.core import CONFIG, render, requires, services_of, texts_of
from bot.staff import stats


def _weeks(query: Any) -> int:
    try:
        return max(1, min(int(query.get("weeks", "12")), stats.MAX_WEEKS))
    except ValueError:
        return 12


@requires("stats")
async def stats_page(request: web.Request) -> web.StreamResponse:
    store = services_of(request).store
    t = texts_of(request)
    weeks = _weeks(request.query)
    low = request.config_dict[CONFIG].low_confidence
    tickets = await stats.ticket_stats(store, weeks=weeks)
    messages = await stats.message_stats(store, weeks=weeks, low_confidence=low)
    labels = [w.strftime("%d/%m") for w in tickets.weeks]
    chart_data = {
        "labels": labels,
        "per_category": [{"label": t.category(c), "data": v} for c, v in tickets.per_category.items()],
        "opened": tickets.opened,
        "resolved": tickets.resolved,
        "resolution": [{"label": t.department(d), "hours": round(h, 1), "n": n}
                       for d, (h, n) in tickets.resolution_hours.items()],
        "messages": [{"label": f"{t.channel(c)} · {lang}", "in": v["in"], "out": v["out"]}
                     for (c, lang), v in messages.per_channel_language.items()],
        "low_share": [None if s is None else round(s * 100, 1) for s in messages.low_share],
        "texts": {k: t(f"stats.{k}") for k in ("opened", "resolved", "hours", "inbound", "outbound",
                                                 "low_share")},
    }
    return render(request, "stats.html", {"tickets": tickets, "messages": messages, "weeks": weeks,
                                          "labels": labels, "chart_data": chart_data, "low_confidence": low})
