"""Feedback: the teacher's 1–5 rating of the help they got."""

from typing import Any

from cards import notice_card
from dialogs.context import Services
from dialogs.outcome import Outcome
from domain.actor import Actor
from domain.errors import InvalidInput, shown


class FeedbackDialog:
    def __init__(self, services: Services):
        self.services = services

    async def rate(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        raw = data.get("rating")
        if isinstance(raw, str) and raw.strip() in {"1", "2", "3", "4", "5"}:
            rating = int(raw)
        elif isinstance(raw, int) and not isinstance(raw, bool):
            rating = raw
        else:
            raise InvalidInput(f"Pick a rating from 1 to 5 before sending (got {shown(raw)}).")
        comment = data.get("comment") if isinstance(data.get("comment"), str) else ""
        request = await self.services.helpdesk.rate(actor, number, rating, comment)
        return Outcome(
            card=notice_card(
                f"Thank you for rating request {request.reference}",
                f"You gave it {rating} out of 5. Your ratings help the helpdesk team improve.",
            )
        )
