"""Assisted intake benchmark: what one recorded request costs the service.

    .venv/bin/python benchmarks/bench_intake.py [-n 20]

Prints median / p95 of: re-encoding one phone photo (12 MP JPEG → at most 1600 px, no EXIF, Pillow), the QR code of
a status link (SVG), and over real HTTP against the dashboard (in-process store): posting the intake form with one
such photo (multipart, ~3–5 MB) and rendering its receipt.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from PIL import Image  # noqa: E402

from bot.core.events import EventBus  # noqa: E402
from bot.core.services import Services  # noqa: E402
from bot.intake.status_link import new_token, qr_svg  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.tickets.photos import prepare_upload  # noqa: E402
from tests.fixtures.dashboard import Dashboard, RecordingOutbox, dashboard_settings  # noqa: E402


def phone_photo() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((4000, 3000), 40).convert("RGB").save(out, "JPEG", quality=92)
    return out.getvalue()


def figures(name: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    print(f"{name:<34} n={len(ms):<4} median={statistics.median(ms):8.1f} ms  p95={p95:8.1f} ms")


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


async def over_http(n: int, photo: bytes) -> tuple[list[float], list[float]]:
    store = await open_store(None, "bench_intake")
    bus = EventBus()
    outbox = RecordingOutbox(store, bus)
    d = Dashboard(Services(settings=dashboard_settings(citizen_office_phone="28213 41600"), store=store,
                           outbox=outbox), bus, outbox)
    await d.start()
    try:
        clerk = await d.login("bench", "operator")
        await clerk.get("/staff/intake")
        posts, receipts = [], []
        for i in range(n):
            form = aiohttp.FormData()
            for k, v in {"csrf_token": clerk.csrf, "name": f"Πολίτης {i}", "phone": "6912345678",
                         "address": "Πλατεία Σπλάντζιας", "category": "complaint_lighting",
                         "description": "Σβηστή κολόνα", "language": "el", "centre": "kapi-souda",
                         "lat": "35.5167", "lon": "24.0203"}.items():
                form.add_field(k, v)
            form.add_field("photo", photo, filename="p.jpg", content_type="image/jpeg")
            t0 = time.perf_counter()
            async with clerk.session.post(d.url + "/staff/intake", data=form, allow_redirects=False) as resp:
                assert resp.status == 303, resp.status
                location = resp.headers["Location"]
            posts.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            status, _, _ = await clerk.get(location)
            assert status == 200
            receipts.append(time.perf_counter() - t0)
        return posts, receipts
    finally:
        await d.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args()
    photo = phone_photo()
    print(f"photo: 4000x3000 JPEG, {len(photo) / 1e6:.1f} MB; kept: {prepare_upload(photo)['size'] / 1e3:.0f} kB")
    figures("re-encode photo (Pillow)", timed(lambda: prepare_upload(photo), args.n))
    figures("QR code SVG of a status link", timed(lambda: qr_svg("https://bot.chania.gr/status/" + new_token()),
                                                  args.n))
    posts, receipts = asyncio.run(over_http(args.n, photo))
    figures("POST /staff/intake with the photo", posts)
    figures("GET receipt (with QR)", receipts)


if __name__ == "__main__":
    main()
