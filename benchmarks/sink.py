"""A Bot Connector sink on 127.0.0.1 that accepts the bot's replies and counts them.

It responds to the three Bot Connector v3 calls that a reply or a
proactive message makes, with the documented response shapes. It keeps
only counters, so a long run does not grow its memory. The contract fake in
tests/integration records every call instead, which suits assertions but
not load.
"""

import itertools

from aiohttp import web


class ConnectorSink:
    """Serves `POST /v3/conversations`, `POST .../activities[/{id}]` and `PUT .../activities/{id}`."""

    def __init__(self) -> None:
        self.received = 0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1 and return the service URL the bot should use."""
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _create_conversation(self, request: web.Request) -> web.Response:
        await request.read()
        self.received += 1
        activity_id = str(next(self._ids))
        return web.json_response({"id": f"a:sink-{activity_id}", "activityId": activity_id, "serviceUrl": self.url}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        await request.read()
        self.received += 1
        return web.json_response({"id": str(next(self._ids))}, status=201)
