"""TST work on a routed request: claim, notes, resolve and unclaim."""

from typing import Any

from dialogs.context import Services
from dialogs.outcome import Outcome
from dialogs.staff_view import staff_card
from domain.actor import Actor


class ClaimsDialog:
    def __init__(self, services: Services):
        self.services = services

    async def claim(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        request = await self.services.helpdesk.claim(actor, number)
        return Outcome(card=await staff_card(self.services, request, "tst"))

    async def unclaim(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        request = await self.services.helpdesk.unclaim(actor, number)
        return Outcome(card=await staff_card(self.services, request, "tst"))

    async def add_note(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        request = await self.services.helpdesk.add_note(actor, number, data.get("note"))
        return Outcome(card=await staff_card(self.services, request, "tst"))

    async def resolve(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        request = await self.services.helpdesk.resolve(actor, number, data.get("resolution"))
        return Outcome(card=await staff_card(self.services, request, "tst"))
