"""Reuses Bot Connector clients across turns instead of building new ones for every activity.

botbuilder 4.17.1 asks its `ConnectorFactory` for a new `ConnectorClient`
on every turn and every proactive send, and builds a new user-token client
as well. Each new client sets up an msrest pipeline, a `requests` session
with its retry policy and, when the bot has credentials, a new MSAL app
whose token cache starts empty, so every turn also fetches a new token.
Building those clients was most of a stock echo turn's time in
`benchmarks/` (see docs/benchmarks.md).

`ConnectorClientCache` wraps any `BotFrameworkAuthentication` and hands
the adapter factories that return one client per app id, service URL and
audience. The credentials inside a reused client keep their MSAL token
cache, which renews a token when it expires.
"""

import logging
from collections import OrderedDict
from typing import Any

from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient

logger = logging.getLogger(__name__)

# Teams uses a few service URLs a region, so the limit only matters when
# activities name many URLs, for example unauthenticated test traffic.
DEFAULT_MAX_CLIENTS = 64

ClientKey = tuple[str | None, str, str | None]


class ConnectorClientCache(BotFrameworkAuthentication):
    """A `BotFrameworkAuthentication` that delegates to `inner` and reuses the clients it creates.

    Connector clients are kept per (app id, service URL, audience), at most
    `max_clients` of them, dropping the least recently used. User-token
    clients are kept per app id. Call `close` when the app stops.
    NOTE: a reused connector client shares one `requests` session between
    the executor threads that msrest sends from. urllib3's connection pool
    is thread-safe, and the SDK sets no per-request state on the session
    except the Authorization header, which is the same for every call
    through one client.
    """

    def __init__(self, inner: BotFrameworkAuthentication, max_clients: int = DEFAULT_MAX_CLIENTS):
        if max_clients < 1:
            raise ValueError(f"max_clients must be at least 1, not {max_clients}")
        self.inner = inner
        self.max_clients = max_clients
        self._connectors: OrderedDict[ClientKey, ConnectorClient] = OrderedDict()
        self._user_token_clients: dict[str | None, UserTokenClient] = {}

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await self.inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _CachedConnectorFactory(self, result.connector_factory, app_id_of(result.claims_identity))
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> AuthenticateRequestResult:
        # The streaming adapter replaces the factory with one bound to its web socket, so nothing is cached here.
        return await self.inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _CachedConnectorFactory(self, self.inner.create_connector_factory(claims_identity), app_id_of(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = app_id_of(claims_identity)
        client = self._user_token_clients.get(app_id)
        if client is None:
            created = await self.inner.create_user_token_client(claims_identity)
            client = self._user_token_clients.setdefault(app_id, created)
        return client

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self.inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)

    async def generate_caller_id(
        self, *, credential_factory: ServiceClientCredentialsFactory, claims_identity: ClaimsIdentity, caller_id: str
    ) -> str:
        return await self.inner.generate_caller_id(
            credential_factory=credential_factory, claims_identity=claims_identity, caller_id=caller_id
        )

    async def connector(self, key: ClientKey, factory: ConnectorFactory) -> ConnectorClient:
        """Return the cached client for the key, creating it with `factory` on the first call."""
        client = self._connectors.get(key)
        if client is not None:
            self._connectors.move_to_end(key)
            return client
        created = await factory.create(key[1], key[2])
        # Another turn may have created the same client while this one awaited; keep the first.
        client = self._connectors.setdefault(key, created)
        if len(self._connectors) > self.max_clients:
            dropped, _ = self._connectors.popitem(last=False)
            logger.info("dropped the connector client for %s: more than %d service URLs in use", dropped[1], self.max_clients)
        return client

    async def close(self) -> None:
        """Close the HTTP sessions of every cached connector client and forget them."""
        clients = list(self._connectors.values())
        self._connectors.clear()
        self._user_token_clients.clear()
        for client in clients:
            # SDKClientAsync has no close(); leaving its context closes the requests session.
            await client.__aexit__(None, None, None)


class _CachedConnectorFactory(ConnectorFactory):
    """The `ConnectorFactory` the adapter sees: asks the cache before the SDK's own factory."""

    def __init__(self, cache: ConnectorClientCache, inner: ConnectorFactory, app_id: str | None):
        self._cache = cache
        self._inner = inner
        self._app_id = app_id

    async def create(self, service_url: str, audience: str = None) -> ConnectorClient:
        return await self._cache.connector((self._app_id, service_url, audience), self._inner)


def app_id_of(claims_identity: ClaimsIdentity | None) -> Any:
    """Return the bot app id the SDK builds connector credentials for: the audience claim, else the appid claim."""
    if claims_identity is None:
        return None
    app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if app_id is None:
        app_id = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return app_id
