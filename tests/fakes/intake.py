"""Stands in for the pipeline in adapter tests: records every message the adapter hands over, can be 'down'.

It does NOT de-duplicate: that is the pipeline's work (the inbound message's key, tested on the real service in
``test_a_retried_update_is_processed_once``, ``test_e2e_retried_callback_is_processed_once``,
``test_e2e_english_visitor_and_resent_frame``). A test that wants the pipeline's "already have it" answer puts the
message id in ``duplicates`` and checks what the adapter makes of it.
"""

from __future__ import annotations

from bot.core.models import Inbound
from bot.store import StoreUnavailable


class RecordingIntake:
    def __init__(self) -> None:
        self.accepted: list[Inbound] = []
        self.calls = 0
        self.down = False
        self.duplicates: set[str] = set()  # message ids to answer as a platform retry (accept() -> False)

    async def accept(self, inbound: Inbound) -> bool:
        self.calls += 1
        if self.down:
            raise StoreUnavailable("database down")
        self.accepted.append(inbound)
        return inbound.message_id not in self.duplicates
