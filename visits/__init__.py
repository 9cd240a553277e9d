"""Site visits (support level 4) and in-class support (level 5): proposed times, booking, reminders and outcomes."""

from visits.calendar_file import visit_calendar_file
from visits.planner import VisitPlanner
from visits.visit import ACTIVE, VISITS, Visit, VisitOutcome, VisitStatus
from visits.visit_calendar import CreatedEvent, FileVisitCalendar, GraphVisitCalendar, VisitCalendar

__all__ = [
    "ACTIVE",
    "VISITS",
    "CreatedEvent",
    "FileVisitCalendar",
    "GraphVisitCalendar",
    "Visit",
    "VisitCalendar",
    "VisitOutcome",
    "VisitPlanner",
    "VisitStatus",
    "visit_calendar_file",
]
