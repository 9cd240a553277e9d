"""Queue views for TSTs: "queue" shows a channel's open work, "mine" a TST's own."""

from typing import Any

from cards import queue_card
from dialogs.context import Services
from domain.actor import Actor
from domain.clock import utc_now


class QueueDialog:
    def __init__(self, services: Services):
        self.services = services

    async def queue(self, channel_id: str | None) -> dict[str, Any]:
        """Return the open work of the TST channel with this Teams channel id (all channels for another id)."""
        settings = self.services.settings
        channel = next((c for c in settings.tst_channels if c.channel_id == channel_id), None)
        requests = await self.services.ladder.queue(channel.key if channel else None)
        title = f"Open requests in {channel.name}" if channel else "Open requests in every TST channel"
        return queue_card(title, requests, settings.catalogue, utc_now())

    async def mine(self, actor: Actor) -> dict[str, Any]:
        requests = await self.services.ladder.mine(actor.id)
        return queue_card(f"Requests owned by {actor.name}", requests, self.services.settings.catalogue, utc_now())
