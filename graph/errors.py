"""Failed Microsoft Graph calls, one type for each way they fail.

Each message is safe to show in Teams: it states what failed and what to do,
and never carries tokens, secrets or raw response bodies. The HTTP status,
Graph's error code and its request id are kept as attributes for the log.
"""

from domain.errors import HelpdeskError


class GraphError(HelpdeskError):
    """A Graph call failed; `str(error)` is the reply to show."""

    def __init__(self, message: str, status: int | None = None, code: str = "", request_id: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id


class GraphAuthenticationError(GraphError):
    """The app could not get a token, or Graph rejected a fresh one (HTTP 401 twice)."""


class GraphPermissionError(GraphError):
    """Graph rejected the call with HTTP 403, because of a missing application permission or access policy."""


class GraphNotFound(GraphError):
    """The user, calendar or event does not exist (HTTP 404)."""


class GraphThrottled(GraphError):
    """Graph kept returning HTTP 429 for longer than the bot may wait."""

    def __init__(self, message: str, retry_after: float | None = None, **details):
        super().__init__(message, **details)
        self.retry_after = retry_after


class GraphUnavailable(GraphError):
    """Graph failed with HTTP 5xx, timed out or could not be reached, on every try."""


class GraphRequestError(GraphError):
    """Graph rejected the request itself (another HTTP 4xx), which a retry will not fix."""
