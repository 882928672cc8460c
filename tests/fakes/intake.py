"""Stands in for the pipeline in adapter tests: records what it accepts, refuses duplicates, can be 'down'."""

from __future__ import annotations

from bot.models import Inbound
from bot.store import StoreUnavailable


class RecordingIntake:
    def __init__(self) -> None:
        self.accepted: list[Inbound] = []
        self.calls = 0
        self.down = False

    async def accept(self, inbound: Inbound) -> bool:
        self.calls += 1
        if self.down:
            raise StoreUnavailable("database down")
        if any(i.message_id == inbound.message_id for i in self.accepted):
            return False
        self.accepted.append(inbound)
        return True
