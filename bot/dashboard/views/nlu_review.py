"""The NLU review queue (role ``annotator`` and admin): messages that went to the NLU, newest first, with filters;
confirm or correct the intent, mark entities by selecting text (``static/js/annotate.js``). Labels are stored by
:mod:`bot.rasa.labels` and exported to training data by ``python bot.py export-nlu``.

Phones and e-mails are masked (:func:`bot.privacy.redaction.redact_text`) before the text reaches the page, and
entity offsets refer to the masked text, which is also what a label stores.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.dashboard.core import (
    PREFIX,
    error_page,
    record,
    render,
    requires,
    see_other,
    services_of,
    staff_of,
)
from bot.rasa import labels
from bot.rasa.evaluation import known_intents

PAGE_SIZE = 50
CHANNELS = ("telegram", "viber", "webchat", "assisted")


def _filter(query: Any, intents: frozenset[str]) -> labels.QueueFilter:
    def pick(name: str, allowed: Any) -> str | None:
        value = query.get(name) or None
        return value if value in allowed else None

    return labels.QueueFilter(intent=pick("intent", intents), band=pick("band", labels.BANDS),
                              script=pick("script", labels.SCRIPTS), channel=pick("channel", CHANNELS),
                              corrected=query.get("corrected") == "1", unreviewed=query.get("unreviewed") == "1")


@requires("annotate")
async def review_queue(request: web.Request) -> web.StreamResponse:
    intents = known_intents()
    flt = _filter(request.query, intents)
    store = services_of(request).store
    await labels.sync_flow_corrections(store, limit=200)
    items = await labels.review_queue(store, flt, limit=PAGE_SIZE)
    query = {k: v for k, v in request.query.items() if k in {"intent", "band", "script", "channel", "corrected",
                                                             "unreviewed"} and v}
    return render(request, "nlu_review.html", {
        "items": items, "filter": flt, "intents": sorted(intents), "bands": list(labels.BANDS),
        "scripts": labels.SCRIPTS, "channels": CHANNELS, "entity_types": labels.ENTITY_TYPES,
        "back": f"{PREFIX}/nlu/review" + ("?" + urlencode(query) if query else ""),
    })


@requires("annotate")
async def save_label(request: web.Request) -> web.StreamResponse:
    message_id = request.match_info["message_id"]
    form = await request.post()
    back = str(form.get("back") or "")
    if not back.startswith(f"{PREFIX}/nlu/review") or "//" in back:
        back = f"{PREFIX}/nlu/review"
    raw_entities = str(form.get("entities") or "")
    try:
        entities = json.loads(raw_entities) if raw_entities.strip() else []
    except ValueError:
        return error_page(request, 400, "errors.bad_request")
    member = staff_of(request)
    try:
        label = await labels.save_review(services_of(request).store, message_id, str(form.get("intent") or ""),
                                         entities, actor=member.actor, known_intents=known_intents())
    except labels.LabelError as exc:
        if exc.code == "no_message":
            return error_page(request, 404, "errors.not_found")
        raise see_other(back.split("#")[0], error=f"nlu_{exc.code}") from None
    await record(request, "nlu.label", target=message_id, intent=label["intent"],
                 predicted=label["predicted"]["intent"], entities=len(label["entities"]))
    done = "nlu_confirmed" if label["intent"] == label["predicted"]["intent"] else "nlu_corrected"
    base, _, _ = back.partition("#")
    sep = "&" if "?" in base else "?"
    raise web.HTTPSeeOther(f"{base}{sep}done={done}#m-{labels.anchor_of(message_id)}")

