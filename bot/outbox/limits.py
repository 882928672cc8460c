"""Rate limits toward the platforms: one schedule per channel, one per chat, and one per channel for broadcast
calls (in this instance).

Telegram allows a bot about 30 messages per second overall and about one per second in one chat, with short bursts
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this); Viber publishes no figure for
``send_message`` and answers status 12 (tooManyRequests) when over it. Viber's ``broadcast_message`` (up to 300
receivers a call) is limited to 500 requests in any 10 seconds
(https://creators.viber.com/docs/bots-api/resources/messaging/broadcast-message): 45 a second with bursts of 45 is
at most 45 + 10 x 45 = 495 calls in any 10 s. Several instances each keep their own schedules: together they may go
over, and the platform's rate-limit answers (429, status 12) are retried. The web chat has no platform behind it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    per_s: float  # sustained rate
    burst: float  # what may go at once


CHANNEL_LIMITS = {"telegram": Limit(per_s=30, burst=30), "viber": Limit(per_s=25, burst=25)}
CHAT_LIMITS = {"telegram": Limit(per_s=1, burst=5), "viber": Limit(per_s=1, burst=5)}
BROADCAST_LIMITS = {"viber": Limit(per_s=45, burst=45)}  # calls, each to up to 300 chats


class Schedule:
    """The generic cell rate algorithm (GCRA) for one limit: each caller reserves its own send time at once
    (``tat``, the theoretical arrival time, moves on by ``1 / per_s``) and sleeps once until then. Thousands of
    lanes waiting on one channel's limit (a broadcast) therefore wake once each, in the order they asked, instead
    of all of them polling a bucket."""

    __slots__ = ("interval", "tat", "tolerance")

    def __init__(self, limit: Limit) -> None:
        self.interval = 1.0 / limit.per_s
        self.tolerance = max(0.0, limit.burst - 1) * self.interval  # how far ahead a burst may run
        self.tat = 0.0

    def reserve(self, now: float) -> float:
        """Take the next slot; the seconds until it (0.0 if it is now)."""
        tat = max(self.tat, now)
        self.tat = tat + self.interval
        return max(0.0, tat - self.tolerance - now)

    def idle(self, now: float) -> bool:
        """No slot reserved ahead: as good as new (a chat's schedule can be forgotten)."""
        return self.tat <= now


class RateLimits:
    """``clock`` and ``sleep`` are the monotonic clock and the pause (a test gives virtual ones)."""

    def __init__(self, channels: dict[str, Limit], chats: dict[str, Limit],
                 broadcasts: dict[str, Limit] | None = None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self._clock, self._sleep = clock, sleep
        self._channel_limits, self._chat_limits = channels, chats
        self._broadcast_limits = broadcasts or {}
        self._channels: dict[str, Schedule] = {}
        self._chats: dict[tuple[str, str], Schedule] = {}
        self._broadcasts: dict[str, Schedule] = {}

    async def acquire_broadcast(self, channel: str) -> float:
        """Wait until one more broadcast call may go on this channel; returns the seconds waited. (A broadcast
        does not count against the channel's per-message limit: the platform counts it separately.)"""
        limit = self._broadcast_limits.get(channel)
        if limit is None:
            return 0.0
        schedule = self._broadcasts.get(channel)
        if schedule is None:
            schedule = self._broadcasts[channel] = Schedule(limit)
        pause = schedule.reserve(self._clock())
        if pause > 0:
            await self._sleep(pause)
        return pause

    async def acquire(self, channel: str, chat_id: str) -> float:
        """Wait until one more message may go to this chat; returns the seconds waited."""
        waited = 0.0
        chat_limit = self._chat_limits.get(channel)
        if chat_limit is not None:
            schedule = self._chats.get((channel, chat_id))
            if schedule is None:
                schedule = self._chats[(channel, chat_id)] = Schedule(chat_limit)
            pause = schedule.reserve(self._clock())
            if pause > 0:
                waited += pause
                await self._sleep(pause)
        channel_limit = self._channel_limits.get(channel)
        if channel_limit is not None:
            schedule = self._channels.get(channel)
            if schedule is None:
                schedule = self._channels[channel] = Schedule(channel_limit)
            pause = schedule.reserve(self._clock())  # reserved after the chat's wait: no slot held meanwhile
            if pause > 0:
                waited += pause
                await self._sleep(pause)
        if len(self._chats) > 50_000:  # forget chats with nothing reserved ahead
            now = self._clock()
            for key in [k for k, s in self._chats.items() if s.idle(now)]:
                del self._chats[key]
        return waited
