"""How a stored conversation reads to a person: the label of a pressed button instead of its payload.

A button press arrives as a payload (``cmp:51d796a7:photosdone``); the person saw a label ("Χωρίς φωτογραφία").
The label is in the bot's last outbound message that offered that payload (``reply.buttons`` of the stored
outbound messages). The pipeline stores it on the inbound message as ``button_label`` when it processes the press;
:func:`label_presses` fills it in for messages stored before that (or when the offer is no longer in the store).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import DESCENDING

from bot.store import Store


def _label_in(reply: Mapping[str, Any] | None, payload: str) -> str | None:
    for button in (reply or {}).get("buttons") or ():
        if button.get("payload") == payload:
            return str(button.get("label") or "") or None
    return None


async def button_label(store: Store, conversation_id: str, payload: str) -> str | None:
    """The label of the most recent button with ``payload`` that the bot offered in this conversation."""
    offer = await store.messages.find_one(
        {"conversation_id": conversation_id, "direction": "out", "reply.buttons.payload": payload},
        projection={"reply.buttons": 1}, sort=[("created_at", DESCENDING), ("seq", DESCENDING)])
    return _label_in((offer or {}).get("reply"), payload) if offer else None


def label_presses(messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The transcript (oldest first) with ``button_label`` on every press whose offer is in it."""
    out: list[dict[str, Any]] = []
    offered: dict[str, str] = {}
    for m in messages:
        if m.get("direction") == "out":
            for button in (m.get("reply") or {}).get("buttons") or ():
                if button.get("payload") and button.get("label"):
                    offered[str(button["payload"])] = str(button["label"])
        elif m.get("button") and not m.get("button_label") and m["button"] in offered:
            m = {**m, "button_label": offered[m["button"]]}
        out.append(m)
    return out
