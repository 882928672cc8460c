"""The municipality's KAPI/KIFI that record requests: collection ``intake_centres``, seeded from
``data/centres.yaml`` when empty, edited by an admin (``/staff/admin/centres``). A centre is hidden, never deleted:
tickets keep its id and name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pymongo import ASCENDING

from bot.core.models import Language, utcnow
from bot.store import Store

CENTRES_PATH = Path(__file__).resolve().parent.parent.parent / "data" / "centres.yaml"
KINDS: tuple[str, ...] = ("kapi", "kifi")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
MAX_TEXT = 200

Kind = Literal["kapi", "kifi"]


@dataclass(frozen=True, slots=True)
class Centre:
    id: str
    kind: str
    name_el: str
    name_en: str
    address: str = ""
    phone: str = ""
    active: bool = True

    def name(self, lang: Language) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_el

    def to_doc(self) -> dict[str, Any]:
        return {"_id": self.id, "kind": self.kind, "name": {"el": self.name_el, "en": self.name_en},
                "address": self.address, "phone": self.phone, "active": self.active}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Centre:
        name = doc.get("name") or {}
        return cls(id=doc["_id"], kind=doc.get("kind", "kapi"), name_el=name.get("el", ""),
                   name_en=name.get("en", ""), address=doc.get("address") or "", phone=doc.get("phone") or "",
                   active=bool(doc.get("active", True)))


class CentreError(ValueError):
    """Invalid centre data; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def validate(centre: Centre) -> Centre:
    if not ID_RE.match(centre.id):
        raise CentreError("id", f"bad id {centre.id!r}")
    if centre.kind not in KINDS:
        raise CentreError("kind", f"bad kind {centre.kind!r}")
    if not centre.name_el.strip():
        raise CentreError("name_el", "a Greek name is required")
    for field in ("name_el", "name_en", "address", "phone"):
        if len(getattr(centre, field)) > MAX_TEXT:
            raise CentreError(field, "too long")
    return centre


def seed_file(path: Path = CENTRES_PATH) -> list[Centre]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return [validate(Centre(id=c["id"], kind=c["kind"], name_el=c["name"]["el"], name_en=c["name"].get("en", "")))
            for c in data.get("centres") or ()]


async def ensure_seeded(store: Store) -> int:
    """Import ``data/centres.yaml`` into an empty collection; returns how many centres were added."""
    collection = store.db["intake_centres"]
    await collection.create_index([("active", ASCENDING), ("name.el", ASCENDING)], name="listing")
    if await collection.find_one({}, {"_id": 1}) is not None:
        return 0
    now = utcnow()
    docs = [c.to_doc() | {"created_at": now, "updated_at": now} for c in seed_file()]
    if docs:
        await collection.insert_many(docs)
    return len(docs)


async def all_centres(store: Store, *, active_only: bool = False) -> list[Centre]:
    query: dict[str, Any] = {"active": True} if active_only else {}
    cursor = store.db["intake_centres"].find(query).sort([("kind", ASCENDING), ("name.el", ASCENDING)])
    return [Centre.from_doc(d) async for d in cursor]


async def get_centre(store: Store, centre_id: str) -> Centre | None:
    doc = await store.db["intake_centres"].find_one({"_id": centre_id})
    return Centre.from_doc(doc) if doc else None


async def save_centre(store: Store, centre: Centre, *, create: bool) -> None:
    """Insert (``create``: ``DuplicateKeyError`` if the id exists) or replace a centre's fields."""
    validate(centre)
    doc = centre.to_doc()
    now = utcnow()
    if create:
        await store.db["intake_centres"].insert_one(doc | {"created_at": now, "updated_at": now})
    else:
        fields = {k: v for k, v in doc.items() if k != "_id"} | {"updated_at": now}
        result = await store.db["intake_centres"].update_one({"_id": centre.id}, {"$set": fields})
        if result.matched_count == 0:
            raise LookupError(centre.id)
