"""The sights in MongoDB: ``data/pois.yaml`` is the seed, then the ``sights`` collection is the source.

* ``sights``: one document per sight, ``_id`` = its id, the fields of :class:`bot.guide.catalogue.Poi` (validated by
  the same pydantic models on every write), plus ``updated_at`` / ``updated_by``.
* ``counters`` document ``guide_catalogue``: the catalogue's ``version`` (``$inc`` on every change) and the
  ``transport`` section of the file. Every instance compares the version with the one it has loaded before it
  answers a tourist (one primary-key read), so an edit in the dashboard is in the next answer of every instance.

:func:`seed_if_empty` runs at start (first start imports the file); ``bot.py import-pois`` replaces the catalogue
with a file; ``bot.py export-pois`` writes the catalogue back as YAML (the file's format, hidden sights included).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml
from pymongo import ReturnDocument

from bot.core.models import utcnow
from bot.guide.catalogue import POIS_FILE, Catalogue, Poi, PoiFile, Transport
from bot.store import Store

META_ID = "guide_catalogue"
_NOT_POI_FIELDS = frozenset({"_id", "seq", "updated_at", "updated_by", "photos"})  # kept beside a sight's fields


def poi_document(poi: Poi) -> dict[str, Any]:
    doc = poi.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    doc["_id"] = doc["id"]
    return doc


def poi_from_document(doc: dict[str, Any]) -> Poi:
    data = {k: v for k, v in doc.items() if k not in _NOT_POI_FIELDS}
    return Poi.model_validate(data)


async def catalogue_version(store: Store) -> int | None:
    meta = await store.counters.find_one({"_id": META_ID}, {"version": 1})
    return int(meta["version"]) if meta else None


async def bump_version(store: Store) -> int:
    meta = await store.counters.find_one_and_update({"_id": META_ID}, {"$inc": {"version": 1}},
                                                    return_document=ReturnDocument.AFTER)
    return int(meta["version"]) if meta else 0


def read_file(path: Path = POIS_FILE) -> PoiFile:
    with open(path, encoding="utf-8") as fh:
        return PoiFile.model_validate(yaml.safe_load(fh))


async def import_file(store: Store, path: Path = POIS_FILE, *, by: str = "import") -> int:
    """Replace the catalogue with the file's (validated first: a bad file changes nothing). Returns the count."""
    parsed = await asyncio.to_thread(read_file, path)
    now = utcnow()
    docs = [poi_document(p) | {"seq": i, "updated_at": now, "updated_by": by} for i, p in enumerate(parsed.pois)]
    ids = [d["_id"] for d in docs]
    for doc in docs:
        await store.sights.replace_one({"_id": doc["_id"]}, doc, upsert=True)
    await store.sights.delete_many({"_id": {"$nin": ids}})
    await store.counters.update_one(
        {"_id": META_ID},
        {"$set": {"transport": parsed.transport.model_dump(mode="json")}, "$inc": {"version": 1}},
        upsert=True)
    return len(docs)


async def seed_if_empty(store: Store, path: Path = POIS_FILE) -> bool:
    """First start: import the seed file. Later starts leave MongoDB alone (it is the source now)."""
    if await store.counters.find_one({"_id": META_ID}, {"_id": 1}) is not None:
        return False
    await import_file(store, path, by="seed")
    return True


async def load_all(store: Store) -> tuple[list[Poi], Transport]:
    """Every sight, hidden ones included (``hidden`` is a field of the sight), and the transport section."""
    meta = await store.counters.find_one({"_id": META_ID})
    if meta is None or "transport" not in meta:
        raise LookupError("the guide's catalogue has not been imported")
    pois = [poi_from_document(d) async for d in store.sights.find({}).sort([("seq", 1)])]  # the file's order
    return pois, Transport.model_validate(meta["transport"])


async def load_catalogue(store: Store) -> tuple[Catalogue, int]:
    """The catalogue the bot answers from (visible sights only, with their photos) and its version."""
    version = await catalogue_version(store)
    pois, transport = await load_all(store)
    photos = {d["_id"]: tuple(d["photos"]) async for d in store.sights.find({"photos.0": {"$exists": True}},
                                                                             {"photos": 1})}
    return Catalogue([p for p in pois if not p.hidden], transport, photos), version or 0


async def export_yaml(store: Store) -> str:
    pois, transport = await load_all(store)
    data = {"pois": [p.model_dump(mode="json", by_alias=True, exclude_defaults=True) for p in pois],
            "transport": transport.model_dump(mode="json")}
    PoiFile.model_validate(data)  # what we write can be imported again
    header = ("# Exported from the guide's catalogue in MongoDB (bot.py export-pois). Fields: see the comments at the\n"
              "# top of data/pois.yaml in the repository. Import with bot.py import-pois.\n")
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


async def save_poi(store: Store, poi: Poi, *, by: str) -> int:
    """Write one sight (already validated by its model) and bump the version. Returns the new version."""
    doc = poi_document(poi) | {"updated_at": utcnow(), "updated_by": by}
    existing = await store.sights.find_one({"_id": poi.id}, {"photos": 1, "seq": 1})
    if existing is not None:
        doc["seq"] = existing.get("seq", 0)
        if existing.get("photos"):
            doc["photos"] = existing["photos"]
    else:
        last = await store.sights.find_one({}, {"seq": 1}, sort=[("seq", -1)])
        doc["seq"] = (last or {}).get("seq", -1) + 1
    await store.sights.replace_one({"_id": poi.id}, doc, upsert=True)
    return await bump_version(store)


# ---------------------------------------------------------------------------------------------- command line
async def _with_store(action: Any) -> int:
    from bot.core.settings import load_settings
    from bot.store import open_configured_store

    settings = load_settings()
    if settings.demo:
        print("note: MONGODB_URI is not set; this runs on an empty in-memory database")
    store = await open_configured_store(settings)
    try:
        return await action(store)
    finally:
        await store.close()


def cli_import(path: str | None) -> int:
    async def run(store: Store) -> int:
        n = await import_file(store, Path(path) if path else POIS_FILE, by="bot.py import-pois")
        print(f"imported {n} sights")
        return 0
    return asyncio.run(_with_store(run))


def cli_export(path: str | None) -> int:
    texts: list[str] = []

    async def run(store: Store) -> int:
        await seed_if_empty(store)  # an empty database exports the seed
        texts.append(await export_yaml(store))
        return 0

    code = asyncio.run(_with_store(run))
    if path:
        Path(path).write_text(texts[0], encoding="utf-8")
        print(f"wrote {path}")
    else:
        print(texts[0], end="")
    return code
