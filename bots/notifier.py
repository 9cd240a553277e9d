"""Delivers the outbox: the channel posts, card updates and teacher messages that changes ask for.

The helpdesk writes an outbox entry in the same atomic batch as the change
that needs it, so nothing is lost when the process dies before delivery.
The notifier takes each pending entry by a conditional write (so two
replicas never deliver the same one), delivers it, and marks it sent, or
puts it back for a later try after a temporary failure.
"""

import logging
from typing import Any

from bots.messenger import DeliveryError, TeamsMessenger
from cards import teacher_update_card
from dialogs.context import Services
from dialogs.staff_view import staff_card
from domain.clock import to_iso, utc_now
from domain.request import Level, Request
from storage import Put, VersionConflict

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
PLACES = ("triage", "tst")


class Notifier:
    def __init__(self, services: Services, messenger: TeamsMessenger):
        self.services = services
        self.messenger = messenger

    async def flush(self) -> int:
        """Deliver every pending outbox entry, oldest first; return how many were delivered."""
        delivered = 0
        pending = await self.services.store.find("outbox", state="pending")
        for entry in sorted(pending, key=lambda doc: (doc["created_at"], doc["request"])):
            key = entry["key"]
            taken = await self._take(key, entry)
            if taken is None:
                continue
            try:
                await self._deliver(taken)
            except DeliveryError as error:
                await self._failed(key, taken, error)
                continue
            except Exception as error:  # a bug must not stop the rest of the outbox
                logger.exception("outbox entry %s (%s for request %s) failed unexpectedly", key, taken["kind"], taken["request"])
                await self._failed(key, taken, DeliveryError(f"{type(error).__name__}: {error}"))
                continue
            await self._finish(key, taken, "sent")
            delivered += 1
        return delivered

    async def _deliver(self, entry: dict[str, Any]) -> None:
        request = await self.services.helpdesk.get(entry["request"])
        kind = entry["kind"]
        if kind == "triage_post":
            await self._post(request, "triage")
        elif kind == "tst_post":
            await self._post(request, "tst")
        elif kind == "refresh_cards":
            await self._refresh(request)
        elif kind in TEACHER_MESSAGES:
            await self._tell_teacher(request, kind)
        else:
            raise DeliveryError(f"unknown outbox kind '{kind}'", permanent=True)

    async def _post(self, request: Request, place: str) -> None:
        settings = self.services.settings
        channel = settings.triage_channel if place == "triage" else settings.tst_channel(request.channel or "")
        if channel is None:
            raise DeliveryError(f"request {request.number} names TST channel '{request.channel}', which is not configured", permanent=True)
        card = await staff_card(self.services, request, place)
        existing = await self.services.store.get("posts", f"{request.number}:{place}")
        if existing and existing.get("channel") == channel.key:
            await self.messenger.update_post(existing, card)
            return
        post = await self.messenger.post_to_channel(channel, card)
        post["request"] = request.number
        post["place"] = place
        await self.services.store.apply([Put("posts", f"{request.number}:{place}", post)])
        logger.info("posted request %d to %s channel %s as activity %s", request.number, place, channel.key, post["activity_id"])

    async def _refresh(self, request: Request) -> None:
        for place in PLACES:
            post = await self.services.store.get("posts", f"{request.number}:{place}")
            if post is not None:
                await self.messenger.update_post(post, await staff_card(self.services, request, place))

    async def _tell_teacher(self, request: Request, kind: str) -> None:
        person = await self.services.people.get(request.teacher_id)
        if not person or not person.get("contact"):
            raise DeliveryError(f"teacher {request.teacher_id} has no personal chat with the bot", permanent=True)
        title, message = TEACHER_MESSAGES[kind](request)
        article = self.services.article(request.resolved_article) if kind == "resolved" else None
        card = teacher_update_card(
            title, message, request, self.services.settings.catalogue, ask_rating=kind == "resolved" and request.rating is None, article=article
        )
        await self.messenger.send_to_person(person["contact"], card)

    async def _take(self, key: str, entry: dict[str, Any]) -> dict[str, Any] | None:
        taken = dict(entry)
        version = taken.pop("_version")
        taken["state"] = "sending"
        taken["attempts"] = taken.get("attempts", 0) + 1
        try:
            await self.services.store.apply([Put("outbox", key, taken, version)])
        except VersionConflict:
            return None
        taken["_version"] = version + 1
        return taken

    async def _finish(self, key: str, entry: dict[str, Any], state: str, error: str = "") -> None:
        done = dict(entry)
        version = done.pop("_version")
        done["state"] = state
        done["finished_at"] = to_iso(utc_now())
        if error:
            done["last_error"] = error
        await self.services.store.apply([Put("outbox", key, done, version)])

    async def _failed(self, key: str, entry: dict[str, Any], error: DeliveryError) -> None:
        give_up = error.permanent or entry["attempts"] >= MAX_ATTEMPTS
        logger.warning(
            "outbox entry %s (%s for request %s) failed on attempt %d%s: %s",
            key, entry["kind"], entry["request"], entry["attempts"], ", giving up" if give_up else "", error,
        )
        await self._finish(key, entry, "failed" if give_up else "pending", str(error))


TEACHER_MESSAGES = {
    "routed": lambda r: (
        f"Request {r.reference} is on its way to a Technology Support Teacher",
        f"The helpdesk set it to {_level(r)}. I will tell you when someone claims it.",
    ),
    "claimed": lambda r: (
        f"{r.owner_name} claimed your request {r.reference}",
        f"{r.owner_name} is your Technology Support Teacher for this request and will be in touch.",
    ),
    "resolved": lambda r: (
        f"Request {r.reference} is resolved",
        "Here is what was done. Please rate the help so the team can improve.",
    ),
}


def _level(request: Request) -> str:
    return Level(request.level).label.lower() if request.level is not None else "a support level"
