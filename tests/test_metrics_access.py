"""/metrics is for operators: this machine's own requests, or a bearer token; a request forwarded by the public
proxy (Caddy adds X-Forwarded-For) gets 404 (QA F33). The real app over HTTP."""

from __future__ import annotations

from typing import Any


async def test_metrics_from_this_machine(service: Any) -> None:
    async with service.http.get(f"{service.url}/metrics") as resp:
        assert resp.status == 200
        assert isinstance(await resp.json(), dict)


async def test_metrics_forwarded_by_the_proxy_is_not_found(service: Any) -> None:
    headers = {"X-Forwarded-For": "203.0.113.7"}
    async with service.http.get(f"{service.url}/metrics", params={"reset": "1"}, headers=headers) as resp:
        assert resp.status == 404


async def test_metrics_with_the_token_through_the_proxy(make_service: Any) -> None:
    service = await make_service(metrics_token="s3cret-metrics")
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    async with service.http.get(f"{service.url}/metrics", headers=forwarded) as resp:
        assert resp.status == 404
    wrong = {**forwarded, "Authorization": "Bearer nope"}
    async with service.http.get(f"{service.url}/metrics", headers=wrong) as resp:
        assert resp.status == 404
    right = {**forwarded, "Authorization": "Bearer s3cret-metrics"}
    async with service.http.get(f"{service.url}/metrics", headers=right) as resp:
        assert resp.status == 200
