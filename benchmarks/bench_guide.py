"""What the guide's catalogue in MongoDB costs a tourist's turn: the version check every turn pays (one primary-key
read) and the reload an edit triggers (every sight read and validated again), on the in-process stand-in or on the
MongoDB of ``MONGODB_URI``. Also the Pillow resize of one 12-megapixel upload.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_guide [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import time
import uuid

from PIL import Image

from bot.guide import photos, sights
from bot.store import open_store


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"{name:<44} median {statistics.median(ms):8.3f} ms   p99 {p99:8.3f} ms   ({len(ms)} runs)"


async def main(n: int) -> None:
    uri = os.environ.get("MONGODB_URI")
    name = f"bench_guide_{uuid.uuid4().hex[:8]}"
    store = await open_store(uri, name, timeout_s=5)
    try:
        await sights.seed_if_empty(store)
        checks = []
        for _ in range(n):
            t0 = time.perf_counter()
            await sights.catalogue_version(store)
            checks.append(time.perf_counter() - t0)
        reloads = []
        for _ in range(max(20, n // 50)):
            t0 = time.perf_counter()
            catalogue, _ = await sights.load_catalogue(store)
            reloads.append(time.perf_counter() - t0)
        backend = "MongoDB" if uri else "stand-in"
        print(f"backend: {backend}; {len(catalogue.pois)} visible sights")
        print(_summary("version check (every tourist turn)", checks))
        print(_summary("reload after an edit (once per instance)", reloads))
    finally:
        if uri:
            await store.client.drop_database(name)
        await store.close()

    buf = io.BytesIO()
    Image.effect_noise((4000, 3000), 64).convert("RGB").save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    resizes = []
    for _ in range(5):
        t0 = time.perf_counter()
        photos.resize(data)
        resizes.append(time.perf_counter() - t0)
    print(_summary(f"resize a 12 MP JPEG ({len(data) // 1024} KiB) to 3 sizes", resizes))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    asyncio.run(main(parser.parse_args().n))
