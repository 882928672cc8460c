"""Nearest-N over the POI catalogue: time per query at 1,000 sights (target: under 1 ms).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_nearest [--sights 1000] [--queries 20000]

A synthetic catalogue of random points inside the regional unit's bounding box goes through the same code as the real
one (``Catalogue.nearest``: the unit-vector index, then ``haversine_m`` for the sights returned). It prints the
median and 99th-percentile time of one query for the 5 nearest sights, the first page of the guide, and for a later
page (offset 20), plus the same over the real ``data/pois.yaml``. Every result is also checked against a brute-force
sort by haversine distance, so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from bot.core.geo import haversine_m
from bot.core.models import GeoPoint
from bot.guide.catalogue import BBOX_LAT, BBOX_LON, KINDS, Bilingual, Catalogue, Category, Poi, Transport

ALL = KINDS["nearby"]


def synthetic(n: int, rng: random.Random) -> Catalogue:
    text = Bilingual(el="κείμενο", en="text")
    cats = [c for c in Category if c is not Category.TRANSPORT_HUB]
    pois = [Poi(id=f"p{i}", rank=i + 1, category=rng.choice(cats), name=Bilingual(el=f"Σημείο {i}", en=f"Point {i}"),
                lat=rng.uniform(*BBOX_LAT), lon=rng.uniform(*BBOX_LON), description=text) for i in range(n)]
    return Catalogue(pois, Transport(hubs=(), centre="p0", intro=text))


def time_queries(cat: Catalogue, origins: list[GeoPoint], *, limit: int, offset: int) -> list[float]:
    cat.nearest(origins[0], ALL, limit=limit, offset=offset)  # build the index outside the timing
    out = []
    for origin in origins:
        t0 = time.perf_counter()
        cat.nearest(origin, ALL, limit=limit, offset=offset)
        out.append(time.perf_counter() - t0)
    return out


def check(cat: Catalogue, origins: list[GeoPoint], *, limit: int) -> None:
    pois = cat.of(ALL)
    for origin in origins:
        got = [d for _, d in cat.nearest(origin, ALL, limit=limit)]
        want = sorted(haversine_m(origin, p.point) for p in pois)[:limit]
        assert all(abs(g - w) < 1e-6 for g, w in zip(got, want, strict=True)), (origin, got, want)


def report(label: str, samples: list[float]) -> None:
    us = sorted(s * 1e6 for s in samples)
    p99 = us[min(len(us) - 1, int(len(us) * 0.99))]
    print(f"{label:48} median {statistics.median(us):8.1f} µs   p99 {p99:8.1f} µs   ({len(us)} queries)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sights", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    origins = [GeoPoint(rng.uniform(*BBOX_LAT), rng.uniform(*BBOX_LON)) for _ in range(args.queries)]

    synth = synthetic(args.sights, rng)
    check(synth, origins[:200], limit=25)
    report(f"synthetic {args.sights} sights, 5 nearest", time_queries(synth, origins, limit=5, offset=0))
    report(f"synthetic {args.sights} sights, 5 nearest after 20", time_queries(synth, origins, limit=5, offset=20))

    real = Catalogue.load()
    check(real, origins[:200], limit=25)
    report(f"data/pois.yaml ({len(real.of(ALL))} sights), 5 nearest", time_queries(real, origins, limit=5, offset=0))
    print("results checked against a brute-force haversine sort: OK")


if __name__ == "__main__":
    main()
