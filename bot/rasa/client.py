"""HTTP client of the Rasa NLU server (``POST /model/parse``): one shared session, token, timeout, warm-up.

When Rasa fails or times out, ``parse`` returns ``NluResult.unavailable(...)`` instead of raising: the pipeline
still stores the message and the conversation handler answers with the menu.
"""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp

from bot.core.models import NluResult

log = logging.getLogger(__name__)


class NluClient:
    def __init__(self, base_url: str, token: str, *, timeout_s: float = 3.0, session: aiohttp.ClientSession,
                 max_in_flight: int = 4) -> None:
        self.base_url = base_url.rstrip("/")
        # Rasa parses one message at a time per process: more requests in flight only queue inside Rasa, where
        # they count against our timeout. Queue them here instead.
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session = session
        self.last_ok: bool | None = None  # to log an outage once, not once per message

    async def parse(self, text: str) -> NluResult:
        try:
            async with self._in_flight, self._session.post(
                f"{self.base_url}/model/parse", params={"token": self._token}, json={"text": text},
                timeout=self._timeout,
            ) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"Rasa answered HTTP {resp.status}")
                data = await resp.json()
        except (aiohttp.ClientError, TimeoutError, RuntimeError, ValueError) as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if self.last_ok is not False:
                log.warning("nlu unavailable", extra={"error": reason})
            self.last_ok = False
            return NluResult.unavailable(reason)
        self.last_ok = True
        return NluResult.from_rasa(data)

    async def status(self) -> dict[str, object]:
        """For /healthz: is the server up and does it have a model loaded."""
        try:
            async with self._session.get(f"{self.base_url}/status", params={"token": self._token},
                                         timeout=aiohttp.ClientTimeout(total=2)) as resp:
                if resp.status != 200:
                    return {"ok": False, "error": f"HTTP {resp.status}"}
                data = await resp.json()
                return {"ok": bool(data.get("model_file")), "model": data.get("model_file")}
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return {"ok": False, "error": type(exc).__name__}

    async def load_model(self, model_file: str, *, timeout_s: float = 300.0) -> None:
        """Swap the server's model (``PUT /model``): Rasa builds the new agent, then replaces the old one, so
        parses in the meantime are answered by the old model. Raises ``RuntimeError`` if Rasa refuses."""
        async with self._session.put(f"{self.base_url}/model", params={"token": self._token},
                                     json={"model_file": model_file},
                                     timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            if resp.status not in (200, 204):
                raise RuntimeError(f"Rasa refused the model: HTTP {resp.status} {(await resp.text())[:200]}")
        log.info("nlu model loaded", extra={"model": model_file.rsplit("/", 1)[-1]})

    async def warm_up(self, attempts: int = 3) -> bool:
        """One parse at start so the first citizen does not pay for TensorFlow's lazy initialisation."""
        for attempt in range(attempts):
            t0 = time.perf_counter()
            result = await self.parse("Καλημέρα")
            if result.ok:
                log.info("nlu warm-up", extra={"ms": round((time.perf_counter() - t0) * 1000, 1)})
                return True
            await asyncio.sleep(0.5 * (attempt + 1))
        return False
