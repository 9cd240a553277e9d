"""Request changes for small-group sessions (support level 2), through the helpdesk's atomic write path.

Each function changes several requests and the session's own documents
(passed as `session_ops`) in one batch, so a request's history and the
session never disagree. Attendance resolves every attendee's request at
once, each with its own teacher touch of kind `small_group`.

The changes that follow a calendar change already made in Microsoft Graph
(leaving a cancelled session, declining) are lenient. A request that moved
on meanwhile keeps its state and only gets the event, because rejecting the
change would leave the session out of step with the calendar.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence

from domain.actor import Actor
from domain.clock import to_iso
from domain.errors import InvalidInput, InvalidTransition
from domain.request import Level, Request, Status
from escalation.helpdesk import MAX_ATTEMPTS, QUEUES, Helpdesk, Notification, Step
from storage import Op, VersionConflict

logger = logging.getLogger(__name__)

SessionOps = Callable[[str], Awaitable[Sequence[Op]]]
IN_SESSION = (Status.CLAIMED, Status.IN_PROGRESS, Status.WAITING_ON_TEACHER)
# Open level-2 work that a session may take in.
JOINABLE = (Status.ROUTED, Status.ESCALATED, *IN_SESSION)
REFRESH = Notification("refresh_cards", "staff")


class SmallGroupLadder:
    """Moves requests into, out of and through small-group sessions."""

    def __init__(self, helpdesk: Helpdesk):
        self.helpdesk = helpdesk

    async def join(self, actor: Actor, numbers: Sequence[int], note: str, session_ops: SessionOps) -> list[Request]:
        """Put requests into a session: the organiser owns each unowned one and works on it."""

        def change(request: Request) -> None:
            require_joinable(request, actor.id)
            request.owner_id = request.owner_id or actor.id
            request.owner_name = request.owner_name or actor.name
            request.status = Status.IN_PROGRESS.value
            request.queued_at = None
            request.first_response_at = request.first_response_at or to_iso(self.helpdesk._now())

        steps = [Step(number, "session_scheduled", change, note, False, (REFRESH,)) for number in numbers]
        return await self._apply(actor, steps, session_ops)

    async def record(self, actor: Actor, numbers: Sequence[int], event_type: str, note: str, session_ops: SessionOps) -> list[Request]:
        """Add an event (a new time, say) to each request's history without changing the requests."""
        steps = [Step(number, event_type, lambda request: None, note) for number in numbers]
        return await self._apply(actor, steps, session_ops)

    async def leave(self, actor: Actor, numbers: Sequence[int], event_type: str, note: str, session_ops: SessionOps) -> list[Request]:
        """Take requests out of a session and back to the unowned small-group queue."""

        def change(request: Request) -> None:
            if request.state in IN_SESSION and request.level == Level.SMALL_GROUP:
                return_to_queue(request, to_iso(self.helpdesk._now()))

        steps = [Step(number, event_type, change, note, False, (REFRESH,)) for number in numbers]
        return await self._apply(actor, steps, session_ops)

    async def resolve_attended(
        self, actor: Actor, attended: Sequence[int], missed: Sequence[int], note: str, session_ops: SessionOps
    ) -> list[Request]:
        """Resolve the attendees' requests with one teacher touch each; the no-shows' go back to the queue.

        Raises InvalidTransition, and changes nothing, when an attendee's
        request is no longer being worked on, so no touch is counted twice.
        """
        def resolve(request: Request) -> None:
            if request.state not in IN_SESSION:
                raise InvalidTransition(f"{request.reference} is {request.state.label.lower()}, so its attendance cannot be recorded.")
            request.status = Status.RESOLVED.value
            request.resolution_note = note

        def missed_session(request: Request) -> None:
            if request.state in IN_SESSION and request.level == Level.SMALL_GROUP:
                return_to_queue(request, to_iso(self.helpdesk._now()))

        steps = [Step(number, "session_attended", resolve, note, True, (Notification("resolved", "teacher"), REFRESH)) for number in attended]
        steps += [Step(number, "session_missed", missed_session, "Did not attend the small-group session.", False, (REFRESH,)) for number in missed]
        return await self._apply(actor, steps, session_ops)

    async def choose_one_to_one(self, actor: Actor, number: int) -> Request:
        """Move a teacher's waiting small-group request to one-to-one remote help (level 1), at the teacher's choice."""

        def change(request: Request) -> None:
            Helpdesk._require_teacher(actor, request)
            _require_waiting(request)
            request.level = Level.REMOTE.value
            request.queue = QUEUES[Level.REMOTE]
            request.status = Status.ROUTED.value
            request.queued_at = to_iso(self.helpdesk._now())

        notify = [Notification("tst_post", "tst"), REFRESH]
        return await self.helpdesk._transition(
            number, actor, "one_to_one_requested", change, note="Chose one-to-one help instead of another session.", notify=notify
        )

    async def choose_later_session(self, actor: Actor, number: int) -> Request:
        """Record that the teacher waits for a later small-group session; the request stays in the queue."""

        def change(request: Request) -> None:
            Helpdesk._require_teacher(actor, request)
            _require_waiting(request)

        return await self.helpdesk._transition(number, actor, "later_session_requested", change, note="Waits for a later small-group session.")

    async def _apply(self, actor: Actor, steps: list[Step], session_ops: SessionOps) -> list[Request]:
        if steps:
            return await self.helpdesk._transition_many(actor, steps, extra_ops=session_ops)
        # A session with no requests left still records its own change.
        for _ in range(MAX_ATTEMPTS):
            try:
                await self.helpdesk.store.apply(list(await session_ops(to_iso(self.helpdesk._now()))))
            except VersionConflict:
                continue
            return []
        raise InvalidTransition("The session is changing too fast to update right now; please try again.")


def require_joinable(request: Request, organizer_id: str) -> None:
    """Raise unless the request is open level-2 work that is unowned or owned by the organiser."""
    if request.level != Level.SMALL_GROUP:
        raise InvalidInput(f"{request.reference} is not at {Level.SMALL_GROUP.label.lower()}; change its level before grouping it.")
    if request.state not in JOINABLE:
        raise InvalidTransition(f"{request.reference} is {request.state.label.lower()}, so it cannot join a session.")
    if request.owner_id and request.owner_id != organizer_id:
        raise InvalidTransition(f"{request.reference} is owned by {request.owner_name or 'another TST'}; ask them to unclaim it first.")


def return_to_queue(request: Request, now: str) -> None:
    request.status = Status.ESCALATED.value
    request.owner_id = None
    request.owner_name = None
    request.queued_at = now


def _require_waiting(request: Request) -> None:
    if request.level != Level.SMALL_GROUP or request.state not in (Status.ROUTED, Status.ESCALATED) or request.owner_id:
        raise InvalidTransition(f"{request.reference} has moved on since that message, so the choice no longer applies.")
