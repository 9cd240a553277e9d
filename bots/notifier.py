"""Delivers the outbox: the channel posts, card updates and teacher messages that changes ask for.

The helpdesk writes an outbox entry in the same atomic batch as the change
that needs it, so nothing is lost when the process dies before delivery.
The notifier takes each pending entry by a conditional write (so two
replicas never deliver the same one), delivers it, and marks it sent, or
puts it back for a later try after a temporary failure. An entry whose
process was killed mid-delivery stays "sending"; once SENDING_LEASE has
passed since it was taken, any notifier takes it again, so it is delivered
at least once.
"""

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bots.ladder_messages import LADDER_KINDS, deliver_ladder_message
from bots.messenger import DeliveryError, TeamsMessenger
from bots.session_messages import SESSION_KINDS, deliver_session_message
from cards import conversation_card, notice_card, teacher_update_card
from dialogs.context import Services
from dialogs.knowledge_actions import review_card
from dialogs.staff_view import staff_card, triage_digest
from domain.clock import from_iso, to_iso, utc_now
from domain.request import Event, Level, Request
from storage import Delete, Put, StorageError, VersionConflict

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# The time after which a "sending" entry counts as abandoned by a killed process. RetryPolicy waits at most
# 30 s per send, so a delivery of a few sends ends well within it. A slower delivery may arrive twice.
SENDING_LEASE = timedelta(minutes=10)
PLACES = ("triage", "tst")


class Notifier:
    def __init__(self, services: Services, messenger: TeamsMessenger, now: Callable[[], datetime] = utc_now):
        self.services = services
        self.messenger = messenger
        self._now = now
        self._task: asyncio.Task | None = None
        self._again = False

    def kick(self) -> None:
        """Deliver the outbox in the background, so a slow or throttled send never delays a reply to Teams.

        One delivery task runs at a time; a kick during a run makes it run once more.
        """
        if self._task is not None and not self._task.done():
            self._again = True
            return
        # A fresh context, so that the delivery's log records do not carry the ids of the turn that kicked it.
        self._task = asyncio.create_task(self._run_in_background(), context=contextvars.Context())

    async def idle(self) -> None:
        """Wait until the background delivery started by `kick` has finished."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self) -> None:
        """Stop the background delivery; what it did not send stays pending for the next start."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run_in_background(self) -> None:
        while True:
            self._again = False
            try:
                await self.flush()
            except StorageError:
                logger.exception("outbox delivery stopped by a storage error; it resumes on the next change")
            if not self._again:
                return

    async def flush(self) -> int:
        """Deliver every pending or abandoned outbox entry, oldest first; return how many were delivered."""
        delivered = 0
        store = self.services.store
        pending = await store.find("outbox", state="pending")
        pending += [doc for doc in await store.find("outbox", state="sending") if self._abandoned(doc)]
        for entry in sorted(pending, key=lambda doc: (doc["created_at"], doc["key"])):
            key = entry["key"]
            if entry["state"] == "sending" and entry.get("attempts", 0) >= MAX_ATTEMPTS:
                # Each try was cut short, perhaps because delivering this entry kills the process.
                await self._give_up_abandoned(key, entry)
                continue
            taken = await self._take(key, entry)
            if taken is None:
                continue
            try:
                await self._deliver(taken)
            except DeliveryError as error:
                await self._failed(key, taken, error)
                continue
            except asyncio.CancelledError:
                await self._put_back(key, taken)
                raise
            except Exception as error:  # a bug must not stop the rest of the outbox
                logger.exception("outbox entry %s (%s for request %s) failed unexpectedly", key, taken["kind"], taken["request"])
                await self._failed(key, taken, DeliveryError(f"{type(error).__name__}: {error}"))
                continue
            await self._finish(key, taken, "sent")
            delivered += 1
        return delivered

    async def _deliver(self, entry: dict[str, Any]) -> None:
        kind = entry["kind"]
        if kind == "digest":
            await self._digest()
            return
        if kind in SESSION_KINDS:
            await deliver_session_message(self.services, self.messenger, entry, self._contact)
            return
        if kind in LADDER_KINDS:
            await deliver_ladder_message(self.services, self.messenger, entry, self._contact)
            return
        request = await self.services.helpdesk.get(entry["request"])
        if kind == "triage_post":
            await self._post(request, "triage")
        elif kind == "tst_post":
            await self._post(request, "tst")
        elif kind == "refresh_cards":
            await self._refresh(request)
        elif kind in TEACHER_MESSAGES:
            await self._tell_teacher(request, kind)
        elif kind in CONVERSATION_MESSAGES:
            await self._converse(request, entry)
        elif kind == "relay_to_thread":
            await self._relay_to_thread(request, entry)
        elif kind == "assigned":
            await self._tell_owner(request, entry)
        elif kind == "reminder":
            await self._remind(request, entry)
        elif kind == "draft_post":
            await self._post_draft(entry)
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

    async def _post_draft(self, entry: dict[str, Any]) -> None:
        """Post the review card of an article draft to the triage channel."""
        card = await review_card(self.services, entry.get("article") or "")
        if card is None:
            raise DeliveryError(f"article draft {entry.get('article')!r} of request {entry['request']} was not found", permanent=True)
        post = await self.messenger.post_to_channel(self.services.settings.triage_channel, card)
        logger.info("posted article draft %s to the triage channel as activity %s", entry["article"], post["activity_id"])

    async def _refresh(self, request: Request) -> None:
        for place in PLACES:
            post = await self.services.store.get("posts", f"{request.number}:{place}")
            if post is not None:
                await self.messenger.update_post(post, await staff_card(self.services, request, place))

    async def _tell_teacher(self, request: Request, kind: str) -> None:
        contact = await self._contact(request.teacher_id)
        title, message = TEACHER_MESSAGES[kind](request)
        article = self.services.article(request.resolved_article) if kind == "resolved" else None
        card = teacher_update_card(
            title, message, request, self.services.settings.catalogue, ask_rating=kind == "resolved" and request.rating is None, article=article
        )
        await self.messenger.send_to_person(contact, card)

    async def _converse(self, request: Request, entry: dict[str, Any]) -> None:
        """Send the teacher a relayed message or a notice they can answer or reopen from."""
        event = await self._event(entry)
        kind = entry["kind"]
        title, subtitle, can_reply, can_reopen = CONVERSATION_MESSAGES[kind](request, event)
        message = event.note if kind == "relay_to_teacher" else ""
        card = conversation_card(title, message, request.number, subtitle, can_reply, can_reopen)
        await self.messenger.send_to_person(await self._contact(request.teacher_id), card)

    async def _relay_to_thread(self, request: Request, entry: dict[str, Any]) -> None:
        """Post the teacher's reply under the request's card, in the TST thread or else the triage thread."""
        event = await self._event(entry)
        post = await self.services.store.get("posts", f"{request.number}:tst") or await self.services.store.get("posts", f"{request.number}:triage")
        if post is None:
            raise DeliveryError(f"request {request.number} has no channel post to reply under", permanent=True)
        card = conversation_card(f"{event.actor_name} replied about {request.reference}", event.note, request.number)
        await self.messenger.reply_in_thread(post, card)

    async def _tell_owner(self, request: Request, entry: dict[str, Any]) -> None:
        """Tell a TST that a triager assigned them the request: in their personal chat, or else in the thread."""
        event = await self._event(entry)
        title = f"{event.actor_name} assigned {request.reference} to {request.owner_name}"
        card = conversation_card(title, "", request.number, f"{self.services.settings.catalogue.name_of(request.category)} · {request.school}")
        owner = await self.services.people.get(request.owner_id or "")
        if owner and owner.get("contact"):
            await self.messenger.send_to_person(owner["contact"], card)
            return
        post = await self.services.store.get("posts", f"{request.number}:tst")
        if post is None:
            raise DeliveryError(f"TST {request.owner_id} has no personal chat and request {request.number} no TST post", permanent=True)
        await self.messenger.reply_in_thread(post, card)

    async def _remind(self, request: Request, entry: dict[str, Any]) -> None:
        """Re-post an overdue request and tell the triage channel why."""
        place = entry.get("place", "triage")
        await self._repost(request, place)
        triage = await self.services.store.get("posts", f"{request.number}:triage")
        if triage is not None:
            await self.messenger.reply_in_thread(triage, notice_card(f"{request.reference} is overdue", entry.get("reason", "")))

    async def _digest(self) -> None:
        """Post today's triage digest to the triage channel and remember it so clicks can refresh it."""
        card = await triage_digest(self.services, utc_now())
        post = await self.messenger.post_to_channel(self.services.settings.triage_channel, card)
        await self.services.store.apply([Put("posts", "digest:latest", {**post, "place": "digest"})])

    async def _repost(self, request: Request, place: str) -> None:
        await self.services.store.apply([Delete("posts", f"{request.number}:{place}")])
        await self._post(request, place)

    async def _event(self, entry: dict[str, Any]) -> Event:
        doc = await self.services.store.get("events", f"{entry['request']}-{entry['seq']:05d}")
        if doc is None:
            raise DeliveryError(f"event {entry['seq']} of request {entry['request']} was not found", permanent=True)
        return Event.from_doc(doc)

    async def _contact(self, person_id: str) -> dict[str, Any]:
        person = await self.services.people.get(person_id)
        if not person or not person.get("contact"):
            raise DeliveryError(f"person {person_id} has no personal chat with the bot", permanent=True)
        if person.get("unreachable"):
            raise DeliveryError(f"person {person_id} is unreachable: {person['unreachable']}", permanent=True)
        return person["contact"]

    async def _take(self, key: str, entry: dict[str, Any]) -> dict[str, Any] | None:
        taken = dict(entry)
        version = taken.pop("_version")
        if taken["state"] == "sending":
            logger.warning(
                "outbox entry %s (%s for request %s) was left sending since %s; delivering it again",
                key, taken["kind"], taken["request"], taken.get("taken_at", "an unknown time"),
            )
        taken["state"] = "sending"
        taken["attempts"] = taken.get("attempts", 0) + 1
        taken["taken_at"] = to_iso(self._now())
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
        done["finished_at"] = to_iso(self._now())
        if error:
            done["last_error"] = error
        try:
            await self.services.store.apply([Put("outbox", key, done, version)])
        except VersionConflict:
            # Only a notifier that found this delivery past SENDING_LEASE changes a taken entry; it owns the entry now.
            logger.warning("outbox entry %s (%s for request %s) was taken again while it was delivered here; it may arrive twice", key, entry["kind"], entry["request"])

    def _abandoned(self, entry: dict[str, Any]) -> bool:
        """Return True when a "sending" entry was taken longer ago than SENDING_LEASE (entries without `taken_at` count from creation)."""
        taken_at = entry.get("taken_at") or entry["created_at"]
        return self._now() - from_iso(taken_at) > SENDING_LEASE

    async def _give_up_abandoned(self, key: str, entry: dict[str, Any]) -> None:
        failed = dict(entry)
        version = failed.pop("_version")
        failed["state"] = "failed"
        failed["finished_at"] = to_iso(self._now())
        failed["last_error"] = f"delivery was interrupted {failed.get('attempts', 0)} times (the bot process stopped while sending)"
        try:
            await self.services.store.apply([Put("outbox", key, failed, version)])
        except VersionConflict:
            return
        logger.error("outbox entry %s (%s for request %s) given up: %s", key, entry["kind"], entry["request"], failed["last_error"])

    async def _put_back(self, key: str, entry: dict[str, Any]) -> None:
        """Return an entry whose delivery was cancelled (at shutdown) to pending, without counting the attempt.

        The next start sends it again, so a message that reached Teams just before the cancel arrives twice.
        """
        pending = dict(entry)
        version = pending.pop("_version")
        pending["state"] = "pending"
        pending["attempts"] = max(pending.get("attempts", 1) - 1, 0)
        try:
            await self.services.store.apply([Put("outbox", key, pending, version)])
        except StorageError:
            # The entry stays "sending" until SENDING_LEASE passes, and then `flush` takes it again.
            logger.exception("outbox entry %s (%s for request %s) was interrupted and could not be put back", key, entry["kind"], entry["request"])
            return
        logger.info("outbox entry %s (%s for request %s) was interrupted and stays pending", key, entry["kind"], entry["request"])

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


# Each returns the title, subtitle, and whether the teacher can reply and reopen.
CONVERSATION_MESSAGES = {
    "relay_to_teacher": lambda r, e: (
        f"{e.actor_name} about your request {r.reference}",
        "They need your answer to continue." if e.type == "question_to_teacher" else "Reply here if you like.",
        True,
        False,
    ),
    "level_changed": lambda r, e: (
        f"Request {r.reference} moved to {_level(r)}",
        f"{e.actor_name} changed the kind of help: {e.note}",
        False,
        False,
    ),
    "merged": lambda r, e: (
        f"Request {r.reference} was merged into #{r.merged_into}",
        "It asked for the same help as another request, so the team follows it there.",
        False,
        False,
    ),
    "auto_closed": lambda r, e: (
        f"Request {r.reference} was closed",
        r.resolution_note or "It waited too long for your answer.",
        False,
        True,
    ),
}
