"""Photos of a ticket, fetched by the service for the staff's browser (which must not reach external hosts: the CSP
allows images from this service only, and on the intranet there may be no internet for the browser at all).

- Telegram: the photo is a ``file_id``; the Bot API's ``getFile`` gives its path, then the file is downloaded from
  the Bot API's file endpoint (``TELEGRAM_API_URL``).
- Viber: an ``https`` media URL on a Viber host (never any other host: no request forgery through a ticket).
- Web chat uploads are already served by this service (a ``/…`` URL) and are linked directly.
- Photos uploaded at assisted intake are kept in the ticket itself (``data``, re-encoded by :func:`prepare_upload`:
  at most :data:`UPLOAD_MAX_SIDE` pixels, JPEG, no EXIF — so no GPS position or camera serial is kept), and go
  wherever the ticket goes: the privacy package's photo retention and erasure remove them with the ticket's photos.

Only JPEG, PNG, GIF and WebP (checked by their first bytes) up to :data:`MAX_BYTES` are passed on.
"""

from __future__ import annotations

import io
import math
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from bson import Binary
from PIL import Image, ImageOps, UnidentifiedImageError

from bot.core.settings import Settings

MAX_BYTES = 10 * 1024 * 1024
TIMEOUT_S = 10.0
VIBER_HOST_SUFFIXES = (".viber.com", ".cdn.viber.com")
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF87a", "image/gif"),
               (b"GIF89a", "image/gif"))


UPLOAD_MAX_SIDE = 1600
UPLOAD_MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
UPLOAD_QUALITY = 85


class PhotoUnavailable(RuntimeError):
    pass


class BadUpload(ValueError):
    """An uploaded file that is not a usable image."""


def prepare_upload(data: bytes) -> dict[str, Any]:
    """An uploaded photo as it is kept: the ``photos`` entry of a ticket (``data``, ``content_type``, ``size``).
    CPU-bound (tens to hundreds of ms for a phone photo): call it in a thread, off the event loop."""
    if not data or len(data) > MAX_BYTES:
        raise BadUpload("empty or too large")
    if image_type(data) is None:
        raise BadUpload("not a JPEG, PNG, GIF or WebP image")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > UPLOAD_MAX_PIXELS:
                raise BadUpload("too many pixels")
            ratio = min(1.0, UPLOAD_MAX_SIDE / max(img.width, img.height))
            img.draft("RGB", (math.ceil(img.width * ratio), math.ceil(img.height * ratio)))  # JPEG: decoded smaller
            img = ImageOps.exif_transpose(img)  # upright as the phone showed it, then the EXIF is dropped
            img = img.convert("RGB")
            img.thumbnail((UPLOAD_MAX_SIDE, UPLOAD_MAX_SIDE))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=UPLOAD_QUALITY, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadUpload(type(exc).__name__) from None
    jpeg = out.getvalue()
    return {"file_id": None, "url": None, "size": len(jpeg), "data": Binary(jpeg), "content_type": "image/jpeg"}


def local_url(photo: dict[str, Any]) -> str | None:
    url = photo.get("url") or ""
    return url if url.startswith("/") and not url.startswith("//") else None


def _viber_url(photo: dict[str, Any]) -> str | None:
    url = photo.get("url") or ""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname and parts.hostname.endswith(VIBER_HOST_SUFFIXES):
        return url
    return None


def can_fetch(photo: dict[str, Any], channel: str | None, settings: Settings) -> bool:
    if photo.get("data"):
        return True
    if channel == "telegram" and photo.get("file_id") and settings.telegram_token:
        return True
    return channel == "viber" and _viber_url(photo) is not None


def image_type(data: bytes) -> str | None:
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def _download(http: aiohttp.ClientSession, url: str) -> bytes:
    async with http.get(url, allow_redirects=False) as resp:
        if resp.status != 200:
            raise PhotoUnavailable(f"HTTP {resp.status}")
        if (resp.content_length or 0) > MAX_BYTES:
            raise PhotoUnavailable("too large")
        data = await resp.content.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoUnavailable("too large")
    return data


async def fetch(http: aiohttp.ClientSession, photo: dict[str, Any], channel: str | None,
                settings: Settings) -> tuple[bytes, str]:
    """The photo's bytes and image type; :class:`PhotoUnavailable` when it cannot be had."""
    if photo.get("data"):
        data = bytes(photo["data"])
        kind = image_type(data)
        if kind is None:
            raise PhotoUnavailable("not an image")
        return data, kind
    try:
        if channel == "telegram" and photo.get("file_id") and settings.telegram_token:
            token = settings.telegram_token.get_secret_value()
            api = settings.telegram_api_url
            async with http.get(f"{api}/bot{token}/getFile", params={"file_id": photo["file_id"]}) as resp:
                body = await resp.json(content_type=None)
            path = (body.get("result") or {}).get("file_path") if body.get("ok") else None
            if not path or ".." in path:
                raise PhotoUnavailable("getFile failed")
            data = await _download(http, f"{api}/file/bot{token}/{path}")
        elif channel == "viber" and (url := _viber_url(photo)):
            data = await _download(http, url)
        else:
            raise PhotoUnavailable("no way to fetch this photo")
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise PhotoUnavailable(type(exc).__name__) from None
    kind = image_type(data)
    if kind is None:
        raise PhotoUnavailable("not an image")
    return data, kind
