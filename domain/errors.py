"""Domain errors. Each carries a message that is safe to show to the person who acted."""

from typing import Any

# Card data is untrusted and may be megabytes long, so a message quotes at most this many characters of it.
SHOWN_VALUE_MAX_CHARS = 60


class HelpdeskError(Exception):
    """A request could not be carried out; `str(error)` is the reply to show."""


class NotFound(HelpdeskError):
    """The request, article or person does not exist."""


class NotAllowed(HelpdeskError):
    """The person acting lacks the role, or is not the owner, for this action."""


class InvalidInput(HelpdeskError):
    """Submitted data is missing, of the wrong type or out of range.

    `problems` maps each field name to what is wrong with it, so a form can
    show every problem at once.
    """

    def __init__(self, message: str, problems: dict[str, str] | None = None):
        super().__init__(message)
        self.problems = problems or {}


class InvalidTransition(HelpdeskError):
    """The request is in a state where this action makes no sense, e.g. claiming a resolved request."""


class AlreadyClaimed(HelpdeskError):
    """Another TST owns the request."""

    def __init__(self, reference: str, owner_name: str):
        super().__init__(f"{owner_name} has already claimed {reference}.")
        self.owner_name = owner_name


def shown(value: Any) -> str:
    """Return `repr(value)` for an error message, cut to SHOWN_VALUE_MAX_CHARS characters with an ellipsis."""
    text = repr(value)
    if len(text) <= SHOWN_VALUE_MAX_CHARS:
        return text
    return text[: SHOWN_VALUE_MAX_CHARS - 1] + "…"
