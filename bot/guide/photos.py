"""Photos of the guide's sights: checked, resized with Pillow to a few sizes, stored in MongoDB, served publicly.

Storage is one small interface, :class:`PhotoStore` (``put`` / ``get`` / ``delete``), with two implementations:

* :class:`GridFSPhotos` — GridFS (``sight_photos.files`` / ``.chunks``) on a real MongoDB server;
* :class:`CollectionPhotos` — one document per size in the ``sight_photos`` collection (BSON binary; every size is
  well under the 16 MB document limit). The in-process stand-in of demo mode and the tests has no GridFS (PyMongo's
  ``AsyncGridFSBucket`` needs a real ``AsyncCollection``), so it uses this one.

A sight's document lists its photo ids (``photos``, first = the one sent with its card). The files are public
(``/guide/photos/{id}/{size}.jpg``: Telegram and Viber fetch them by URL), immutable (a new upload gets a new id),
so they are served with a year's ``Cache-Control: public, immutable`` and an ``ETag``.
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from typing import Protocol

from aiohttp import web
from bson import Binary
from PIL import Image, ImageOps, UnidentifiedImageError

from bot.store import Store

SIZES: dict[str, int] = {"thumb": 320, "card": 1024, "large": 1600}  # longest side, pixels
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a "decompression bomb" is refused before it is decoded
FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
PHOTO_ID = re.compile(r"^[a-f0-9]{24}$")
CACHE_CONTROL = "public, max-age=31536000, immutable"


class BadPhoto(ValueError):
    pass


def resize(data: bytes) -> dict[str, bytes]:
    """The upload as JPEG at each of :data:`SIZES` (never larger than the original), EXIF orientation applied and
    metadata (GPS position, camera) dropped. Raises :class:`BadPhoto` for anything that is not a photo."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadPhoto("too large")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise BadPhoto(f"format {probe.format}")
            if probe.width * probe.height > MAX_PIXELS:
                raise BadPhoto("too many pixels")
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img = ImageOps.exif_transpose(img).convert("RGB")
            out: dict[str, bytes] = {}
            for name, side in SIZES.items():
                copy = img.copy()
                copy.thumbnail((side, side), Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                copy.save(buf, "JPEG", quality=85, optimize=True, progressive=True)
                out[name] = buf.getvalue()
            return out
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadPhoto(str(exc)) from exc


class PhotoStore(Protocol):
    async def put(self, photo_id: str, sizes: dict[str, bytes]) -> None: ...
    async def get(self, photo_id: str, size: str) -> bytes | None: ...
    async def delete(self, photo_id: str) -> None: ...


class CollectionPhotos:
    def __init__(self, store: Store) -> None:
        self._coll = store.sight_photos

    async def put(self, photo_id: str, sizes: dict[str, bytes]) -> None:
        await self._coll.insert_many([{"_id": f"{photo_id}:{name}", "photo": photo_id, "size": name,
                                       "data": Binary(data)} for name, data in sizes.items()])

    async def get(self, photo_id: str, size: str) -> bytes | None:
        doc = await self._coll.find_one({"_id": f"{photo_id}:{size}"})
        return bytes(doc["data"]) if doc else None

    async def delete(self, photo_id: str) -> None:
        await self._coll.delete_many({"photo": photo_id})


class GridFSPhotos:
    def __init__(self, store: Store) -> None:
        from gridfs import AsyncGridFSBucket

        self._bucket = AsyncGridFSBucket(store.db, bucket_name="sight_photos")

    async def put(self, photo_id: str, sizes: dict[str, bytes]) -> None:
        for name, data in sizes.items():
            await self._bucket.upload_from_stream(f"{photo_id}/{name}.jpg", data,
                                                  metadata={"photo": photo_id, "size": name,
                                                            "contentType": "image/jpeg"})

    async def get(self, photo_id: str, size: str) -> bytes | None:
        from gridfs.errors import NoFile

        try:
            stream = await self._bucket.open_download_stream_by_name(f"{photo_id}/{size}.jpg")
        except NoFile:
            return None
        return bytes(await stream.read())

    async def delete(self, photo_id: str) -> None:
        async for f in self._bucket.find({"metadata.photo": photo_id}):
            await self._bucket.delete(f._id)


def photo_store(store: Store) -> PhotoStore:
    return CollectionPhotos(store) if store.demo else GridFSPhotos(store)


async def add_photo(store: Store, poi_id: str, data: bytes) -> str:
    """Resize and store an upload, and append it to the sight's photos. Returns the new photo's id."""
    sizes = await asyncio.to_thread(resize, data)  # Pillow work off the event loop
    photo_id = secrets.token_hex(12)
    await photo_store(store).put(photo_id, sizes)
    await store.sights.update_one({"_id": poi_id}, {"$push": {"photos": photo_id}})
    return photo_id


async def remove_photo(store: Store, poi_id: str, photo_id: str) -> bool:
    result = await store.sights.update_one({"_id": poi_id, "photos": photo_id}, {"$pull": {"photos": photo_id}})
    if result.modified_count:
        await photo_store(store).delete(photo_id)
    return bool(result.modified_count)


def photo_path(photo_id: str, size: str = "card") -> str:
    return f"/guide/photos/{photo_id}/{size}.jpg"


def add_routes(app: web.Application, store: Store) -> None:
    async def serve(request: web.Request) -> web.StreamResponse:
        photo_id, size = request.match_info["photo_id"], request.match_info["size"]
        if not PHOTO_ID.match(photo_id) or size not in SIZES:
            raise web.HTTPNotFound()
        etag = f'"{photo_id}-{size}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
        data = await photo_store(store).get(photo_id, size)
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="image/jpeg",
                            headers={"ETag": etag, "Cache-Control": CACHE_CONTROL,
                                     "X-Content-Type-Options": "nosniff"})

    app.router.add_get("/guide/photos/{photo_id}/{size}.jpg", serve)
