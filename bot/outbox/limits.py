"""Rate limits toward the platforms: a token bucket per channel and one per chat (in this instance).

Telegram allows a bot about 30 messages per second overall and about one per second in one chat, with short bursts
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this); Viber publishes no figure and
answers status 12 (tooManyRequests) when over it. The web chat has no platform behind it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    per_s: float  # sustained rate
    burst: float  # what may go at once


class Bucket:
    __slots__ = ("limit", "stamp", "tokens")

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.tokens = limit.burst
        self.stamp = time.monotonic()

    def refill(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.limit.burst, self.tokens + (now - self.stamp) * self.limit.per_s)
        self.stamp = now
        return self.tokens

    def wait_s(self) -> float:
        """Take a token now (0.0) or say how long until one is there (nothing taken)."""
        if self.refill() >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.limit.per_s


class RateLimits:
    def __init__(self, channels: dict[str, Limit], chats: dict[str, Limit]) -> None:
        self._channel_limits, self._chat_limits = channels, chats
        self._channels: dict[str, Bucket] = {}
        self._chats: dict[tuple[str, str], Bucket] = {}

    async def acquire(self, channel: str, chat_id: str) -> float:
        """Wait until one more message may go to this chat; returns the seconds waited."""
        waited = 0.0
        chat_limit = self._chat_limits.get(channel)
        if chat_limit is not None:
            bucket = self._chats.setdefault((channel, chat_id), Bucket(chat_limit))
            while (pause := bucket.wait_s()) > 0:
                waited += pause
                await asyncio.sleep(pause)
        channel_limit = self._channel_limits.get(channel)
        if channel_limit is not None:
            bucket = self._channels.setdefault(channel, Bucket(channel_limit))
            while (pause := bucket.wait_s()) > 0:
                waited += pause
                await asyncio.sleep(pause)
        if len(self._chats) > 50_000:  # forget chats whose bucket is full again
            full = [k for k, b in self._chats.items() if b.refill() >= b.limit.burst]
            for key in full:
                del self._chats[key]
        return waited
