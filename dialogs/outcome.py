"""The result of a card action: a card to replace the clicked one, and messages for the person who clicked."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    """The result of handling one card action.

    `card` replaces the card that was clicked (None leaves it as it is) and
    `messages` are sent to the conversation the click came from, each a
    text or an Adaptive Card dict. `refusal` is set when the action was
    rejected; in a channel it is shown only to the person who clicked.
    """

    card: dict[str, Any] | None = None
    messages: list[str | dict[str, Any]] = field(default_factory=list)
    refusal: str | None = None
