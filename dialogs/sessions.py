"""Small-group sessions in Teams: the "sessions" channel command and the session card actions.

TSTs see proposed groups and scheduled sessions, plan and schedule a
session, and later reschedule, cancel or record attendance. Teachers accept
or decline their invitation, and after a missed session choose a later
session or one-to-one help. A refused action returns the card it came from
with the reason on it, and the scheduling form keeps what was typed.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bots.card_actions import CardAction
from cards import (
    notice_card,
    session_follow_up_card,
    session_invitation_card,
    session_manage_card,
    session_plan_card,
    sessions_overview_card,
)
from dialogs.context import Services
from dialogs.outcome import Outcome
from dialogs.triage import whole_number
from domain.actor import Actor, Role
from domain.errors import HelpdeskError, InvalidInput, NotAllowed
from sessions import SessionPlanner, SessionStatus

logger = logging.getLogger(__name__)

SESSION_WORDS = {"sessions", "session", "small groups", "small group", "groups"}
STAFF_ONLY = "Small-group sessions are planned by the Technology Support Teachers."
NOT_CONFIGURED = "Small-group sessions are not set up in this bot."


class SessionsDialog:
    def __init__(self, services: Services):
        self.services = services

    @property
    def planner(self) -> SessionPlanner:
        if self.services.sessions is None:
            raise NotAllowed(NOT_CONFIGURED)
        return self.services.sessions

    # TST views

    async def overview(self, actor: Actor, notice: str = "") -> dict[str, Any]:
        """Build the overview card: interrupted and scheduled sessions, then proposed groups."""
        _require_tst(actor)
        planner = self.planner
        current = await planner.current()
        interrupted = [session for session in current if planner.is_interrupted(session)]
        scheduled = [session for session in current if session.state is SessionStatus.SCHEDULED]
        waiting = await planner.eligible(actor)
        proposals = await planner.proposals(actor)
        return sessions_overview_card(proposals, scheduled, interrupted, self.services.settings.catalogue, len(waiting), notice)

    async def channel_reply(self, actor: Actor) -> str | dict[str, Any]:
        """Return the reply to "sessions" in a channel: the overview card for TSTs, a short refusal for anyone else."""
        try:
            return await self.overview(actor)
        except NotAllowed as error:
            logger.info("sessions view by %s rejected: %s", actor.id, error)
            return str(error)

    async def show(self, actor: Actor, action: CardAction) -> Outcome:
        return Outcome(card=await self.overview(actor))

    async def plan(self, actor: Actor, action: CardAction) -> Outcome:
        """Open the scheduling form for a category, with the proposal's requests ticked."""
        _require_tst(actor)
        category = action.data.get("category")
        if not isinstance(category, str) or self.services.settings.catalogue.get(category) is None:
            raise InvalidInput("That card names no known category; open sessions again.")
        selected = _numbers(action.data.get("requests"))
        return Outcome(card=await self._plan_card(actor, category, selected))

    async def schedule(self, actor: Actor, action: CardAction) -> Outcome:
        """Schedule the session from the form; a refusal shows the form again with the reason."""
        data = action.data
        category = data.get("category") if isinstance(data.get("category"), str) else ""
        try:
            numbers = _numbers(data.get("members"))
            session = await self.planner.schedule(
                actor, numbers, data.get("topic"), data.get("date"), data.get("time"), data.get("duration"), data.get("joinUrl", ""),
                channel=await self._channel_of(numbers),
            )
        except HelpdeskError as error:
            logger.info("scheduling a session by %s rejected: %s", actor.id, type(error).__name__)
            if self.services.settings.catalogue.get(category) is None:
                raise
            card = await self._plan_card(actor, category, _numbers(data.get("members"), strict=False), notice=str(error), values=data)
            return Outcome(card=card, messages=[str(error)])
        notice = f"Scheduled and invited {len(session.attendees)} teachers."
        return Outcome(card=await self._manage_card(session.id, notice))

    async def open(self, actor: Actor, action: CardAction) -> Outcome:
        _require_tst(actor)
        return Outcome(card=await self._manage_card(_session_id(action)))

    async def reschedule(self, actor: Actor, action: CardAction) -> Outcome:
        data = action.data
        return await self._manage(
            actor, action, lambda planner, session_id: planner.reschedule(actor, session_id, data.get("date"), data.get("time"), data.get("duration")),
            "Moved. Every invited teacher gets the new time.",
        )

    async def cancel(self, actor: Actor, action: CardAction) -> Outcome:
        return await self._manage(
            actor, action, lambda planner, session_id: planner.cancel(actor, session_id, action.data.get("comment")),
            "Cancelled. The teachers were told and their requests are back in the small-group queue.",
        )

    async def attendance(self, actor: Actor, action: CardAction) -> Outcome:
        attended = _numbers(action.data.get("attended"), strict=False)
        return await self._manage(
            actor, action, lambda planner, session_id: planner.mark_attendance(actor, session_id, attended, action.data.get("note")),
            "Attendance saved. Attendees' requests are resolved; anyone who missed it is offered another session or one-to-one help.",
        )

    async def refresh(self, actor: Actor, action: CardAction) -> Outcome:
        return await self._manage(actor, action, lambda planner, session_id: planner.refresh_responses(actor, session_id), "Responses checked in Outlook.")

    async def retry(self, actor: Actor, action: CardAction) -> Outcome:
        return await self._manage(actor, action, lambda planner, session_id: planner.retry(actor, session_id), "Scheduled and invited the teachers.")

    async def discard(self, actor: Actor, action: CardAction) -> Outcome:
        session_id = _session_id(action)
        try:
            await self.planner.discard(actor, session_id)
        except HelpdeskError as error:
            logger.info("discarding session %s by %s rejected: %s", session_id, actor.id, type(error).__name__)
            return Outcome(card=await self.overview(actor, notice=str(error)), messages=[str(error)])
        return Outcome(card=await self.overview(actor, notice=f"Session {session_id} was discarded and its requests are free again."))

    # Teacher actions

    async def accept(self, actor: Actor, action: CardAction) -> Outcome:
        return await self._answer(actor, action, accept=True)

    async def decline(self, actor: Actor, action: CardAction) -> Outcome:
        return await self._answer(actor, action, accept=False)

    async def follow_up(self, actor: Actor, action: CardAction) -> Outcome:
        """Carry out a no-show teacher's choice of a later session or one-to-one help."""
        if action.request is None:
            raise InvalidInput("That card does not say which request it is about; open it again from my requests.")
        choice = action.data.get("choice")
        request = await self.planner.follow_up(actor, action.request, choice)
        if choice == "remote":
            title = f"Request {request.reference} is on its way to a Technology Support Teacher"
            message = "You asked for one-to-one help. I will tell you when someone claims it."
        else:
            title = f"Request {request.reference} waits for the next session"
            message = "You will get an invitation when a TST schedules the next session on this topic."
        return Outcome(card=notice_card(title, message))

    # Shared

    async def _answer(self, actor: Actor, action: CardAction, accept: bool) -> Outcome:
        session_id = _session_id(action)
        planner = self.planner
        session = await planner.get(session_id)
        attendee = session.attendee_for(actor.id)
        if attendee is None:
            raise NotAllowed("This invitation is for another teacher.")
        sent = action.data.get("sequence")
        if accept and str(sent) != str(session.sequence) and session.state is SessionStatus.SCHEDULED:
            message = "The session changed since this card was sent. Here is the current invitation; check the time before you accept."
            return Outcome(card=self._invitation(session, attendee), messages=[message])
        try:
            session = await planner.respond(actor, session_id, accept)
        except HelpdeskError as error:
            logger.info("response to session %s by %s rejected: %s", session_id, actor.id, type(error).__name__)
            session = await planner.get(session_id)
            return Outcome(card=self._invitation(session, session.attendee_for(actor.id)), messages=[str(error)])
        return Outcome(card=self._invitation(session, session.attendee_for(actor.id)))

    def _invitation(self, session, attendee) -> dict[str, Any]:
        kind = "cancelled" if session.state is SessionStatus.CANCELLED else "responded"
        return session_invitation_card(session, attendee, kind, ics_url=self.planner.calendar_url(session))

    async def _manage(
        self, actor: Actor, action: CardAction, run: Callable[[SessionPlanner, str], Awaitable[Any]], done: str
    ) -> Outcome:
        """Run a session action and return the session's card, with the reason on it when the action was refused."""
        _require_tst(actor)
        session_id = _session_id(action)
        try:
            await run(self.planner, session_id)
        except HelpdeskError as error:
            logger.info("%s on session %s by %s rejected: %s", action.verb, session_id, actor.id, type(error).__name__)
            return Outcome(card=await self._manage_card(session_id, str(error)), messages=[str(error)])
        return Outcome(card=await self._manage_card(session_id, done))

    async def _manage_card(self, session_id: str, notice: str = "") -> dict[str, Any]:
        planner = self.planner
        session = await planner.get(session_id)
        return session_manage_card(
            session, self.services.settings.catalogue, planner.now(), planner.is_interrupted(session), planner.calendar_url(session), notice
        )

    async def _plan_card(self, actor: Actor, category: str, selected: list[int], notice: str = "", values: dict[str, Any] | None = None) -> dict[str, Any]:
        planner = self.planner
        settings = self.services.settings
        choices = [request for request in await planner.eligible(actor) if request.category == category]
        chosen = [number for number in selected if any(request.number == number for request in choices)]
        name = settings.catalogue.name_of(category)
        values = values or {}
        card = session_plan_card(
            name,
            choices,
            chosen,
            values.get("topic") if isinstance(values.get("topic"), str) else name,
            settings.timezone,
            planner.now(),
            planner.uses_graph,
            settings.sessions.duration_minutes,
            category=category,
            notice=notice or ("" if choices else "No level-2 requests in this category are waiting any more."),
        )
        return _keep_typed(card, values)

    async def _channel_of(self, numbers: list[int]) -> str | None:
        """Return the TST channel most of the requests were routed to, for notices to an organiser without a personal chat."""
        channels = []
        for number in numbers:
            try:
                channels.append((await self.services.helpdesk.get(number)).channel)
            except HelpdeskError:
                continue
        known = [channel for channel in channels if channel]
        return max(set(known), key=known.count) if known else None


def session_verbs(services: Services) -> dict[str, Callable[[Actor, CardAction], Awaitable[Outcome]]]:
    """Return the card verbs of small-group sessions, for HelpdeskBot.general_verbs."""
    dialog = SessionsDialog(services)
    return {
        "sessions": dialog.show,
        "planSession": dialog.plan,
        "scheduleSession": dialog.schedule,
        "openSession": dialog.open,
        "rescheduleSession": dialog.reschedule,
        "cancelSession": dialog.cancel,
        "markAttendance": dialog.attendance,
        "refreshSession": dialog.refresh,
        "retrySession": dialog.retry,
        "discardSession": dialog.discard,
        "acceptSession": dialog.accept,
        "declineSession": dialog.decline,
        "sessionFollowUp": dialog.follow_up,
    }


def _require_tst(actor: Actor) -> None:
    if not actor.has(Role.TST):
        raise NotAllowed(STAFF_ONLY)


def _session_id(action: CardAction) -> str:
    value = action.data.get("session")
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    # ASCII digits only: session ids are ASCII, and str.isdigit() also accepts "²" and other scripts' digits.
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput("That card does not say which session it is about; mention me with sessions to start again.")
    return text


def _numbers(value: Any, strict: bool = True) -> list[int]:
    """Read request numbers from a multi-select value ("12,13") or a list; raises InvalidInput for junk when strict."""
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        items = []
    numbers = []
    for item in items:
        text = str(item).strip() if isinstance(item, (str, int)) and not isinstance(item, bool) else ""
        if not text:
            continue
        try:
            number = whole_number(text, "request number")
        except InvalidInput:
            number = 0
        if 0 < number < 10**9:
            numbers.append(number)
        elif strict:
            raise InvalidInput(f"The card names an invalid request number: {item!r}.", {"members": "Pick teachers from the list."})
    return numbers


def _keep_typed(card: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Put the date, time and length a TST typed back into a re-shown form."""
    for node in card.get("body", []):
        name = node.get("id")
        if name in ("date", "time", "duration", "joinUrl") and isinstance(values.get(name), str) and values[name].strip():
            node["value"] = values[name].strip()[:2000]
    return card
