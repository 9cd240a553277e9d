"""A contract fake of the Bot Connector REST API (v3), served on 127.0.0.1.

It answers the calls the bot makes, with the documented request and
response shapes, and records them for assertions:

* ``POST /v3/conversations`` creates a conversation; with a Teams channel
  in ``channelData`` it starts a thread whose id is
  ``<channel id>;messageid=<id>``, as Teams does, and returns
  ``{"id", "activityId"}``;
* ``POST /v3/conversations/{id}/activities`` and
  ``POST /v3/conversations/{id}/activities/{replyToId}`` send a message and
  return ``{"id"}``;
* ``PUT /v3/conversations/{id}/activities/{activityId}`` replaces a message
  and returns ``{"id"}``.

`fail_next(status, count, headers)` makes the next calls fail with an
error status, for retry and failure tests; `method` and `path_prefix`
limit the failures to matching calls. Failed calls are recorded in
`failed_calls`, and are not in `calls`.

`delay_next(seconds, count)` makes the next matching calls wait before they
are answered, for tests of what the bot does while a send is slow. Each
delayed call is in `delayed_calls` from the moment its wait begins, and
`stop()` ends every wait.
"""

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class ConnectorCall:
    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]


@dataclass
class FakeConnector:
    calls: list[ConnectorCall] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1000))
    failed_calls: list[tuple[str, str, int]] = field(default_factory=list)
    _failures: list[tuple[int, dict[str, str], str | None, str]] = field(default_factory=list)
    delayed_calls: list[tuple[str, str]] = field(default_factory=list)
    _delays: list[tuple[float, str | None, str, bool]] = field(default_factory=list)
    _stopping: asyncio.Event | None = None
    runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> str:
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._delay_middleware])
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self.runner is not None:
            await self.runner.cleanup()

    def fail_next(
        self, status: int, count: int = 1, headers: dict[str, str] | None = None, method: str | None = None, path_prefix: str = ""
    ) -> None:
        """Fail the next `count` matching calls with `status`, `headers` and a Bot Connector error body."""
        self._failures.extend([(status, headers or {}, method, path_prefix)] * count)

    def delay_next(self, seconds: float, count: int = 1, method: str | None = None, path: str = "", exact: bool = False) -> None:
        """Delay the responses to the next `count` matching calls by `seconds`, or until the fake stops.

        A call matches when its path starts with `path`, or equals it when `exact` is set.
        """
        self._delays.extend([(seconds, method, path, exact)] * count)

    # What tests read

    def messages_to(self, conversation_prefix: str) -> list[ConnectorCall]:
        """Return the messages sent (not updates) to conversations whose id starts with the prefix."""
        return [call for call in self.calls if call.method == "POST" and call.conversation_id.startswith(conversation_prefix)]

    def updates(self) -> list[ConnectorCall]:
        return [call for call in self.calls if call.method == "PUT"]

    def threads_in(self, channel_id: str) -> list[ConnectorCall]:
        """Return the threads the bot started in a channel (each with its first activity as body)."""
        return [call for call in self.calls if call.path == "/v3/conversations" and call.conversation_id.startswith(channel_id)]

    # Handlers

    @web.middleware
    async def _delay_middleware(self, request: web.Request, handler):
        for index, (seconds, method, path, exact) in enumerate(self._delays):
            path_matches = request.path == path if exact else request.path.startswith(path)
            if (method is None or method == request.method) and path_matches:
                del self._delays[index]
                self.delayed_calls.append((request.method, request.path))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), seconds)
                break
        return await handler(request)

    def _failure(self, request: web.Request) -> web.Response | None:
        for index, (status, headers, method, path_prefix) in enumerate(self._failures):
            if (method is None or method == request.method) and request.path.startswith(path_prefix):
                del self._failures[index]
                self.failed_calls.append((request.method, request.path, status))
                return web.json_response({"error": {"code": "ServiceError", "message": f"fake failure {status}"}}, status=status, headers=headers)
        return None

    async def _create_conversation(self, request: web.Request) -> web.Response:
        failure = self._failure(request)
        if failure:
            return failure
        body = await request.json()
        activity_id = str(next(self._ids))
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        conversation_id = f"{channel};messageid={activity_id}" if channel else f"a:created-{activity_id}"
        self.calls.append(ConnectorCall("POST", "/v3/conversations", conversation_id, activity_id, body))
        return web.json_response({"id": conversation_id, "activityId": activity_id, "serviceUrl": self.url}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        failure = self._failure(request)
        if failure:
            return failure
        body = await request.json()
        activity_id = str(next(self._ids))
        conversation = request.match_info["conversation"]
        self.calls.append(ConnectorCall("POST", request.path, conversation, activity_id, body))
        return web.json_response({"id": activity_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        failure = self._failure(request)
        if failure:
            return failure
        body = await request.json()
        conversation = request.match_info["conversation"]
        activity_id = request.match_info["activity"]
        self.calls.append(ConnectorCall("PUT", request.path, conversation, activity_id, body))
        return web.json_response({"id": activity_id}, status=200)
