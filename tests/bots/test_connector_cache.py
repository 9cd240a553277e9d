"""ConnectorClientCache: one connector client per app id, service URL and audience, reused across turns."""

import asyncio
from types import SimpleNamespace

import pytest
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference
from botframework.connector.auth import AuthenticationConstants, ClaimsIdentity

from bots.connector_cache import ConnectorClientCache, app_id_of

NO_CREDENTIALS = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
SERVICE_URL = "http://127.0.0.1:9/first/"
OTHER_SERVICE_URL = "http://127.0.0.1:9/second/"


@pytest.fixture
async def cache():
    cached = ConnectorClientCache(ConfigurationBotFrameworkAuthentication(NO_CREDENTIALS))
    yield cached
    await cached.close()


def message(service_url: str = SERVICE_URL) -> Activity:
    return Activity(
        type="message",
        id="1",
        text="hello",
        channel_id="msteams",
        service_url=service_url,
        from_property=ChannelAccount(id="29:alex"),
        recipient=ChannelAccount(id="28:bot"),
        conversation=ConversationAccount(id="a:personal-29:alex", conversation_type="personal"),
    )


def claims(app_id: str) -> ClaimsIdentity:
    return ClaimsIdentity({AuthenticationConstants.AUDIENCE_CLAIM: app_id, AuthenticationConstants.APP_ID_CLAIM: app_id}, True)


async def inbound_client(cache: ConnectorClientCache, service_url: str = SERVICE_URL, audience: str | None = None):
    """Return the connector client the adapter would use for an inbound activity."""
    result = await cache.authenticate_request(message(service_url), "")
    return await result.connector_factory.create(service_url, audience or result.audience)


async def test_same_service_url_reuses_client(cache):
    first = await inbound_client(cache)
    second = await inbound_client(cache)

    assert first is second


async def test_other_service_url_gets_own_client(cache):
    first = await inbound_client(cache, SERVICE_URL)
    other = await inbound_client(cache, OTHER_SERVICE_URL)

    assert first is not other
    assert first.config.base_url == SERVICE_URL
    assert other.config.base_url == OTHER_SERVICE_URL


async def test_other_audience_gets_own_client(cache):
    first = await inbound_client(cache, audience="https://api.botframework.com")
    other = await inbound_client(cache, audience="https://api.botframework.us")

    assert first is not other


async def test_proactive_factory_reuses_client(cache):
    factory = cache.create_connector_factory(claims("bot-app"))
    first = await factory.create(SERVICE_URL, None)
    again = await cache.create_connector_factory(claims("bot-app")).create(SERVICE_URL, None)

    assert first is again


async def test_other_app_id_gets_own_client(cache):
    first = await cache.create_connector_factory(claims("bot-app")).create(SERVICE_URL, None)
    other = await cache.create_connector_factory(claims("other-app")).create(SERVICE_URL, None)

    assert first is not other


async def test_concurrent_first_calls_share_one_client(cache):
    factory = cache.create_connector_factory(claims("bot-app"))

    clients = await asyncio.gather(*(factory.create(SERVICE_URL, None) for _ in range(5)))

    assert all(client is clients[0] for client in clients)


async def test_least_recently_used_client_is_dropped():
    cache = ConnectorClientCache(ConfigurationBotFrameworkAuthentication(NO_CREDENTIALS), max_clients=2)
    factory = cache.create_connector_factory(claims("bot-app"))
    try:
        first = await factory.create("http://127.0.0.1:9/a/", None)
        second = await factory.create("http://127.0.0.1:9/b/", None)
        assert await factory.create("http://127.0.0.1:9/a/", None) is first
        await factory.create("http://127.0.0.1:9/c/", None)

        assert await factory.create("http://127.0.0.1:9/a/", None) is first
        assert await factory.create("http://127.0.0.1:9/b/", None) is not second
    finally:
        await cache.close()


def test_max_clients_below_one_raises():
    with pytest.raises(ValueError, match="max_clients must be at least 1"):
        ConnectorClientCache(ConfigurationBotFrameworkAuthentication(NO_CREDENTIALS), max_clients=0)


async def test_user_token_client_reused_per_app_id(cache):
    first = await cache.create_user_token_client(claims("bot-app"))
    again = await cache.create_user_token_client(claims("bot-app"))
    other = await cache.create_user_token_client(claims("other-app"))

    assert first is again
    assert other is not first


async def test_close_forgets_clients(cache):
    first = await inbound_client(cache)

    await cache.close()

    assert await inbound_client(cache) is not first


def test_app_id_prefers_audience_claim():
    identity = ClaimsIdentity({AuthenticationConstants.AUDIENCE_CLAIM: "audience", AuthenticationConstants.APP_ID_CLAIM: "appid"}, True)

    assert app_id_of(identity) == "audience"
    assert app_id_of(ClaimsIdentity({AuthenticationConstants.APP_ID_CLAIM: "appid"}, True)) == "appid"
    assert app_id_of(None) is None


async def test_adapter_turns_share_client(cache):
    adapter = CloudAdapter(cache)
    seen = []

    async def logic(context: TurnContext) -> None:
        seen.append(context.turn_state[adapter.BOT_CONNECTOR_CLIENT_KEY])

    await adapter.process_activity("", message(), logic)
    await adapter.process_activity("", message(), logic)
    reference = ConversationReference(
        channel_id="msteams", service_url=SERVICE_URL, conversation=ConversationAccount(id="a:personal-29:alex"), bot=ChannelAccount(id="28:bot")
    )
    await adapter.continue_conversation(reference, logic, "")

    assert len(seen) == 3
    assert seen[0] is seen[1]
    assert seen[2].config.base_url == SERVICE_URL
