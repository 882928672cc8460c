"""The dependencies a handler may use, created once at start-up (``bot/app.py``) and kept on the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.models import Reply, utcnow
from bot.core.settings import Settings
from bot.store import Store


class Outbox(Protocol):
    async def send_to(self, conversation_id: str, replies: list[Reply], *, sender: str = "bot") -> None:
        """Store ``replies`` as outbound messages of that conversation and deliver them on its channel.

        Used outside a turn: ticket status notifications, staff replies from the dashboard.
        """


@dataclass
class Services:
    settings: Settings
    store: Store
    outbox: Outbox
    extras: dict[str, Any] = field(default_factory=dict)  # per-feature singletons (e.g. the POI catalogue)
    # "Now" for answers that depend on the time of day (the guide's "open now"): an aware UTC datetime. Tests set it
    # on a running app (``service.runtime.services.clock = lambda: ...``) to freeze the time of the question.
    clock: Callable[[], datetime] = utcnow
