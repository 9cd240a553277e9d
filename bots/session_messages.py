"""Delivers the outbox messages of small-group sessions: invitations, changes, cancellations, no-show offers and responses.

Each card is built from the session as it is at delivery, so a late
invitation shows the latest time. An invitation or a new time for a session
that was cancelled, or for a teacher who declined, is skipped.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bots.messenger import DeliveryError, TeamsMessenger
from cards import notice_card, session_follow_up_card, session_invitation_card
from cards.session_cards import responses_text
from dialogs.context import Services
from domain.errors import NotFound
from sessions import SessionStatus

logger = logging.getLogger(__name__)

SESSION_KINDS = frozenset({"session_invitation", "session_changed", "session_cancelled", "session_missed", "session_response"})
CARD_KINDS = {"session_invitation": "invitation", "session_changed": "changed", "session_cancelled": "cancelled"}


async def deliver_session_message(
    services: Services,
    messenger: TeamsMessenger,
    entry: dict[str, Any],
    contact: Callable[[str], Awaitable[dict[str, Any]]],
) -> None:
    """Send one session outbox entry; raises DeliveryError, permanent when retrying cannot help."""
    planner = services.sessions
    if planner is None:
        raise DeliveryError("small-group sessions are not set up", permanent=True)
    try:
        session = await planner.get(entry["session"])
    except NotFound as error:
        raise DeliveryError(f"session {entry['session']} was not found", permanent=True) from error
    kind = entry["kind"]
    if kind == "session_response":
        await _tell_organizer(services, messenger, session, entry)
        return

    attendee = session.attendee_by_request(entry["request"])
    if attendee is None:
        raise DeliveryError(f"request {entry['request']} is not in session {session.id}", permanent=True)
    if kind in ("session_invitation", "session_changed") and (session.state is not SessionStatus.SCHEDULED or not attendee.is_invited):
        logger.info("session %s: %s for request %d skipped because the session or the response changed", session.id, kind, attendee.request)
        return
    if kind == "session_missed":
        card = session_follow_up_card(session, attendee)
    else:
        card = session_invitation_card(session, attendee, CARD_KINDS[kind], planner.calendar_url(session), entry.get("comment", ""))
    await messenger.send_to_person(await contact(attendee.teacher_id), card)


async def _tell_organizer(services: Services, messenger: TeamsMessenger, session, entry: dict[str, Any]) -> None:
    """Tell the organiser who responded: in their personal chat, or else in the TST channel of the session's requests."""
    verb = "accepted" if entry.get("response") == "accepted" else "declined"
    card = notice_card(
        f"{entry.get('teacher', 'A teacher')} {verb} your small-group session",
        f"{session.topic}, {services.sessions.time_text(session)}. So far: {responses_text(session)}.",
    )
    organizer = await services.people.get(session.organizer_id)
    if organizer and organizer.get("contact") and not organizer.get("unreachable"):
        await messenger.send_to_person(organizer["contact"], card)
        return
    channel = services.settings.tst_channel(session.channel or "")
    if channel is None:
        raise DeliveryError(f"organiser {session.organizer_id} of session {session.id} has no personal chat and the session no TST channel", permanent=True)
    await messenger.post_to_channel(channel, card)
