"""Session meetings as Outlook events with Teams meetings on the organising TST's calendar, through Microsoft Graph."""

import asyncio
from collections.abc import Sequence
from datetime import datetime

from domain.clock import from_iso
from domain.errors import InvalidInput
from graph import GraphClient, GraphNotFound, GraphRequestError
from sessions.meeting_calendar import CreatedMeeting
from sessions.session import Attendee, CalendarKind, Session


class GraphCalendar:
    """Creates, moves and cancels the organiser's event; Outlook sends the attendees their invitations."""

    kind = CalendarKind.GRAPH.value

    def __init__(self, graph: GraphClient):
        self.graph = graph

    async def addresses(self, attendees: Sequence[Attendee]) -> dict[str, str]:
        """Look up the teachers' email addresses in the directory, all at once; raises InvalidInput for someone without one."""
        found = await asyncio.gather(*(self._address(attendee) for attendee in attendees))
        return {attendee.teacher_id: address for attendee, address in zip(attendees, found)}

    async def _address(self, attendee: Attendee) -> str:
        try:
            user = await self.graph.get_user(attendee.teacher_id)
        except (GraphNotFound, GraphRequestError) as error:
            raise InvalidInput(
                f"{attendee.teacher_name} ({attendee.school}) was not found in Microsoft 365, so they cannot be invited. "
                "Take them out of the group and help them one-to-one."
            ) from error
        address = user.get("mail") or user.get("userPrincipalName")
        if not address:
            raise InvalidInput(f"{attendee.teacher_name} has no email address in Microsoft 365, so they cannot be invited.")
        return address

    async def create(self, session: Session, description: str) -> CreatedMeeting:
        event = await self.graph.create_meeting(
            session.organizer_id,
            session.topic,
            description,
            from_iso(session.start),
            from_iso(session.end),
            _people(session.invited),
            session.transaction_id,
        )
        meeting = event.get("onlineMeeting") if isinstance(event.get("onlineMeeting"), dict) else {}
        return CreatedMeeting(event_id=event["id"], join_url=meeting.get("joinUrl") or "", web_link=event.get("webLink") or "")

    async def move(self, session: Session, start: datetime, end: datetime) -> None:
        await self.graph.reschedule(session.organizer_id, _event_id(session), start, end)

    async def set_invited(self, session: Session, invited: Sequence[Attendee]) -> None:
        await self.graph.set_attendees(session.organizer_id, _event_id(session), _people(invited))

    async def cancel(self, session: Session, comment: str) -> None:
        await self.graph.cancel_event(session.organizer_id, _event_id(session), comment)

    async def close(self) -> None:
        await self.graph.close()

    async def responses(self, session: Session) -> dict[str, str]:
        event = await self.graph.get_event(session.organizer_id, _event_id(session))
        answers = {}
        for attendee in event.get("attendees", []):
            address = (attendee.get("emailAddress") or {}).get("address", "")
            answers[address.lower()] = (attendee.get("status") or {}).get("response", "none")
        return answers


def _people(attendees: Sequence[Attendee]) -> list[tuple[str, str]]:
    return [(attendee.email, attendee.teacher_name) for attendee in attendees]


def _event_id(session: Session) -> str:
    if not session.event_id:
        raise GraphNotFound("This session has no meeting in Outlook yet.")
    return session.event_id
