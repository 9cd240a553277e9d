"""The ladder beyond the main path: assignment, escalation, conversation, reopening, merging and linking.

Every operation goes through the helpdesk's atomic transitions, so each
change is an event with actor, UTC time and the fields before and after,
and permissions are checked against the actor from the activity.
"""

import logging
from collections.abc import Callable, Sequence

from domain.actor import Actor, Role
from domain.clock import to_iso
from domain.errors import InvalidInput, InvalidTransition, NotAllowed
from domain.request import Level, Request, Status
from escalation.helpdesk import QUEUES, Helpdesk, Notification, Step, _checked_note

logger = logging.getLogger(__name__)

OPEN_WORK = (Status.ROUTED, Status.CLAIMED, Status.IN_PROGRESS, Status.WAITING_ON_TEACHER, Status.ESCALATED)
OWNED_WORK = (Status.CLAIMED, Status.IN_PROGRESS, Status.WAITING_ON_TEACHER)
REFRESH = Notification("refresh_cards", "staff")
SYSTEM = Actor(id="helpdesk-bot", name="Helpdesk", roles=frozenset({Role.ADMIN}))


class Ladder:
    """Staff and teacher operations on requests that are already in the helpdesk's hands."""

    def __init__(self, helpdesk: Helpdesk, tst_ids: Sequence[str]):
        self.helpdesk = helpdesk
        self.tst_ids = frozenset(tst_ids)

    # Ownership

    async def assign(
        self, actor: Actor, number: int, tst_id: str, tst_name: str, level: int | None = None, channel: str | None = None
    ) -> Request:
        """Make a named TST the owner (assign or reassign); only a triager may.

        A request still waiting for triage also needs the level and the TST
        channel, and is posted to that channel.
        """
        Helpdesk._require_role(actor, Role.TRIAGER, "assign requests to a TST")
        if tst_id not in self.tst_ids:
            raise InvalidInput(f"{tst_name or tst_id} is not a configured Technology Support Teacher.")
        current = await self.helpdesk.get(number)
        needs_routing = current.state is Status.AWAITING_TRIAGE
        if needs_routing:
            self.helpdesk._check_route(level, channel)

        def change(request: Request) -> None:
            Helpdesk._require_status(request, Status.AWAITING_TRIAGE, Status.ROUTED, *OWNED_WORK, Status.ESCALATED)
            if request.owner_id == tst_id:
                raise InvalidTransition(f"{tst_name} already owns {request.reference}.")
            if request.state is Status.AWAITING_TRIAGE:
                if not needs_routing:
                    raise InvalidTransition(f"{request.reference} changed while you were assigning it; try again.")
                request.level = level
                request.channel = channel
                request.queue = QUEUES[Level(level)]
                request.status = Status.CLAIMED.value
            request.owner_id = tst_id
            request.owner_name = tst_name
            if request.state in (Status.ROUTED, Status.ESCALATED):
                request.status = Status.CLAIMED.value
            request.first_response_at = request.first_response_at or to_iso(self.helpdesk._now())
            request.queued_at = None

        notify = [Notification("claimed", "teacher"), Notification("assigned", "owner"), REFRESH]
        if needs_routing:
            notify.insert(0, Notification("tst_post", "tst"))
        return await self._one(number, actor, "assigned", change, notify=notify)

    # Moving up and down the ladder

    async def change_level(self, actor: Actor, number: int, level: int, reason: str) -> Request:
        """Escalate or de-escalate to another level with a required reason; the request joins that level's queue."""
        reason = _checked_note(reason, required=True, what="reason")
        if not isinstance(level, int) or isinstance(level, bool) or level not in {item.value for item in Level}:
            raise InvalidInput(f"The support level must be a whole number from 1 to 5, not {level!r}.")
        if level == Level.SELF_HELP:
            raise InvalidInput("To resolve at level 0, answer the request with a knowledge-base article instead.")
        current = await self.helpdesk.get(number)
        event_type = "escalated" if (current.level or 0) < level else "de_escalated"

        def change(request: Request) -> None:
            self._require_owner_or_triager(actor, request)
            Helpdesk._require_status(request, *OPEN_WORK)
            if request.level == level:
                raise InvalidTransition(f"{request.reference} is already at {Level(level).label.lower()}.")
            request.level = level
            request.queue = QUEUES[Level(level)]
            request.owner_id = None
            request.owner_name = None
            request.status = Status.ROUTED.value if level == Level.REMOTE else Status.ESCALATED.value
            request.queued_at = to_iso(self.helpdesk._now())

        notify = [REFRESH, Notification("level_changed", "teacher")]
        return await self._one(number, actor, event_type, change, note=reason, notify=notify)

    # Conversation between the TST and the teacher

    async def message_teacher(self, actor: Actor, number: int, text: str, wait_for_reply: bool = False) -> Request:
        """Send the teacher a message from the request thread; a question puts the request in waiting on teacher."""
        text = _checked_note(text, required=True, what="message")

        def change(request: Request) -> None:
            self._require_staff(actor, request)
            Helpdesk._require_status(request, *OPEN_WORK)
            if wait_for_reply:
                self._require_owner_or_triager(actor, request)
                request.status = Status.WAITING_ON_TEACHER.value
                # Now, not request.updated_at: that is still the previous change's time, which auto-close would count from.
                request.waiting_since = to_iso(self.helpdesk._now())
            elif request.state is Status.CLAIMED and request.owner_id == actor.id:
                request.status = Status.IN_PROGRESS.value

        event_type = "question_to_teacher" if wait_for_reply else "message_to_teacher"
        notify = [Notification("relay_to_teacher", "teacher"), REFRESH]
        return await self._one(number, actor, event_type, change, note=text, notify=notify, collapse_repeat=True)

    async def teacher_reply(self, actor: Actor, number: int, text: str) -> Request:
        """Record the teacher's reply and send it to the request's TST thread; a waiting request goes back in progress."""
        text = _checked_note(text, required=True, what="reply")

        def change(request: Request) -> None:
            Helpdesk._require_teacher(actor, request)
            Helpdesk._require_status(request, Status.AWAITING_TRIAGE, *OPEN_WORK)
            if request.state is Status.WAITING_ON_TEACHER:
                request.status = Status.IN_PROGRESS.value
                request.waiting_since = None

        notify = [Notification("relay_to_thread", "staff"), REFRESH]
        return await self._one(number, actor, "message_from_teacher", change, note=text, notify=notify, collapse_repeat=True)

    # Housekeeping

    async def reopen(self, actor: Actor, number: int, reason: str) -> Request:
        """Reopen a resolved or closed request; it goes back to triage with the reason in its history."""
        reason = _checked_note(reason, required=True, what="reason")

        def change(request: Request) -> None:
            if request.teacher_id != actor.id and not (actor.has(Role.TRIAGER) or actor.has(Role.TST)):
                raise NotAllowed(f"Only the teacher who filed {request.reference} or the helpdesk team can reopen it.")
            Helpdesk._require_status(request, Status.RESOLVED, Status.CLOSED)
            if request.merged_into is not None:
                raise InvalidTransition(f"{request.reference} was merged into #{request.merged_into}; reopen that one instead.")
            request.status = Status.AWAITING_TRIAGE.value
            request.queued_at = to_iso(self.helpdesk._now())
            request.owner_id = None
            request.owner_name = None
            request.rating = None
            request.resolved_at = None
            request.resolution_note = None
            request.resolved_article = None

        notify = [Notification("triage_post", "triage"), REFRESH]
        return await self._one(number, actor, "reopened", change, note=reason, notify=notify)

    async def merge(self, actor: Actor, duplicate: int, into: int) -> list[Request]:
        """Close a duplicate into another open request; both histories record the merge."""
        Helpdesk._require_role(actor, Role.TRIAGER, "merge requests")
        if duplicate == into:
            raise InvalidInput("A request cannot be merged into itself.")

        def close_duplicate(request: Request) -> None:
            if not request.state.is_open:
                raise InvalidTransition(f"{request.reference} is already {request.state.label.lower()}, so it cannot be merged.")
            request.status = Status.CLOSED.value
            request.merged_into = into
            request.resolution_note = f"Merged into #{into}."

        def keep_primary(request: Request) -> None:
            if not request.state.is_open:
                raise InvalidTransition(f"{request.reference} is {request.state.label.lower()}; merge into an open request.")
            if request.merged_into is not None:
                raise InvalidTransition(f"{request.reference} was itself merged into #{request.merged_into}.")

        steps = [
            Step(duplicate, "merged_into", close_duplicate, f"Duplicate of #{into}.", False, (Notification("merged", "teacher"), REFRESH)),
            Step(into, "merged_from", keep_primary, f"#{duplicate} was merged into this request.", False, (REFRESH,)),
        ]
        return await self.helpdesk._transition_many(actor, steps)

    async def link(self, actor: Actor, number: int, other: int) -> list[Request]:
        """Mark two requests as related, on both sides."""
        if not (actor.has(Role.TRIAGER) or actor.has(Role.TST)):
            raise NotAllowed("Only the helpdesk team can link requests.")
        if number == other:
            raise InvalidInput("A request cannot be linked to itself.")

        def linker(target: int) -> Callable[[Request], None]:
            def change(request: Request) -> None:
                if target in request.related:
                    raise InvalidTransition(f"#{number} and #{other} are already linked.")
                request.related = [*request.related, target]

            return change

        steps = [
            Step(number, "linked", linker(other), f"Related to #{other}."),
            Step(other, "linked", linker(number), f"Related to #{number}."),
        ]
        return await self.helpdesk._transition_many(actor, steps)

    async def auto_close(self, number: int, waited_days: int) -> Request:
        """Close a request that waited on the teacher too long, telling the teacher how to reopen it."""

        def change(request: Request) -> None:
            Helpdesk._require_status(request, Status.WAITING_ON_TEACHER)
            request.status = Status.CLOSED.value
            request.resolution_note = f"Closed after {waited_days} days without a reply from the teacher."

        return await self._one(number, SYSTEM, "auto_closed", change, notify=[Notification("auto_closed", "teacher"), REFRESH])

    # Views

    async def queue(self, channel: str | None = None) -> list[Request]:
        """Return open TST work, oldest first, optionally only one channel's."""
        docs = await self.helpdesk.store.find("requests")
        requests = [Request.from_doc(doc) for doc in docs]
        work = [r for r in requests if r.state in OPEN_WORK and (channel is None or r.channel == channel)]
        return sorted(work, key=lambda request: request.created_at)

    async def mine(self, tst_id: str) -> list[Request]:
        """Return the open requests a TST owns, oldest first."""
        docs = await self.helpdesk.store.find("requests", owner_id=tst_id)
        requests = [Request.from_doc(doc) for doc in docs]
        return sorted((r for r in requests if r.state in OPEN_WORK), key=lambda request: request.created_at)

    async def awaiting_triage(self) -> list[Request]:
        docs = await self.helpdesk.store.find("requests", status=Status.AWAITING_TRIAGE.value)
        return sorted((Request.from_doc(doc) for doc in docs), key=lambda request: request.created_at)

    # Rules

    @staticmethod
    def _require_owner_or_triager(actor: Actor, request: Request) -> None:
        if request.owner_id != actor.id and not actor.has(Role.TRIAGER):
            raise NotAllowed(f"Only the owner of {request.reference} or a triager can do that.")

    @staticmethod
    def _require_staff(actor: Actor, request: Request) -> None:
        if not (actor.has(Role.TST) or actor.has(Role.TRIAGER)):
            raise NotAllowed(f"Only the helpdesk team can message the teacher about {request.reference}.")

    async def _one(
        self, number: int, actor: Actor, event_type: str, change, note: str = "", notify: Sequence[Notification] = (), collapse_repeat: bool = False
    ) -> Request:
        return await self.helpdesk._transition(number, actor, event_type, change, note=note, notify=notify, collapse_repeat=collapse_repeat)
