"""Validation of the Teams SSO tokens that the dashboard tab sends as `Authorization: Bearer`.

The tab gets the token from `microsoftTeams.authentication.getAuthToken()`.
It is an Entra ID access token for the app's own API. A token is accepted
only when all of these hold:

* it is signed with RS256 by a key published in the tenant's JWKS;
* `aud` is the app id (v2.0 tokens) or the Application ID URI
  `api://<host>/<app id>` (v1.0 tokens);
* `iss` is `https://login.microsoftonline.com/<tenant>/v2.0` and `tid` is
  the tenant;
* `exp`, `nbf` and `iat` hold, with CLOCK_SKEW_SECONDS of leeway;
* `scp` includes `access_as_user`, the scope the tab's app registration
  exposes;
* `oid`, the user's object id that roles are configured by, is present.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import jwt

from config import ConfigError
from dashboard.sso_settings import SsoSettings, check_key_url

logger = logging.getLogger(__name__)

ALGORITHMS = ["RS256"]
REQUIRED_SCOPE = "access_as_user"
CLOCK_SKEW_SECONDS = 60
KEYS_MAX_AGE_SECONDS = 24 * 3600
# An unknown key id triggers a refetch at most this often, so forged tokens cannot make the bot hammer Entra ID.
UNKNOWN_KEY_REFETCH_SECONDS = 300
FETCH_TIMEOUT_SECONDS = 10


class TokenRejected(Exception):
    """The token is missing, malformed, expired, for another audience or tenant, or badly signed."""


class SigningKeysUnavailable(Exception):
    """The OpenID configuration or the JWKS could not be fetched, so no token can be checked."""


class EntraTokenValidator:
    """Checks Teams SSO tokens against the tenant's published signing keys, which it caches."""

    def __init__(self, settings: SsoSettings, session: aiohttp.ClientSession, clock: Callable[[], float] = time.time):
        self.settings = settings
        self._session = session
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def validate(self, token: str) -> dict[str, Any]:
        """Return the token's claims, or raise TokenRejected (or SigningKeysUnavailable)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRejected(f"malformed token: {error}") from None
        if header.get("alg") not in ALGORITHMS:
            raise TokenRejected(f"signing algorithm {header.get('alg')!r} is not RS256")
        key = await self._signing_key(str(header.get("kid") or ""))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=list(self.settings.audiences),
                issuer=self.settings.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "nbf", "iat", "aud", "iss"]},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(f"{type(error).__name__}: {error}") from None
        if claims.get("tid") != self.settings.tenant_id:
            raise TokenRejected(f"tenant {claims.get('tid')!r} is not the district's tenant")
        if REQUIRED_SCOPE not in str(claims.get("scp", "")).split():
            raise TokenRejected(f"scope {REQUIRED_SCOPE} is missing")
        if not claims.get("oid"):
            raise TokenRejected("the oid claim is missing")
        return claims

    async def _signing_key(self, kid: str) -> Any:
        if not kid:
            raise TokenRejected("the token header has no kid")
        age = self._clock() - self._fetched_at
        if (kid not in self._keys and age > UNKNOWN_KEY_REFETCH_SECONDS) or age > KEYS_MAX_AGE_SECONDS:
            await self._refresh_keys()
        if kid not in self._keys:
            raise TokenRejected(f"signing key {kid!r} is not published by the tenant")
        return self._keys[kid]

    async def _refresh_keys(self) -> None:
        async with self._lock:
            metadata = await self._fetch_json(self.settings.metadata_url)
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str):
                raise SigningKeysUnavailable(f"the OpenID configuration at {self.settings.metadata_url} has no jwks_uri")
            try:
                check_key_url(jwks_uri, "jwks_uri")
            except ConfigError as error:
                raise SigningKeysUnavailable(str(error)) from None
            keys = {}
            for entry in (await self._fetch_json(jwks_uri)).get("keys", []):
                try:
                    keys[entry["kid"]] = jwt.PyJWK(entry).key
                except (KeyError, jwt.PyJWTError) as error:
                    logger.warning("skipped a signing key without kid or of an unusable type: %s", error)
            self._keys = keys
            self._fetched_at = self._clock()
            logger.info("fetched %d SSO signing keys from %s", len(keys), jwks_uri)

    async def _fetch_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._session.get(url, timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)) as response:
                response.raise_for_status()
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise SigningKeysUnavailable(f"fetching {url} failed: {type(error).__name__}: {error}") from None
        if not isinstance(body, dict):
            raise SigningKeysUnavailable(f"{url} did not return a JSON object")
        return body
