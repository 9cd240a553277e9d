"""A teacher's help request, its lifecycle and the ladder of support levels."""

from dataclasses import asdict, dataclass, field, fields
from enum import IntEnum, StrEnum
from typing import Any

from domain.document import VersionedDocument


class Status(StrEnum):
    NEW = "new"
    SUGGESTED = "suggested"
    AWAITING_TRIAGE = "awaiting_triage"
    ROUTED = "routed"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    WAITING_ON_TEACHER = "waiting_on_teacher"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self not in (Status.RESOLVED, Status.CLOSED)


STATUS_LABELS = {
    Status.NEW: "New",
    Status.SUGGESTED: "Answers suggested",
    Status.AWAITING_TRIAGE: "Waiting for triage",
    Status.ROUTED: "Waiting for a TST",
    Status.CLAIMED: "Claimed",
    Status.IN_PROGRESS: "In progress",
    Status.WAITING_ON_TEACHER: "Waiting on you",
    Status.ESCALATED: "Escalated",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}


class Level(IntEnum):
    SELF_HELP = 0
    REMOTE = 1
    SMALL_GROUP = 2
    CHAMPION = 3
    SITE_VISIT = 4
    IN_CLASS = 5

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    Level.SELF_HELP: "Level 0 · self-help",
    Level.REMOTE: "Level 1 · remote help",
    Level.SMALL_GROUP: "Level 2 · small group",
    Level.CHAMPION: "Level 3 · Technology Champion",
    Level.SITE_VISIT: "Level 4 · site visit",
    Level.IN_CLASS: "Level 5 · in class",
}


class Scope(StrEnum):
    ONE_TO_ONE = "one_to_one"
    SMALL_GROUP = "small_group"
    TEAM = "team"
    WHOLE_STAFF = "whole_staff"

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self]


SCOPE_LABELS = {
    Scope.ONE_TO_ONE: "Just me (one-to-one)",
    Scope.SMALL_GROUP: "A few colleagues (small group)",
    Scope.TEAM: "My grade or department team",
    Scope.WHOLE_STAFF: "Our whole staff",
}


class Urgency(StrEnum):
    WHENEVER = "whenever"
    THIS_WEEK = "this_week"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return URGENCY_LABELS[self]


URGENCY_LABELS = {
    Urgency.WHENEVER: "When someone is free",
    Urgency.THIS_WEEK: "This week",
    Urgency.URGENT: "Urgent: it is blocking my class",
}


@dataclass
class Request(VersionedDocument):
    """One teacher's request for help, as stored."""

    number: int
    teacher_id: str
    teacher_name: str
    category: str
    description: str
    scope: str
    school: str
    grade: str = ""
    subject: str = ""
    urgency: str = Urgency.WHENEVER.value
    preferred_dates: str = ""
    status: str = Status.NEW.value
    level: int | None = None
    channel: str | None = None
    queue: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    suggested_articles: list[str] = field(default_factory=list)
    resolved_article: str | None = None
    resolution_note: str | None = None
    rating: int | None = None
    merged_into: int | None = None
    related: list[int] = field(default_factory=list)
    intake_id: str | None = None
    created_at: str = ""
    updated_at: str = ""
    resolved_at: str | None = None
    first_response_at: str | None = None
    queued_at: str | None = None
    waiting_since: str | None = None
    version: int = 0

    @property
    def key(self) -> str:
        return str(self.number)

    @property
    def reference(self) -> str:
        """Return the number teachers and TSTs quote, e.g. '#42'."""
        return f"#{self.number}"

    @property
    def state(self) -> Status:
        return Status(self.status)



@dataclass(frozen=True)
class Event:
    """One change in a request's history: who did what, when, and the fields before and after."""

    request: int
    seq: int
    type: str
    actor_id: str
    actor_name: str
    at: str
    before: dict[str, Any]
    after: dict[str, Any]
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.request}-{self.seq:05d}"

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Event":
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in doc.items() if name in known})


@dataclass(frozen=True)
class Touch:
    """One recorded support interaction with one teacher, the unit the district reports on."""

    request: int
    seq: int
    teacher_id: str
    school: str
    category: str
    level: int
    kind: str
    at: str
    by_id: str

    @property
    def key(self) -> str:
        return f"{self.request}-{self.seq:05d}"

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)
