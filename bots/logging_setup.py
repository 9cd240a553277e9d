"""Logging for the bot process: text for people or one JSON object per line, with the ids of the request and turn.

Two middlewares fill context variables that every log record picks up.
`request_id_middleware` (aiohttp) sets the HTTP request id, which it takes
from `x-ms-request-id` or `x-request-id` or else generates. `TurnLogContext`
(botbuilder) sets the activity id, activity type and conversation id of the
turn being handled. These fields carry ids only, but a log message can still
contain any text its caller passes in.
"""

import json
import logging
import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime, timezone

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from botbuilder.core import Middleware, TurnContext

LOG_FORMATS = ("text", "json")
REQUEST_ID_HEADERS = ("x-ms-request-id", "x-request-id")
RESPONSE_ID_HEADER = "x-request-id"
# A caller's request id is kept only when it looks like an id, so a header cannot write arbitrary text into the log.
CALLER_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
REQUEST_ID_KEY = web.RequestKey("request_id", str)

# The fields that a record gets from the context, in the order the JSON output lists them.
CONTEXT_FIELDS = ("request_id", "activity_id", "activity_type", "conversation_id")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
activity_id_var: ContextVar[str | None] = ContextVar("activity_id", default=None)
activity_type_var: ContextVar[str | None] = ContextVar("activity_type", default=None)
conversation_id_var: ContextVar[str | None] = ContextVar("conversation_id", default=None)

_CONTEXT_VARS = {
    "request_id": request_id_var,
    "activity_id": activity_id_var,
    "activity_type": activity_type_var,
    "conversation_id": conversation_id_var,
}


class ContextFilter(logging.Filter):
    """Copy the request and turn ids from the context onto each record, unless the caller set them with `extra`."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in _CONTEXT_VARS.items():
            if getattr(record, name, None) is None:
                setattr(record, name, variable.get())
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time (UTC, ISO 8601), level, logger, message, the context ids and any exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Format a record as one line for people, with the request and activity ids at the end when there are any."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{name}={getattr(record, name)}" for name in ("request_id", "activity_id") if getattr(record, name, None)]
        if not ids:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{' '.join(ids)}]{newline}{rest}"


def configure_logging(level: str, log_format: str = "text", stream=None) -> logging.Handler:
    """Send every log record to stderr (or `stream`) as text or JSON lines, replacing the root logger's handlers."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format '{log_format}' is not one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def request_id_of(request: web.BaseRequest) -> str:
    """Return the caller's request id from the first id header that looks like an id, or a new random one."""
    for header in REQUEST_ID_HEADERS:
        value = request.headers.get(header, "").strip()
        if CALLER_REQUEST_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


@web.middleware
async def request_id_middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Set the request id for the handler's log records, and return it in the `x-request-id` response header."""
    request_id = request_id_of(request)
    request[REQUEST_ID_KEY] = request_id
    token = request_id_var.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers[RESPONSE_ID_HEADER] = request_id
        raise
    finally:
        request_id_var.reset(token)
    if not response.prepared:
        response.headers[RESPONSE_ID_HEADER] = request_id
    return response


class AccessLogger(AbstractAccessLogger):
    """Log each HTTP request as method, path, status and duration, with its request id.

    The query string is left out because calendar links carry their secret key there.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %d in %.3f s", request.method, request.path, response.status, time,
            extra={"request_id": request.get(REQUEST_ID_KEY)},
        )


class TurnLogContext(Middleware):
    """Set the activity id, activity type and conversation id of the turn for its log records.

    The adapter also runs proactive sends through its middleware; their
    records get the target conversation's id.
    """

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        activity = context.activity
        tokens = [
            (activity_id_var, activity_id_var.set(activity.id)),
            (activity_type_var, activity_type_var.set(activity.type)),
            (conversation_id_var, conversation_id_var.set(activity.conversation.id if activity.conversation else None)),
        ]
        try:
            await logic()
        finally:
            for variable, token in reversed(tokens):
                variable.reset(token)

