"""Fixtures: a contract fake of Microsoft Graph and its token endpoint on 127.0.0.1, and settings that point at it."""

import pytest

from config.settings import GraphSettings
from tests.fakes.graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph, write_certificate


@pytest.fixture(scope="session")
def graph_certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made once per test run."""
    return write_certificate(tmp_path_factory.mktemp("graph-tls"))


@pytest.fixture
async def fake_graph(graph_certificate):
    certificate, key = graph_certificate
    fake = FakeGraph(certificate, key)
    await fake.start()
    yield fake
    await fake.stop()


def graph_environ(fake: FakeGraph) -> dict[str, str]:
    """Return the environment variables that point the bot's Graph client at the fake."""
    return {
        "HELPDESK_GRAPH_BASE_URL": fake.base_url,
        "HELPDESK_GRAPH_AUTHORITY": fake.authority,
        "HELPDESK_GRAPH_CA_BUNDLE": fake.ca_bundle,
        "HELPDESK_GRAPH_CLIENT_ID": CLIENT_ID,
        "HELPDESK_GRAPH_CLIENT_SECRET": CLIENT_SECRET,
        "HELPDESK_GRAPH_TENANT_ID": TENANT,
    }


def graph_settings(fake: FakeGraph, **changes) -> GraphSettings:
    values = {
        "base_url": fake.base_url,
        "authority": fake.authority,
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "ca_bundle": fake.ca_bundle,
        **changes,
    }
    return GraphSettings(**values)


class RecordedSleep:
    """A stand-in for asyncio.sleep that records each wait and returns at once."""

    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
