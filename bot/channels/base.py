"""The contract between a channel adapter and the rest of the service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from bot.core.models import Channel, Inbound, Reply


class SendError(RuntimeError):
    """The platform refused or did not answer a send (after the adapter's own timeout).

    ``retry_after``: seconds the platform asked us to wait (Telegram's 429 ``retry_after``, Viber's rate limit);
    ``permanent``: trying again cannot help (the person blocked the bot or unsubscribed, the chat does not exist,
    the message is malformed): the outbox makes it a dead letter at once instead of retrying.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


@dataclass
class BroadcastResult:
    """What a platform's broadcast call did: the ids of the message(s) it made, and per receiver that did not get it
    the reason (``SendError.permanent``: the person blocked the bot or left; otherwise worth one more try alone)."""

    platform_message_ids: list[str] = field(default_factory=list)
    failed: dict[str, SendError] = field(default_factory=dict)


class Intake(Protocol):
    async def accept(self, inbound: Inbound) -> bool:
        """Store the inbound message and queue it for processing; ``False`` if it was already accepted
        (a platform retry). Raises ``bot.store.StoreUnavailable`` when the database is down: the adapter then
        answers 503 so the platform retries, and nothing is lost."""


class ChannelAdapter(Protocol):
    name: Channel

    def add_routes(self, app: web.Application) -> None:
        """Register this channel's HTTP routes (webhook, web-chat page …) on the one aiohttp app."""

    async def start(self) -> None:
        """Called once the app is up: register the webhook (when PUBLIC_URL is set) or start polling."""

    async def close(self) -> None:
        """Stop polling, close HTTP sessions."""

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> list[str]:
        """Deliver replies in order to one chat; returns the platform's ids of the messages it made (none for the
        web chat). Raises :class:`SendError`. Called by the outbox (``bot/outbox/``), never from a turn."""


class BroadcastAdapter(ChannelAdapter, Protocol):
    """A channel whose platform sends one message to many chats in one call (Viber's ``broadcast_message``).
    The outbox sends area alerts through it in batches of at most ``broadcast_size`` chats."""

    broadcast_size: int

    async def broadcast(self, chat_ids: Sequence[str], reply: Reply) -> BroadcastResult:
        """Deliver one reply to these chats; raises :class:`SendError` when the call as a whole failed (nobody
        got it), else returns who did not get it and why."""
