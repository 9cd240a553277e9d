"""A contract fake of Entra ID's v2.0 OpenID configuration and signing keys, served on 127.0.0.1, for Teams SSO tokens.

It serves the two documents a resource server reads, in Entra ID's shapes:

* ``GET /{tenant}/v2.0/.well-known/openid-configuration`` with the
  tenant's ``issuer`` (``https://login.microsoftonline.com/{tenant}/v2.0``,
  as Entra ID writes it) and a ``jwks_uri`` pointing back at this fake;
* ``GET /{tenant}/discovery/v2.0/keys`` with ``{"keys": [...]}``, each an
  RSA JWK with ``kty``, ``use``, ``kid``, ``n`` and ``e``.

`token()` issues access tokens shaped like those that
`microsoftTeams.authentication.getAuthToken()` returns: RS256, with ``aud``
(the app id), ``iss``, ``tid``, ``oid``, ``name``, ``scp``
(``access_as_user``), ``iat``, ``nbf``, ``exp`` and ``ver`` 2.0. Its options
make the expired, wrong-audience and badly signed tokens that tests need.
"""

import json
import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ENTRA_AUTHORITY = "https://login.microsoftonline.com"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeEntraSso:
    """Serves one tenant's OpenID configuration and JWKS, and signs tokens with the published key."""

    def __init__(self, tenant_id: str, app_id: str, key_id: str = "fake-sso-key-1"):
        self.tenant_id = tenant_id
        self.app_id = app_id
        self.key_id = key_id
        self.key = new_rsa_key()
        self.requested_paths: list[str] = []
        self.unavailable = False
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/{self.tenant_id}/v2.0/.well-known/openid-configuration"

    @property
    def issuer(self) -> str:
        return f"{ENTRA_AUTHORITY}/{self.tenant_id}/v2.0"

    async def start(self) -> str:
        """Start serving on a free port of 127.0.0.1; return the OpenID configuration URL."""
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._configuration)
        app.router.add_get("/{tenant}/discovery/v2.0/keys", self._keys)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self.metadata_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def token(
        self,
        oid: str,
        name: str = "Test User",
        audience: str | None = None,
        issuer: str | None = None,
        tenant_id: str | None = None,
        scopes: str = "access_as_user",
        lifetime: int = 3600,
        issued_at: float | None = None,
        key: rsa.RSAPrivateKey | None = None,
        key_id: str | None = None,
        omit: tuple[str, ...] = (),
    ) -> str:
        """Return a signed access token; the options change one thing each, to make a bad token."""
        now = int(issued_at if issued_at is not None else time.time())
        claims: dict[str, Any] = {
            "aud": audience or self.app_id,
            "iss": issuer or self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "azp": "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
            "name": name,
            "oid": oid,
            "preferred_username": f"{oid[-4:]}@district.example",
            "scp": scopes,
            "sub": uuid.uuid5(uuid.NAMESPACE_URL, oid).hex,
            "tid": tenant_id or self.tenant_id,
            "ver": "2.0",
        }
        for claim in omit:
            claims.pop(claim, None)
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": key_id or self.key_id, "typ": "JWT"})

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "use": "sig", "kid": self.key_id}]}

    async def _configuration(self, request: web.Request) -> web.Response:
        self.requested_paths.append(request.path)
        if self.unavailable or request.match_info["tenant"] != self.tenant_id:
            return web.json_response({"error": "invalid_tenant"}, status=503 if self.unavailable else 400)
        tenant = self.tenant_id
        return web.json_response(
            {
                "issuer": self.issuer,
                "jwks_uri": f"{self.base_url}/{tenant}/discovery/v2.0/keys",
                "authorization_endpoint": f"{ENTRA_AUTHORITY}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{ENTRA_AUTHORITY}/{tenant}/oauth2/v2.0/token",
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "subject_types_supported": ["pairwise"],
                "tenant_region_scope": "NA",
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.requested_paths.append(request.path)
        if self.unavailable:
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        return web.json_response(self.jwks())
