"""The readable summary of a person's export: staff actions only, in words, with no internal collection names."""

from __future__ import annotations

import uuid

from bot.core.i18n import Texts
from bot.core.models import utcnow
from bot.core.settings import Settings
from bot.privacy.export import export_subject, summary
from bot.privacy.registry import DataSubject
from bot.store import open_store


async def test_the_summary_counts_staff_actions_only_and_names_every_line_in_words() -> None:
    store = await open_store(None, f"summary_{uuid.uuid4().hex[:8]}")
    me = "telegram:77"
    now = utcnow()
    await store.conversations.insert_one({"_id": me, "channel": "telegram", "chat_id": "77", "created_at": now})
    await store.audit.insert_many([
        {"at": now, "actor": "citizen", "action": "privacy.export", "target": me},  # her own request
        {"at": now, "actor": "staff:maria", "action": "conversation.view", "target": me},
    ])
    await store.db["outbox"].insert_one({"_id": "out:1", "conversation_id": me, "chat_id": "77", "text": "x",
                                         "created_at": now})
    await store.db["leases"].insert_one({"_id": f"conversation:{me}", "conversation_id": me})
    data = await export_subject(store, DataSubject(conversation_ids=frozenset({me})), Settings(_env_file=None))
    assert [a["action"] for a in data["staff_access"]] == ["conversation.view"]
    for lang in ("el", "en"):
        text = summary(data, Texts(lang))
        assert Texts(lang)("privacy.export.staff_access.one") in text
        assert "outbox" not in text and "leases" not in text
    assert "μηνύματα του βοηθού προς εσάς" in summary(data, Texts("el"))
    await store.close()
