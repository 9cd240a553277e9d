"""Triage: the triager sets the support level and TST channel, or answers from the knowledge base."""

from typing import Any

from dialogs.context import Services
from dialogs.knowledge_actions import note_deflection
from dialogs.outcome import Outcome
from dialogs.staff_view import staff_card
from domain.actor import Actor
from domain.errors import InvalidInput, shown

# No whole number on a card has more digits; longer digit strings are rejected as invalid.
MAX_DIGITS = 18


class TriageDialog:
    def __init__(self, services: Services):
        self.services = services

    async def route(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        level = whole_number(data.get("level"), "support level")
        channel = data.get("channel")
        if not isinstance(channel, str) or not channel:
            raise InvalidInput("Pick a TST channel before routing.")
        request = await self.services.helpdesk.route(actor, number, level, channel)
        return Outcome(card=await staff_card(self.services, request, "triage"))

    async def answer(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        article_id = data.get("article")
        article = self.services.article(article_id) if isinstance(article_id, str) else None
        if article is None or not article.is_published:
            raise InvalidInput(f"Article {shown(article_id)} was not found in the knowledge base; pick one from the list.")
        request = await self.services.helpdesk.answer(actor, number, article.id)
        await note_deflection(self.services, request)
        return Outcome(card=await staff_card(self.services, request, "triage"))


def whole_number(value: Any, what: str) -> int:
    """Read a whole number from card data, where Teams sends choices and numbers as text or numbers."""
    if isinstance(value, bool):
        raise InvalidInput(f"The {what} must be a whole number.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    # ASCII digits only: str.isdigit() also accepts "²", which int() rejects, and other scripts' digits.
    # The length bound keeps int() below Python's 4,300-digit limit, past which it raises ValueError.
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= MAX_DIGITS:
        return int(value.strip())
    raise InvalidInput(f"The {what} must be a whole number, not {shown(value)}.")
