"""Request changes for site visits (level 4) and in-class support (level 5), through the helpdesk's atomic write path.

Each change writes the request, its history event and the visit's own
document (passed as `visit_ops`) in one batch. Recording what was done
resolves the request at the level that matches it (4 for a visit, 5 for
team teaching or a demonstration lesson), so the teacher touch gets the kind
`site_visit` or `in_class`.
"""

from collections.abc import Awaitable, Callable, Sequence

from domain.actor import Actor, Role
from domain.clock import to_iso
from domain.errors import InvalidTransition, NotAllowed
from domain.request import Level, Request, Status
from escalation.helpdesk import QUEUES, Helpdesk, Notification, Step
from escalation.ladder import OPEN_WORK, REFRESH
from storage import Op

VisitOps = Callable[[str], Awaitable[Sequence[Op]]]
VISIT_LEVELS = (Level.SITE_VISIT, Level.IN_CLASS)


class VisitLadder:
    def __init__(self, helpdesk: Helpdesk):
        self.helpdesk = helpdesk

    async def propose(self, actor: Actor, number: int, note: str, visit_ops: VisitOps) -> Request:
        """Record the times a TST proposed; a TST proposing for an unowned request becomes its owner."""
        Helpdesk._require_role(actor, Role.TST, "propose visit times")

        def change(request: Request) -> None:
            require_visit_work(request)
            require_owner_or_free(actor, request)
            take_on(actor, request, to_iso(self.helpdesk._now()))

        return await self._one(actor, Step(number, "visit_proposed", change, note, False, (REFRESH,)), visit_ops)

    async def record(self, actor: Actor, number: int, event_type: str, note: str, visit_ops: VisitOps) -> Request:
        """Add a booking or a cancellation to the request's history; the request must still be open at level 4 or 5."""
        return await self._one(actor, Step(number, event_type, require_visit_work, note, False, (REFRESH,)), visit_ops)

    async def resolve(self, actor: Actor, number: int, level: Level, note: str, visit_ops: VisitOps, organizer_id: str) -> Request:
        """Resolve the request at `level` with one teacher touch, because the visit took place.

        The request's owner or the visit's TST (`organizer_id`) may do it.
        """

        def change(request: Request) -> None:
            require_visit_work(request)
            if actor.id != organizer_id:
                Helpdesk._require_owner(actor, request)
            request.level = level.value
            request.queue = QUEUES[level]
            request.status = Status.RESOLVED.value
            request.resolution_note = note

        notify = (Notification("resolved", "teacher"), REFRESH)
        return await self._one(actor, Step(number, "visit_done", change, note, True, notify), visit_ops)

    async def _one(self, actor: Actor, step: Step, visit_ops: VisitOps) -> Request:
        return (await self.helpdesk._transition_many(actor, [step], extra_ops=visit_ops))[0]


def require_visit_work(request: Request) -> None:
    """Raise unless the request is open work at level 4 or 5."""
    if request.level not in VISIT_LEVELS:
        raise InvalidTransition(f"{request.reference} is not at {Level.SITE_VISIT.label.lower()} or {Level.IN_CLASS.label.lower()}, so visits do not apply.")
    if request.state not in OPEN_WORK:
        raise InvalidTransition(f"{request.reference} is {request.state.label.lower()}, so visits no longer apply.")


def take_on(actor: Actor, request: Request, now: str) -> None:
    """Make the acting TST the owner of an unowned request and mark it in progress (`now` is a stored UTC time)."""
    request.owner_id = request.owner_id or actor.id
    request.owner_name = request.owner_name or actor.name
    request.status = Status.IN_PROGRESS.value
    request.queued_at = None
    request.first_response_at = request.first_response_at or now


def require_owner_or_free(actor: Actor, request: Request) -> None:
    """Raise unless the request is unowned, owned by the actor, or the actor is an admin."""
    if request.owner_id and request.owner_id != actor.id and not actor.has(Role.ADMIN):
        raise NotAllowed(f"{request.reference} is owned by {request.owner_name or 'another TST'}; ask them, or have a triager reassign it.")
