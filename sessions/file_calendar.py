"""Session meetings without Microsoft Graph: nothing to call, the bot serves an .ics file instead."""

from collections.abc import Sequence
from datetime import datetime

from sessions.meeting_calendar import CreatedMeeting
from sessions.session import Attendee, CalendarKind, Session


class FileCalendar:
    """Keeps the meeting only in the session; the TST may give a meeting link they made themselves."""

    kind = CalendarKind.FILE.value

    async def addresses(self, attendees: Sequence[Attendee]) -> dict[str, str]:
        return {}

    async def create(self, session: Session, description: str) -> CreatedMeeting:
        return CreatedMeeting(event_id=None, join_url=session.join_url)

    async def move(self, session: Session, start: datetime, end: datetime) -> None:
        return None

    async def set_invited(self, session: Session, invited: Sequence[Attendee]) -> None:
        return None

    async def cancel(self, session: Session, comment: str) -> None:
        return None

    async def close(self) -> None:
        return None

    async def responses(self, session: Session) -> dict[str, str]:
        return {}
