"""A contract fake of the Bot Framework's OpenID metadata and signing keys, served on 127.0.0.1.

botbuilder 4.17.1 validates an inbound token by fetching the OpenID
configuration, then the JWKS its `jwks_uri` names, and checking the token's
RS256 signature with the key whose `kid` the token header names. A key may
list `endorsements`: the channel ids (e.g. `msteams`) it may sign for.
The SDK fetches both documents with blocking `requests` calls from the event
loop, so this fake serves them from its own thread, never from the test's loop.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeOpenIdProvider:
    """Serves `/v1/.well-known/openidconfiguration` and `/v1/keys`, and signs tokens with its key."""

    def __init__(self, key_id: str = "fake-signing-key", endorsements: tuple[str, ...] = ("msteams",)):
        self.key = new_key()
        self.key_id = key_id
        self.endorsements = list(endorsements)
        self.requested_paths: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    def start(self) -> str:
        """Start serving on a free port of 127.0.0.1; return the OpenID metadata URL."""
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name is fixed by http.server)
                provider.requested_paths.append(self.path)
                if self.path == "/v1/.well-known/openidconfiguration":
                    body = provider.openid_configuration()
                elif self.path == "/v1/keys":
                    body = provider.jwks()
                else:
                    self.send_error(404)
                    return
                payload = json.dumps(body).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openid", daemon=True)
        self._thread.start()
        return self.metadata_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)

    def openid_configuration(self) -> dict[str, Any]:
        """Return the fields of the Bot Framework's OpenID configuration that the SDK reads, and the usual companions."""
        return {
            "issuer": BOT_FRAMEWORK_ISSUER,
            "authorization_endpoint": f"{self.base_url}/v1/authorize",
            "jwks_uri": f"{self.base_url}/v1/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kty": "RSA", "use": "sig", "kid": self.key_id, "endorsements": self.endorsements}]}

    def token(
        self,
        audience: str,
        service_url: str,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        lifetime_seconds: int = 3600,
        key: rsa.RSAPrivateKey | None = None,
        key_id: str | None = None,
        **claims: Any,
    ) -> str:
        """Sign a token as the Bot Framework signs one for a bot: `aud` is the bot's app id, `serviceurl` the connector."""
        now = int(time.time())
        payload = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + lifetime_seconds,
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": key_id or self.key_id})
