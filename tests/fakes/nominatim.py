"""A fake Nominatim on a loopback port: ``GET /search?format=json&q=…`` answers Nominatim's real JSON (a list of
places with string lat/lon, display_name, boundingbox …) from a table the test fills; it records every request
(query parameters, User-Agent, time) and can fail on demand."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Request:
    params: dict[str, str]
    user_agent: str
    at: float = field(default_factory=time.monotonic)


class FakeNominatim:
    def __init__(self) -> None:
        self.places: dict[str, list[dict[str, Any]]] = {}  # lower-cased query prefix → answer
        self.requests: list[Request] = []
        self.status = 200
        self._runner: web.AppRunner | None = None
        self.url = ""

    def add(self, query_prefix: str, lat: float, lon: float, display_name: str) -> None:
        self.places[query_prefix.lower()] = [{
            "place_id": 1000 + len(self.places), "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
            "osm_type": "way", "osm_id": 4000000 + len(self.places), "lat": f"{lat:.7f}", "lon": f"{lon:.7f}",
            "class": "highway", "type": "residential", "place_rank": 26, "importance": 0.053,
            "addresstype": "road", "name": display_name.split(",")[0], "display_name": display_name,
            "boundingbox": [f"{lat - 0.001:.7f}", f"{lat + 0.001:.7f}", f"{lon - 0.002:.7f}", f"{lon + 0.002:.7f}"],
        }]

    async def _search(self, request: web.Request) -> web.Response:
        self.requests.append(Request(dict(request.query), request.headers.get("User-Agent", "")))
        if self.status != 200:
            return web.json_response({"error": "busy"}, status=self.status)
        q = request.query.get("q", "").lower()
        for prefix, answer in self.places.items():
            if q.startswith(prefix):
                return web.json_response(answer)
        return web.json_response([])

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/search", self._search)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
