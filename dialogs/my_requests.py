"""My requests: the teacher's requests with status, level and owner."""

from typing import Any

from cards import my_requests_card
from dialogs.context import Services
from domain.actor import Actor


class MyRequestsDialog:
    def __init__(self, services: Services):
        self.services = services

    async def card(self, actor: Actor) -> dict[str, Any]:
        requests = await self.services.helpdesk.requests_of(actor.id)
        settings = self.services.settings
        return my_requests_card(requests, settings.catalogue, settings.timezone)
