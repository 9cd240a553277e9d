"""A site visit (support level 4) or in-class support (level 5): proposed times, the teacher's pick, the booking and the outcome."""

from dataclasses import dataclass, field
from enum import StrEnum

from domain.document import VersionedDocument
from domain.request import Level

VISITS = "visits"


class VisitStatus(StrEnum):
    # The TST proposed times; the teacher has not picked one yet.
    PROPOSED = "proposed"
    # A picked time is being put on the calendars; `busy` says since when.
    BOOKING = "booking"
    BOOKED = "booked"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# Visits that still need the TST or the teacher; a request has at most one.
ACTIVE = (VisitStatus.PROPOSED, VisitStatus.BOOKING, VisitStatus.BOOKED)


class VisitOutcome(StrEnum):
    """What the TST did on the day; it sets the level the request is resolved at and the kind of the teacher touch."""

    VISIT = "visit"
    TEAM_TEACHING = "team_teaching"
    DEMONSTRATION = "demonstration"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]

    @property
    def level(self) -> Level:
        return Level.SITE_VISIT if self is VisitOutcome.VISIT else Level.IN_CLASS


OUTCOME_LABELS = {
    VisitOutcome.VISIT: "Site visit (help at the school)",
    VisitOutcome.TEAM_TEACHING: "Team teaching in the class",
    VisitOutcome.DEMONSTRATION: "Demonstration lesson",
}


@dataclass
class Visit(VersionedDocument):
    """One visit as stored in `visits`, keyed by `id`; times are UTC ISO texts and `version` is the storage version.

    `options` are the proposed times as {"start", "end"}; `chosen` indexes
    the one the teacher picked. `busy` is set while a calendar call runs:
    {"action", "since", "by"}.
    """

    id: str
    request: int
    level: int
    teacher_id: str
    teacher_name: str
    school: str
    organizer_id: str
    organizer_name: str
    options: list[dict[str, str]]
    calendar: str
    calendar_key: str
    status: str = VisitStatus.PROPOSED.value
    note: str = ""
    chosen: int | None = None
    start: str | None = None
    end: str | None = None
    transaction_id: str = ""
    event_id: str | None = None
    web_link: str = ""
    busy: dict[str, str] | None = None
    problem: str = ""
    outcome: str | None = None
    outcome_note: str = ""
    history: list[dict[str, str]] = field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""
    version: int = 0

    @property
    def state(self) -> VisitStatus:
        return VisitStatus(self.status)

    @property
    def kind_label(self) -> str:
        return "in-class support" if self.level == Level.IN_CLASS else "site visit"

