"""App-only access tokens for Microsoft Graph from msal's client-credential flow.

One msal ConfidentialClientApplication serves the whole process, because
its token cache lives in the application object: `acquire_token_for_client`
returns the cached token until it is about to expire (msal 1.23 and later)
and only then requests a new one from the authority. msal is synchronous, so each
call runs in a worker thread and the event loop keeps serving.
"""

import asyncio
import logging

import msal
import requests

from graph.errors import GraphAuthenticationError, GraphUnavailable

logger = logging.getLogger(__name__)

# The app-only scope: every application permission granted to the app for Microsoft Graph.
GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
SIGN_IN_FAILED = (
    "The helpdesk could not sign in to Microsoft 365 ({reason}), so nothing was changed in Outlook or Teams. "
    "Please tell the helpdesk admin."
)


class TokenProvider:
    """Gets and caches client-credential tokens; `invalidate` drops one that Graph rejected."""

    def __init__(self, client_id: str, client_secret: str, authority: str, ca_bundle: str = "", timeout_seconds: float = 8.0):
        self._client_id = client_id
        self._client_secret = client_secret
        self._authority = authority
        self._ca_bundle = ca_bundle
        self._timeout_seconds = timeout_seconds
        self._application: msal.ConfidentialClientApplication | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        """Return a valid access token, from msal's cache when it has one."""
        application = await self._app()
        try:
            result = await asyncio.to_thread(application.acquire_token_for_client, scopes=GRAPH_SCOPES)
        except requests.RequestException as error:
            logger.warning("token request to %s failed: %s", self._authority, type(error).__name__)
            raise GraphUnavailable(SIGN_IN_FAILED.format(reason="the sign-in service did not respond")) from error
        if "access_token" not in result:
            # error_description carries AADSTS codes and trace ids, never the secret.
            logger.error("token request to %s failed: %s: %s", self._authority, result.get("error"), result.get("error_description"))
            raise GraphAuthenticationError(SIGN_IN_FAILED.format(reason=f"error {result.get('error', 'unknown')}"), code=str(result.get("error", "")))
        return result["access_token"]

    async def invalidate(self, token: str) -> None:
        """Remove `token` from msal's cache, so the next `token()` requests a new one from the authority.

        msal 1.39 rejects force_refresh for client credentials, so a token that
        Graph refused (HTTP 401) is taken out of the cache through the cache's
        own search and remove_at methods.
        """
        application = await self._app()
        cache = application.token_cache
        for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN, target=GRAPH_SCOPES)):
            if entry.get("secret") == token:
                cache.remove_at(entry)
                logger.info("dropped an access token that Microsoft Graph rejected")

    async def _app(self) -> msal.ConfidentialClientApplication:
        """Build the msal application on first use; building it reads the authority's OpenID configuration."""
        async with self._lock:
            if self._application is None:
                try:
                    self._application = await asyncio.to_thread(self._build)
                except requests.RequestException as error:
                    logger.warning("reading the OpenID configuration of %s failed: %s", self._authority, type(error).__name__)
                    raise GraphUnavailable(SIGN_IN_FAILED.format(reason="the sign-in service did not respond")) from error
                except ValueError as error:
                    logger.error("the authority %s is not usable: %s", self._authority, error)
                    raise GraphAuthenticationError(SIGN_IN_FAILED.format(reason="the sign-in authority is not valid")) from error
            return self._application

    def _build(self) -> msal.ConfidentialClientApplication:
        http_client = _TrustingSession(self._ca_bundle, self._timeout_seconds) if self._ca_bundle else None
        # The authority comes from configuration, so msal needs no instance discovery,
        # which would otherwise call login.microsoftonline.com for an authority it does not know.
        return msal.ConfidentialClientApplication(
            self._client_id,
            client_credential=self._client_secret,
            authority=self._authority,
            validate_authority=False,
            instance_discovery=False,
            http_client=http_client,
            timeout=self._timeout_seconds,
        )


class _TrustingSession(requests.Session):
    """A requests session that trusts `ca_bundle` on every request.

    requests 2.x lets REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE replace a
    session's `verify`, but not a `verify` passed with the request, so the
    bundle is passed with each request.
    """

    def __init__(self, ca_bundle: str, timeout_seconds: float):
        super().__init__()
        self.verify = ca_bundle
        self._timeout_seconds = timeout_seconds

    def request(self, method, url, **kwargs):
        kwargs["verify"] = self.verify
        kwargs.setdefault("timeout", self._timeout_seconds)
        return super().request(method, url, **kwargs)
