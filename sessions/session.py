"""A small-group session (support level 2): who organises it, when, and each invited teacher's response."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.document import VersionedDocument


class SessionStatus(StrEnum):
    # Reserved in storage while the calendar event is being made; never shown to teachers.
    CREATING = "creating"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class Response(StrEnum):
    NONE = "none"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {Response.NONE: "No answer yet", Response.ACCEPTED: "Accepted", Response.DECLINED: "Declined"}[self]


class CalendarKind(StrEnum):
    # An event with a Teams meeting on the organiser's calendar, through Microsoft Graph.
    GRAPH = "graph"
    # No Graph: teachers get an .ics calendar file the bot serves, and the TST's own meeting link.
    FILE = "file"


@dataclass
class Attendee:
    """One invited teacher, through the request that brought them to the session."""

    request: int
    teacher_id: str
    teacher_name: str
    school: str
    email: str = ""
    response: str = Response.NONE.value
    responded_at: str | None = None
    attended: bool | None = None

    @property
    def is_invited(self) -> bool:
        """Return True while the teacher is on the meeting's attendee list (declining removes them)."""
        return self.response != Response.DECLINED.value


@dataclass
class Session(VersionedDocument):
    """One session as stored, keyed by `id`; times are UTC ISO texts and `version` is the storage version."""

    id: str
    topic: str
    category: str
    organizer_id: str
    organizer_name: str
    start: str
    end: str
    timezone: str
    calendar: str
    transaction_id: str
    calendar_key: str
    attendees: list[Attendee]
    status: str = SessionStatus.CREATING.value
    channel: str | None = None
    event_id: str | None = None
    join_url: str = ""
    web_link: str = ""
    # Raised by every change of time or status, so calendar files and stale cards can tell versions apart.
    sequence: int = 0
    # Set while a change waits for Microsoft Graph: {"action", "since", "by"}; other changes wait for it.
    busy: dict[str, str] | None = None
    # The last problem that stopped scheduling, shown to TSTs beside Retry and Discard.
    problem: str = ""
    history: list[dict[str, str]] = field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""
    version: int = 0

    @property
    def state(self) -> SessionStatus:
        return SessionStatus(self.status)

    @property
    def invited(self) -> list[Attendee]:
        return [attendee for attendee in self.attendees if attendee.is_invited]

    def attendee_for(self, teacher_id: str) -> Attendee | None:
        return next((attendee for attendee in self.attendees if attendee.teacher_id == teacher_id), None)

    def attendee_by_request(self, number: int) -> Attendee | None:
        return next((attendee for attendee in self.attendees if attendee.request == number), None)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Session":
        session = super().from_doc(doc)
        session.attendees = [Attendee(**attendee) for attendee in session.attendees]
        return session
