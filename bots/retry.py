"""Retries of Bot Connector calls that Teams throttled or that failed on the way.

Teams requires bots to back off on HTTP 429, 412, 502, 503 and 504 and to honour
`Retry-After`. Every other error is returned to the caller at once. The
connector client (msrest 0.7) raises `HttpOperationError` subclasses whose
`response` is a `requests.Response`, so the status and headers come from there.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({412, 429, 502, 503, 504})
Result = TypeVar("Result")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry one connector call.

    The delay doubles from `base_delay_seconds` unless the connector sends
    `Retry-After`. A call is not retried when the next wait would end after
    `max_total_seconds`, counted as the sum of the waits.
    """

    max_tries: int = 4
    max_total_seconds: float = 30.0
    base_delay_seconds: float = 1.0
    sleep: Callable[[float], Awaitable[Any]] = field(default=asyncio.sleep, compare=False)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc), compare=False)

    async def call(self, operation: Callable[[], Awaitable[Result]], what: str) -> Result:
        """Run `operation`, retrying the throttled and gateway statuses; re-raise the last error."""
        waited = 0.0
        for attempt in range(1, self.max_tries + 1):
            try:
                return await operation()
            except Exception as error:  # only connector errors with a retried status are retried
                status = http_status(error)
                if status not in RETRIED_STATUSES or attempt == self.max_tries:
                    raise
                delay = self._delay(error, attempt)
                if waited + delay > self.max_total_seconds:
                    logger.warning("%s: HTTP %s, and waiting %.1f s more would pass the %.0f s limit; giving up", what, status, delay, self.max_total_seconds)
                    raise
                logger.warning("%s: HTTP %s on try %d of %d; retrying in %.1f s", what, status, attempt, self.max_tries, delay)
                waited += delay
                await self.sleep(delay)
        raise AssertionError("unreachable: the last try returns or raises")

    def _delay(self, error: Exception, attempt: int) -> float:
        requested = retry_after_seconds(error, self.now())
        if requested is not None:
            return requested
        return self.base_delay_seconds * 2 ** (attempt - 1)


def http_status(error: BaseException) -> int | None:
    """Return the HTTP status of a connector error, or None when it has none (e.g. a refused connection)."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return status if isinstance(status, int) else None


def retry_after_seconds(error: BaseException, now: datetime) -> float | None:
    """Return the wait that the error's `Retry-After` header requests, in seconds, or None.

    The header holds either a number of seconds or an HTTP date (RFC 9110,
    section 10.2.3). A date in the past means no wait.
    """
    headers = getattr(getattr(error, "response", None), "headers", None) or {}
    value = headers.get("Retry-After")
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        logger.info("ignoring an invalid Retry-After header %r", value)
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())
