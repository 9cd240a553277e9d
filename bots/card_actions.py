"""Reads card actions from Teams activities: `Action.Execute` invokes and `Action.Submit` messages."""

from dataclasses import dataclass
from typing import Any

from botbuilder.schema import Activity

from domain.errors import InvalidInput, shown

MAX_REQUEST_NUMBER = 10**9
MAX_DIGITS = 18


@dataclass(frozen=True)
class CardAction:
    """A verb, the request it applies to (if any), and the card's data and input values."""

    verb: str
    request: int | None
    data: dict[str, Any]


def action_from_invoke(activity: Activity) -> CardAction:
    """Read an `adaptiveCard/action` invoke; raises InvalidInput for a malformed one."""
    value = activity.value if isinstance(activity.value, dict) else {}
    action = value.get("action")
    if not isinstance(action, dict):
        raise InvalidInput("That card action arrived without its details; please try the button again.")
    data = action.get("data") if isinstance(action.get("data"), dict) else {}
    verb = action.get("verb") or data.get("verb")
    return _checked(verb, data)


def action_from_submit(activity: Activity) -> CardAction | None:
    """Read an `Action.Submit` message value, or return None when the message is not a card submit."""
    if not isinstance(activity.value, dict) or "verb" not in activity.value:
        return None
    return _checked(activity.value.get("verb"), activity.value)


def _checked(verb: Any, data: dict[str, Any]) -> CardAction:
    if not isinstance(verb, str) or not verb:
        raise InvalidInput("That card action has no verb; it may come from an old card. Type help to start again.")
    return CardAction(verb=verb, request=_request_number(data.get("request")), data=dict(data))


def _request_number(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidInput("The card names an invalid request number.")
    # ASCII digits only: str.isdigit() also accepts "²", which int() rejects, and other scripts' digits.
    # The length bound keeps int() below Python's 4,300-digit limit, past which it raises ValueError.
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= MAX_DIGITS:
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value < MAX_REQUEST_NUMBER:
        raise InvalidInput(f"The card names an invalid request number: {shown(value)}.")
    return value
