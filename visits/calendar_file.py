"""An iCalendar (RFC 5545) file for a booked visit, for districts without Microsoft Graph.

Times are in UTC, so each calendar shows them in its reader's zone. The UID
stays the same for the visit and SEQUENCE rises when it is cancelled, so
opening the file again updates the entry instead of adding another.
"""

from datetime import datetime, timezone

from domain.clock import from_iso
from sessions.calendar_file import escape_text, fold_line
from visits.visit import Visit, VisitStatus

PRODUCT_ID = "-//Pedagogical Helpdesk//Visits//EN"


def visit_calendar_file(visit: Visit, now: datetime, summary: str, description: str) -> str:
    """Return the visit as an iCalendar text with CRLF line ends; the visit must have a start and an end."""
    cancelled = visit.state is VisitStatus.CANCELLED
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:visit-{visit.id}-{visit.calendar_key[:12]}@pedagogical-helpdesk",
        f"SEQUENCE:{1 if cancelled else 0}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(from_iso(visit.start or ''))}",
        f"DTEND:{_utc(from_iso(visit.end or ''))}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"LOCATION:{escape_text(visit.school)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold_line(line) + "\r\n" for line in lines)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
