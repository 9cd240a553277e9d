"""Site visits and in-class support in Teams: the TST's planning card, the teacher's time picker, and their actions.

A refused proposal or pick keeps the card it came from with the reason on
it; role refusals are returned like any other refusal.
"""

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from bots.card_actions import CardAction
from cards.visit_cards import visit_options_card, visit_plan_card
from dialogs.context import Services
from dialogs.outcome import Outcome
from domain.actor import Actor, Role
from domain.errors import InvalidInput, InvalidTransition, NotAllowed
from domain.request import Request
from visits import Visit, VisitPlanner

logger = logging.getLogger(__name__)

VISIT_WORDS = {"visit", "visits", "site visit", "in class", "plan visit"}
NOT_CONFIGURED = "Site visits are not set up in this bot."
STAFF_ONLY = "Visits are planned by the Technology Support Teachers."


class VisitsDialog:
    def __init__(self, services: Services):
        self.services = services

    @property
    def planner(self) -> VisitPlanner:
        if self.services.visits is None:
            raise NotAllowed(NOT_CONFIGURED)
        return self.services.visits

    # The TST's card

    async def thread_reply(self, actor: Actor, number: int) -> str | dict[str, Any]:
        """Reply to "visit" mentioned in a request's thread: the planning card for TSTs, a short refusal for anyone else."""
        if not actor.has(Role.TST):
            logger.info("visit card of request %d by %s rejected: not a TST", number, actor.id)
            return STAFF_ONLY
        try:
            return await self.plan_card(await self.services.helpdesk.get(number))
        except NotAllowed as error:
            return str(error)

    async def plan_card(self, request: Request, notice: str = "") -> dict[str, Any]:
        planner = self.planner
        visit = await planner.current(request.number)
        settings = self.services.settings
        return visit_plan_card(
            request, visit, settings.catalogue, settings.timezone, planner.now(), self._times(visit),
            settings.visits.duration_minutes, planner.uses_graph, notice,
        )

    async def propose(self, actor: Actor, action: CardAction) -> Outcome:
        """Send the teacher up to three times; invalid times keep the form with the reason."""
        _require_tst(actor)
        number = _request_number(action)
        data = action.data
        slots = [(data.get(f"date{position}"), data.get(f"time{position}")) for position in (1, 2, 3)]
        duration = data.get("duration") or self.services.settings.visits.duration_minutes
        try:
            await self.planner.propose(actor, number, slots, duration, data.get("note"))
        except (InvalidInput, InvalidTransition) as error:
            logger.info("visit proposal for request %d by %s rejected: %s", number, actor.id, type(error).__name__)
            return Outcome(card=await self.plan_card(await self.services.helpdesk.get(number), str(error)), messages=[str(error)])
        notice = "Times sent to the teacher. You will see here when they pick one."
        return Outcome(card=await self.plan_card(await self.services.helpdesk.get(number), notice))

    async def cancel(self, actor: Actor, action: CardAction) -> Outcome:
        _require_tst(actor)
        visit = await self.planner.cancel(actor, _visit_id(action), action.data.get("reason"))
        notice = "Cancelled; the teacher was told." if visit.start else "The times were withdrawn."
        return Outcome(card=await self.plan_card(await self.services.helpdesk.get(visit.request), notice))

    async def record(self, actor: Actor, action: CardAction) -> Outcome:
        _require_tst(actor)
        visit_id = _visit_id(action)
        request = await self.planner.record(actor, visit_id, action.data.get("outcome"), action.data.get("note"))
        return Outcome(card=await self.plan_card(request, f"Recorded. {request.reference} is resolved and the teacher is asked to rate the help."))

    # The teacher's card

    async def choose(self, actor: Actor, action: CardAction) -> Outcome:
        """Book the picked time; a calendar failure keeps the times on the card with the reason."""
        visit_id = _visit_id(action)
        planner = self.planner
        visit = await planner.get(visit_id)
        if visit.teacher_id != actor.id:
            raise NotAllowed("These visit times were sent to another teacher.")
        try:
            visit = await planner.choose(actor, visit_id, action.data.get("option"))
        except (InvalidInput, InvalidTransition) as error:
            logger.info("visit %s: pick by %s rejected: %s", visit_id, actor.id, type(error).__name__)
            return Outcome(card=await self.options_card(await planner.get(visit_id), str(error)), messages=[str(error)])
        return Outcome(card=await self.options_card(visit))

    async def options_card(self, visit: Visit, notice: str = "") -> dict[str, Any]:
        planner = self.planner
        request = await self.services.helpdesk.get(visit.request)
        return visit_options_card(visit, request, self.services.settings.catalogue, self._times(visit), planner.calendar_url(visit), visit.web_link, notice)

    def _times(self, visit: Visit | None) -> list[str]:
        if visit is None:
            return []
        if visit.start:
            return [self.planner.time_text(visit)]
        return [self.planner.time_text(visit, index) for index in range(len(visit.options))]


def visit_verbs(services: Services) -> dict[str, Callable[[Actor, CardAction], Awaitable[Outcome]]]:
    """Return the card verbs of site visits and in-class support, for HelpdeskBot.general_verbs."""
    dialog = VisitsDialog(services)
    return {
        "proposeVisit": dialog.propose,
        "chooseVisitTime": dialog.choose,
        "cancelVisit": dialog.cancel,
        "recordVisit": dialog.record,
    }


def _require_tst(actor: Actor) -> None:
    if not actor.has(Role.TST):
        raise NotAllowed(STAFF_ONLY)


def _request_number(action: CardAction) -> int:
    if action.request is None:
        raise InvalidInput("That card does not say which request it is about; mention me with visit in the request's thread.")
    return action.request


def _visit_id(action: CardAction) -> str:
    value = action.data.get("visit")
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d{1,12}", text):
        raise InvalidInput("That card does not say which visit it is about; it may come from an old message.")
    return text
