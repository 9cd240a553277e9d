"""The Microsoft Graph calls the helpdesk makes: calendar events with Teams meetings, and user look-ups.

Times go to Graph as UTC (`{"dateTime": ..., "timeZone": "UTC"}`) and the
`Prefer: outlook.timezone="UTC"` header requests UTC back. Windows zone
names such as "Pacific Standard Time" apply US daylight-saving rules, but
British Columbia stays on UTC-7 all year from November 2026 (tzdata 2026f),
and Graph's list of zones does not include America/Vancouver, so only UTC
names the intended moment exactly. Outlook shows each attendee the time in
their own mailbox's zone.

Every call retries HTTP 429 (after the Retry-After wait), 5xx, time-outs and
refused connections, within `max_attempts` tries and `max_wait_seconds` of
waiting. An HTTP 401 makes the client drop its token and try once more with
a new one. Other statuses raise at once; see graph.errors.
"""

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import aiohttp

from config.settings import GraphSettings
from graph.errors import (
    GraphAuthenticationError,
    GraphError,
    GraphNotFound,
    GraphPermissionError,
    GraphRequestError,
    GraphThrottled,
    GraphUnavailable,
)
from graph.token_provider import TokenProvider

logger = logging.getLogger(__name__)

# The first wait when Graph sends no Retry-After; it doubles with each try, as Graph's throttling guidance suggests.
BASE_DELAY_SECONDS = 0.5
PERMISSION_HINT = (
    "Microsoft 365 refused the helpdesk access to {whose} calendar, so nothing was changed. "
    "A Microsoft 365 admin must grant the helpdesk app the application permission Calendars.ReadWrite "
    "(with admin consent) and include this mailbox in the Exchange application access policy "
    "(or RBAC for Applications scope) that limits the app."
)
USER_PERMISSION_HINT = (
    "Microsoft 365 refused to look up a teacher's email address, so nothing was scheduled. "
    "A Microsoft 365 admin must grant the helpdesk app the application permission User.Read.All (with admin consent)."
)


class GraphClient:
    """Calls Microsoft Graph with app-only tokens over one reused aiohttp session.

    `sleep` waits between retries; tests replace it to run without waiting.
    """

    def __init__(
        self,
        settings: GraphSettings,
        tokens: TokenProvider | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.settings = settings
        self.tokens = tokens or TokenProvider(
            settings.client_id, settings.client_secret, settings.authority, settings.ca_bundle, settings.timeout_seconds
        )
        self.sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # Calendar events

    async def create_meeting(
        self,
        organizer_id: str,
        subject: str,
        body_text: str,
        start: datetime,
        end: datetime,
        attendees: Sequence[tuple[str, str]],
        transaction_id: str,
    ) -> dict[str, Any]:
        """Create an event with a Teams meeting on the organiser's calendar and invite the attendees.

        `attendees` are (email address, display name) pairs. Graph drops a
        repeated POST with the same `transaction_id`, so a retry after a
        time-out creates one event, not two. Returns the event, whose
        `onlineMeeting.joinUrl` is the Teams link.
        """
        body = {
            "subject": subject,
            "body": {"contentType": "text", "content": body_text},
            "start": utc_time(start),
            "end": utc_time(end),
            "attendees": attendee_list(attendees),
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
            "allowNewTimeProposals": False,
            "transactionId": transaction_id,
        }
        return await self._call("POST", f"/users/{_segment(organizer_id)}/events", body, whose="the organiser's")

    async def reschedule(self, organizer_id: str, event_id: str, start: datetime, end: datetime) -> dict[str, Any]:
        """Move the event to a new start and end; Graph sends the attendees an updated invitation."""
        return await self._update(organizer_id, event_id, {"start": utc_time(start), "end": utc_time(end)})

    async def set_attendees(self, organizer_id: str, event_id: str, attendees: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """Replace the event's attendee list; people left out get a cancellation from Outlook."""
        return await self._update(organizer_id, event_id, {"attendees": attendee_list(attendees)})

    async def cancel_event(self, organizer_id: str, event_id: str, comment: str) -> None:
        """Cancel the event as its organiser, sending the attendees `comment`. Graph returns 202 Accepted."""
        await self._call(
            "POST", f"/users/{_segment(organizer_id)}/events/{_segment(event_id)}/cancel", {"comment": comment}, whose="the organiser's"
        )

    async def get_event(self, organizer_id: str, event_id: str) -> dict[str, Any]:
        """Return the event with its attendees' responses."""
        return await self._call("GET", f"/users/{_segment(organizer_id)}/events/{_segment(event_id)}", whose="the organiser's")

    async def _update(self, organizer_id: str, event_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        path = f"/users/{_segment(organizer_id)}/events/{_segment(event_id)}"
        return await self._call("PATCH", path, changes, whose="the organiser's")

    # Users

    async def get_user(self, user_id: str) -> dict[str, Any]:
        """Return the user's id, displayName, mail and userPrincipalName (needs User.Read.All)."""
        path = f"/users/{_segment(user_id)}?$select=id,displayName,mail,userPrincipalName"
        return await self._call("GET", path, permission_hint=USER_PERMISSION_HINT)

    # Transport

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, whose: str = "a", permission_hint: str = ""
    ) -> dict[str, Any]:
        """Send one Graph request with the retries described in the module docstring; return the JSON body ({} when empty)."""
        url = self.settings.base_url + path
        waited = 0.0
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            token = await self.tokens.token()
            try:
                status, headers, payload = await self._send(method, url, token, body)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                status, headers, payload = None, {}, {}
                failure = f"{type(error).__name__}"
            else:
                failure = f"HTTP {status}"
            if status is not None and 200 <= status < 300:
                return payload
            code, request_id = _error_details(payload, headers)
            details = {"status": status, "code": code, "request_id": request_id}

            if status == 401 and not refreshed:
                logger.info("%s %s: HTTP 401 (%s); getting a new token and trying once more", method, path, code)
                await self.tokens.invalidate(token)
                refreshed = True
                attempt -= 1
                continue
            if status == 401:
                logger.error("%s %s: HTTP 401 (%s) with a new token, request id %s", method, path, code, request_id)
                raise GraphAuthenticationError(
                    "Microsoft 365 did not accept the helpdesk's sign-in, so nothing was changed. Please tell the helpdesk admin.", **details
                )
            if status == 403:
                logger.error("%s %s: HTTP 403 (%s), request id %s", method, path, code, request_id)
                raise GraphPermissionError(permission_hint or PERMISSION_HINT.format(whose=whose), **details)
            if status == 404:
                logger.info("%s %s: HTTP 404 (%s), request id %s", method, path, code, request_id)
                raise GraphNotFound(f"Microsoft 365 could not find {_what(path)}.", **details)
            if status is not None and status != 429 and status < 500:
                logger.error("%s %s: HTTP %d (%s: %s), request id %s", method, path, status, code, _message(payload), request_id)
                raise GraphRequestError(f"Microsoft 365 rejected the change ({code or f'HTTP {status}'}), so nothing was changed.", **details)

            # 429, 5xx, a time-out or a refused connection: wait and try again while the limits allow.
            requested = retry_after_seconds(headers)
            delay = requested if requested is not None else BASE_DELAY_SECONDS * 2 ** (attempt - 1)
            if attempt >= self.settings.max_attempts or waited + delay > self.settings.max_wait_seconds:
                logger.warning("%s %s: %s on try %d; giving up after waiting %.1f s", method, path, failure, attempt, waited)
                if status == 429:
                    raise GraphThrottled(
                        f"Microsoft 365 is busy and asked the helpdesk to wait {delay:.0f} seconds, so nothing was changed. "
                        "Please try again in a minute.",
                        retry_after=requested,
                        **details,
                    )
                raise GraphUnavailable(
                    f"Microsoft 365 did not respond ({failure}), so nothing was changed. Please try again in a few minutes.", **details
                )
            logger.warning("%s %s: %s on try %d of %d; retrying in %.1f s", method, path, failure, attempt, self.settings.max_attempts, delay)
            waited += delay
            await self.sleep(delay)

    async def _send(self, method: str, url: str, token: str, body: dict[str, Any] | None) -> tuple[int, Any, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}", "Prefer": 'outlook.timezone="UTC"'}
        async with self._client().request(method, url, json=body, headers=headers) as response:
            text = await response.text()
            try:
                payload = await response.json(content_type=None) if text.strip() else {}
            except ValueError:
                payload = {}
            return response.status, response.headers, payload if isinstance(payload, dict) else {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            context = ssl.create_default_context(cafile=self.settings.ca_bundle) if self.settings.ca_bundle else None
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds),
                connector=aiohttp.TCPConnector(ssl=context) if context else None,
            )
        return self._session


def utc_time(moment: datetime) -> dict[str, str]:
    """Return Graph's dateTimeTimeZone for a moment, in UTC."""
    if moment.tzinfo is None:
        raise ValueError("a moment sent to Graph must carry its time zone")
    return {"dateTime": moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def parse_graph_time(value: dict[str, Any]) -> datetime:
    """Parse Graph's dateTimeTimeZone as UTC, which the client always requests."""
    if value.get("timeZone") not in ("UTC", "Etc/UTC", None):
        raise GraphError(f"Microsoft 365 returned time zone {value.get('timeZone')!r} instead of UTC.")
    text = value["dateTime"].split(".")[0]
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def attendee_list(attendees: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"emailAddress": {"address": address, "name": name}, "type": "required"} for address, name in attendees]


def retry_after_seconds(headers: Any) -> float | None:
    """Return Retry-After in seconds; Graph sends whole seconds."""
    value = (headers or {}).get("Retry-After")
    if not isinstance(value, str) or not (value.strip().isascii() and value.strip().isdigit()):
        return None
    return float(value.strip())


def _segment(value: str) -> str:
    # Event ids contain '=', '+' and '/', which must be escaped inside a path.
    return quote(value, safe="")


def _what(path: str) -> str:
    if "/events/" in path:
        return "the meeting in the organiser's calendar; it may have been deleted in Outlook"
    if "/events" in path:
        return "the organiser's calendar; check that the TST has an Exchange Online mailbox"
    return "that person in the directory"


def _error_details(payload: dict[str, Any], headers: Any) -> tuple[str, str]:
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    inner = error.get("innerError") if isinstance(error.get("innerError"), dict) else {}
    request_id = inner.get("request-id") or (headers or {}).get("request-id") or ""
    return str(error.get("code", "")), str(request_id)


def _message(payload: dict[str, Any]) -> str:
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    return str(error.get("message", ""))[:300]
