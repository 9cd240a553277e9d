"""The calendar behind a session's meeting: an Outlook event through Microsoft Graph, or only a calendar file."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sessions.session import Attendee, Session


@dataclass(frozen=True)
class CreatedMeeting:
    event_id: str | None
    join_url: str
    web_link: str = ""


class MeetingCalendar(Protocol):
    """The calendar operations a session needs; each raises a HelpdeskError (e.g. a GraphError) on failure."""

    kind: str

    async def addresses(self, attendees: Sequence[Attendee]) -> dict[str, str]:
        """Return each attendee's email address by teacher id."""

    async def create(self, session: Session, description: str) -> CreatedMeeting:
        """Create the meeting and invite `session.invited`."""

    async def move(self, session: Session, start: datetime, end: datetime) -> None:
        """Move the meeting to a new start and end."""

    async def set_invited(self, session: Session, invited: Sequence[Attendee]) -> None:
        """Make `invited` the meeting's whole attendee list."""

    async def cancel(self, session: Session, comment: str) -> None:
        """Cancel the meeting and tell its attendees `comment`."""

    async def responses(self, session: Session) -> dict[str, str]:
        """Return the attendees' responses ("accepted", "declined", ...) by lower-cased email address."""

    async def close(self) -> None:
        """Release connections, if any."""
