"""A contract fake of Microsoft Graph's calendar API and the Entra ID token endpoint, over HTTPS on 127.0.0.1.

msal accepts only https:// authorities, so the fake serves TLS with a
self-signed certificate for 127.0.0.1, written to `ca_bundle` for the client
to trust. It returns the documented shapes:

* ``GET /{tenant}/v2.0/.well-known/openid-configuration``: the OpenID
  configuration msal reads before its first token request;
* ``POST /{tenant}/oauth2/v2.0/token``: the client-credential grant, returning
  ``{"token_type", "expires_in", "ext_expires_in", "access_token"}``, or
  ``{"error": "invalid_client", ...}`` with HTTP 401 for a wrong secret;
* ``GET /v1.0/users/{id}``: a user from `users`;
* ``POST /v1.0/users/{id}/events``: 201 with the event, its
  ``onlineMeeting.joinUrl`` and every attendee's ``status.response`` of
  "none"; a repeated ``transactionId`` returns the first event;
* ``GET`` and ``PATCH /v1.0/users/{id}/events/{event id}``: 200 with the event;
* ``POST /v1.0/users/{id}/events/{event id}/cancel``: 202 with no body;
* ``DELETE /v1.0/users/{id}/events/{event id}``: 204.

Graph errors have the body ``{"error": {"code", "message", "innerError":
{"date", "request-id", "client-request-id"}}}``. `fail_next` queues error
responses (with headers such as Retry-After) for the next Graph calls, and
`expire_tokens` makes every issued token get 401 InvalidAuthenticationToken,
as an expired or revoked token does.
"""

import datetime
import ipaddress
import itertools
import ssl
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TENANT = "00000000-0000-0000-0000-00000000aaaa"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "fake-client-secret"


@dataclass
class GraphCall:
    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]


@dataclass
class Failure:
    status: int
    code: str
    message: str
    headers: dict[str, str]
    path_contains: str


def write_certificate(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path = folder / "graph-fake.pem"
    key_path = folder / "graph-fake.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return certificate_path, key_path


@dataclass
class FakeGraph:
    """Serves the token endpoint and the Graph calendar API; records every call for assertions."""

    certificate: Path
    key: Path
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[GraphCall] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    issued: dict[str, bool] = field(default_factory=dict)
    origin: str = ""
    runner: web.AppRunner | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def ca_bundle(self) -> str:
        return str(self.certificate)

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1.0"

    @property
    def authority(self) -> str:
        return f"{self.origin}/{TENANT}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(f"/{TENANT}/v2.0/.well-known/openid-configuration", self._openid_configuration)
        app.router.add_post(f"/{TENANT}/oauth2/v2.0/token", self._token)
        app.router.add_get("/v1.0/users/{user}", self._get_user)
        app.router.add_post("/v1.0/users/{user}/events", self._create_event)
        app.router.add_get("/v1.0/users/{user}/events/{event}", self._get_event)
        app.router.add_patch("/v1.0/users/{user}/events/{event}", self._update_event)
        app.router.add_delete("/v1.0/users/{user}/events/{event}", self._delete_event)
        app.router.add_post("/v1.0/users/{user}/events/{event}/cancel", self._cancel_event)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certificate, self.key)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.origin = f"https://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    # What tests set up and read

    def add_user(self, user_id: str, name: str, mail: str | None) -> None:
        self.users[user_id] = {"id": user_id, "displayName": name, "mail": mail, "userPrincipalName": f"{user_id[-4:]}@district.example"}

    def fail_next(self, status: int, count: int = 1, code: str = "", headers: dict[str, str] | None = None, path_contains: str = "") -> None:
        """Make the next `count` Graph calls (whose path contains `path_contains`) fail with an error."""
        code = code or DEFAULT_CODES.get(status, "UnknownError")
        message = DEFAULT_MESSAGES.get(code, "The request failed.")
        self.failures.extend(Failure(status, code, message, headers or {}, path_contains) for _ in range(count))

    def expire_tokens(self) -> None:
        """Make every token issued so far get HTTP 401, as an expired token does."""
        for token in self.issued:
            self.issued[token] = False

    def graph_calls(self, method: str | None = None) -> list[GraphCall]:
        return [call for call in self.calls if method is None or call.method == method]

    def event(self, event_id: str) -> dict[str, Any]:
        return self.events[event_id]

    # Entra ID

    async def _openid_configuration(self, request: web.Request) -> web.Response:
        tenant_url = f"{self.origin}/{TENANT}"
        return web.json_response(
            {
                "issuer": f"{tenant_url}/v2.0",
                "authorization_endpoint": f"{tenant_url}/oauth2/v2.0/authorize",
                "token_endpoint": f"{tenant_url}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "jwks_uri": f"{tenant_url}/discovery/v2.0/keys",
                "tenant_region_scope": "NA",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({name: str(value) for name, value in form.items() if name != "client_secret"})
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "https://graph.microsoft.com/.default":
            return web.json_response({"error": "invalid_request", "error_description": "AADSTS900144: a required parameter is missing."}, status=400)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return web.json_response(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                    "error_codes": [7000215],
                    "trace_id": str(uuid.uuid4()),
                    "correlation_id": str(uuid.uuid4()),
                },
                status=401,
            )
        token = f"fake-access-token-{len(self.issued) + 1}"
        self.issued[token] = True
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    # Graph

    def _check(self, request: web.Request, body: dict[str, Any] | None) -> web.Response | None:
        """Record the call, then return the queued failure or an authentication error, if any."""
        self.calls.append(GraphCall(request.method, request.path, body, dict(request.headers)))
        failure = next((item for item in self.failures if item.path_contains in request.path), None)
        if failure is not None:
            self.failures.remove(failure)
            return _error(failure.status, failure.code, failure.message, failure.headers)
        authorization = request.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ")
        if not self.issued.get(token):
            return _error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        return None

    async def _get_user(self, request: web.Request) -> web.Response:
        refused = self._check(request, None)
        if refused:
            return refused
        user = self.users.get(request.match_info["user"])
        if user is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{request.match_info['user']}' does not exist.")
        wanted = request.query.get("$select", "").split(",")
        return web.json_response({name: value for name, value in user.items() if not wanted[0] or name in wanted})

    async def _create_event(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = self._check(request, body)
        if refused:
            return refused
        problem = _event_problem(body, creating=True)
        if problem:
            return _error(400, "ErrorInvalidRequest", problem)
        organizer = self.users.get(request.match_info["user"])
        if organizer is None:
            return _error(404, "ErrorInvalidUser", "The requested user is invalid.")

        for existing in self.events.values():
            if existing.get("transactionId") == body.get("transactionId") and existing["organizerId"] == organizer["id"]:
                return web.json_response(_public(existing), status=201)

        number = next(self._ids)
        # Real ids are long base64 strings; '=', '+' and '/' check that the client escapes them.
        event_id = f"AAMkAGI2TG93AAA+{number}/x="
        event = {
            "id": event_id,
            "organizerId": organizer["id"],
            "iCalUId": f"040000008200E00074C5B7101A82E008{number:08d}",
            "webLink": f"https://outlook.office365.com/owa/?itemid={number}",
            "subject": body["subject"],
            "body": body.get("body"),
            "start": _graph_time(body["start"]),
            "end": _graph_time(body["end"]),
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
            "onlineMeeting": {"joinUrl": f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{number}%40thread.v2/0"},
            "organizer": {"emailAddress": {"name": organizer["displayName"], "address": organizer["mail"]}},
            "attendees": [_attendee(item) for item in body.get("attendees", [])],
            "transactionId": body.get("transactionId"),
            "isCancelled": False,
        }
        self.events[event_id] = event
        return web.json_response(_public(event), status=201)

    async def _get_event(self, request: web.Request) -> web.Response:
        refused = self._check(request, None)
        if refused:
            return refused
        event = self._find(request)
        return web.json_response(_public(event)) if event else _not_found()

    async def _update_event(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = self._check(request, body)
        if refused:
            return refused
        event = self._find(request)
        if event is None:
            return _not_found()
        problem = _event_problem(body, creating=False)
        if problem:
            return _error(400, "ErrorInvalidRequest", problem)
        for name in ("start", "end"):
            if name in body:
                event[name] = _graph_time(body[name])
        if "attendees" in body:
            previous = {item["emailAddress"]["address"]: item for item in event["attendees"]}
            event["attendees"] = [previous.get(item["emailAddress"]["address"]) or _attendee(item) for item in body["attendees"]]
        return web.json_response(_public(event))

    async def _cancel_event(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = self._check(request, body)
        if refused:
            return refused
        event = self._find(request)
        if event is None:
            return _not_found()
        event["isCancelled"] = True
        event["cancelComment"] = body.get("comment", "")
        # Cancelling moves the event to Deleted Items, so the calendar no longer has it.
        del self.events[event["id"]]
        self.events[f"deleted:{event['id']}"] = event
        return web.Response(status=202)

    async def _delete_event(self, request: web.Request) -> web.Response:
        refused = self._check(request, None)
        if refused:
            return refused
        event = self._find(request)
        if event is None:
            return _not_found()
        del self.events[event["id"]]
        return web.Response(status=204)

    def _find(self, request: web.Request) -> dict[str, Any] | None:
        event = self.events.get(request.match_info["event"])
        if event is None or event["organizerId"] != request.match_info["user"]:
            return None
        return event


DEFAULT_CODES = {
    400: "ErrorInvalidRequest",
    401: "InvalidAuthenticationToken",
    403: "ErrorAccessDenied",
    404: "ErrorItemNotFound",
    429: "ApplicationThrottled",
    500: "ErrorInternalServerError",
    503: "ServiceNotAvailable",
    504: "GatewayTimeout",
}
DEFAULT_MESSAGES = {
    "ErrorAccessDenied": "Access is denied. Check credentials and try again.",
    "ErrorItemNotFound": "The specified object was not found in the store.",
    "ApplicationThrottled": "Application is over its MailboxConcurrency limit.",
    "ServiceNotAvailable": "The service is temporarily unavailable.",
}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    request_id = str(uuid.uuid4())
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": request_id, "client-request-id": request_id},
        }
    }
    return web.json_response(body, status=status, headers={"request-id": request_id, **(headers or {})})


def _not_found() -> web.Response:
    return _error(404, "ErrorItemNotFound", DEFAULT_MESSAGES["ErrorItemNotFound"])


def _event_problem(body: dict[str, Any], creating: bool) -> str:
    """Return what is wrong with an event body, as Graph would reject it, or ''."""
    if creating:
        for name in ("subject", "start", "end"):
            if name not in body:
                return f"The property '{name}' is required."
        if body.get("isOnlineMeeting") is not True or body.get("onlineMeetingProvider") != "teamsForBusiness":
            return "The event must be a Teams online meeting."
    for name in ("start", "end"):
        value = body.get(name)
        if value is not None and not (isinstance(value, dict) and {"dateTime", "timeZone"} <= set(value)):
            return f"'{name}' must be a dateTimeTimeZone with dateTime and timeZone."
    for attendee in body.get("attendees", []):
        if not attendee.get("emailAddress", {}).get("address"):
            return "Every attendee needs an emailAddress.address."
    return ""


def _graph_time(value: dict[str, str]) -> dict[str, str]:
    """Return a dateTimeTimeZone as Graph returns it: seven decimal places, in the zone it was given."""
    return {"dateTime": value["dateTime"].split(".")[0] + ".0000000", "timeZone": value["timeZone"]}


def _attendee(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": item.get("type", "required"),
        "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
        "emailAddress": {"name": item["emailAddress"].get("name", ""), "address": item["emailAddress"]["address"]},
    }


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in event.items() if name not in ("organizerId", "cancelComment")}
