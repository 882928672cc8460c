"""The contract between a channel adapter and the rest of the service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aiohttp import web

from bot.models import Channel, Inbound, Reply


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
