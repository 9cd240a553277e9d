"""Request changes for Technology Champion matches (support level 3), through the helpdesk's atomic write path.

Each change writes the request, its history event and the match's own
documents (passed as `match_ops`) in one batch, so the request's history and
the match never disagree. The champion who marks a connection done resolves
the request, and the teacher touch (kind `champion`) names the champion.
"""

from collections.abc import Awaitable, Callable, Sequence

from domain.actor import Actor, Role
from domain.clock import to_iso
from domain.errors import InvalidTransition
from domain.request import Level, Request, Status
from escalation.helpdesk import Helpdesk, Notification, Step
from escalation.ladder import OPEN_WORK, REFRESH
from escalation.visit_ladder import require_owner_or_free, take_on
from storage import Op

MatchOps = Callable[[str], Awaitable[Sequence[Op]]]


class ChampionLadder:
    def __init__(self, helpdesk: Helpdesk):
        self.helpdesk = helpdesk

    async def offer(self, actor: Actor, number: int, note: str, match_ops: MatchOps) -> Request:
        """Record a TST's offer to a champion; a TST offering an unowned request becomes its owner."""
        Helpdesk._require_role(actor, Role.TST, "offer a request to a Technology Champion")

        def change(request: Request) -> None:
            require_champion_work(request)
            require_owner_or_free(actor, request)
            take_on(actor, request, to_iso(self.helpdesk._now()))

        return await self._one(actor, Step(number, "champion_offered", change, note, False, (REFRESH,)), match_ops)

    async def record(self, actor: Actor, number: int, event_type: str, note: str, match_ops: MatchOps) -> Request:
        """Add a champion's response, or a lapsed offer, to the request's history; the request must still need a champion."""
        return await self._one(actor, Step(number, event_type, require_champion_work, note, False, (REFRESH,)), match_ops)

    async def resolve(self, actor: Actor, number: int, note: str, match_ops: MatchOps) -> Request:
        """Resolve the request because the champion helped; counts one teacher touch of kind `champion` by the champion."""

        def change(request: Request) -> None:
            require_champion_work(request)
            request.status = Status.RESOLVED.value
            request.resolution_note = note

        notify = (Notification("resolved", "teacher"), REFRESH)
        return await self._one(actor, Step(number, "champion_done", change, note, True, notify), match_ops)

    async def _one(self, actor: Actor, step: Step, match_ops: MatchOps) -> Request:
        return (await self.helpdesk._transition_many(actor, [step], extra_ops=match_ops))[0]


def require_champion_work(request: Request) -> None:
    """Raise unless the request is open work at level 3."""
    if request.level != Level.CHAMPION:
        raise InvalidTransition(f"{request.reference} is no longer at {Level.CHAMPION.label.lower()}, so champion matches do not apply.")
    if request.state not in OPEN_WORK:
        raise InvalidTransition(f"{request.reference} is {request.state.label.lower()}, so champion matches no longer apply.")
