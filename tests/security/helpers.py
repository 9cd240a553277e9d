"""Helpers for the security tests: the real app on 127.0.0.1 and snapshots of what it stored."""

from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from botbuilder.schema import Activity

from bot import SERVICES, build_app
from config import Settings
from storage import Store
from tests.integration.conftest import delivered

# Every collection the bot writes while handling activities.
COLLECTIONS = (
    "requests", "events", "touches", "outbox", "people", "intakes", "posts", "inbound",
    "meta", "counters", "articles", "article_drafts", "article_stats", "votes",
)


async def snapshot(store: Store) -> dict[str, Any]:
    """Return every document of every collection the bot writes, to compare before and after."""
    return {name: sorted(await store.find(name), key=repr) for name in COLLECTIONS}


class AppClient:
    """The real aiohttp app served on 127.0.0.1, and a client that posts activities with any headers."""

    def __init__(self, settings: Settings, app=None):
        self.app = app if app is not None else build_app(settings)
        self.client = TestClient(TestServer(self.app, host="127.0.0.1"))

    async def start(self) -> None:
        await self.client.start_server()

    async def close(self) -> None:
        await self.client.close()

    @property
    def store(self) -> Store:
        return self.app[SERVICES].store

    async def post(self, activity: Activity, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        response = await self.client.post("/api/messages", json=activity.serialize(), headers=headers or {})
        body = await response.json() if response.content_length and response.content_type == "application/json" else None
        await delivered(self.client)
        return response.status, body
