"""A fake of the Telegram Bot API's file download on 127.0.0.1: ``GET /bot<token>/getFile?file_id=…`` answers the
file's path (400 "Bad Request" for an unknown id, as the real API does), ``GET /file/bot<token>/<path>`` its bytes.
``asked`` records the file ids asked for, in order."""

from __future__ import annotations

from aiohttp import web


class FakeTelegramFiles:
    def __init__(self, files: dict[str, tuple[str, bytes]]) -> None:
        self.files = files  # file id → (file path, content)
        self.asked: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _get_file(self, request: web.Request) -> web.Response:
        file_id = request.query["file_id"]
        self.asked.append(file_id)
        found = self.files.get(file_id)
        if found is None:
            return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request"}, status=400)
        return web.json_response({"ok": True, "result": {"file_id": file_id, "file_path": found[0]}})

    async def _download(self, request: web.Request) -> web.Response:
        body = next(b for p, b in self.files.values() if p == request.match_info["path"])
        return web.Response(body=body, content_type="application/octet-stream")

    async def start(self) -> FakeTelegramFiles:
        app = web.Application()
        app.router.add_get("/bot{token}/getFile", self._get_file)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
