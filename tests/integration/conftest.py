"""Fixtures that run the real aiohttp app against a fake Bot Connector on 127.0.0.1."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.schema import Activity

from bot import BOT, build_app
from tests.integration.fake_connector import FakeConnector


@pytest.fixture
async def connector():
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


class BotClient:
    """Posts activities to /api/messages as the Bot Connector would."""

    def __init__(self, client: TestClient, connector: FakeConnector):
        self.client = client
        self.connector = connector

    async def post(self, activity: Activity) -> tuple[int, Any]:
        activity.service_url = self.connector.url
        response = await self.client.post("/api/messages", json=activity.serialize())
        body = await response.json() if response.content_length else None
        await delivered(self.client)
        return response.status, body


async def delivered(client: TestClient) -> None:
    """Wait for the outbox deliveries a turn started in the background, as the tests check what was sent."""
    await client.app[BOT].notifier.idle()


@pytest.fixture
async def bot_client(settings, connector):
    server = TestServer(build_app(settings), host="127.0.0.1")
    client = TestClient(server)
    await client.start_server()
    yield BotClient(client, connector)
    await client.close()
