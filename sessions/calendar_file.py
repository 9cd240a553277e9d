"""An iCalendar (RFC 5545) file for a session, for districts that run the bot without Microsoft Graph.

The file is a published event (METHOD:PUBLISH) with times in UTC, so
Outlook and other calendars show it in each reader's own zone. Its UID stays
the same and its SEQUENCE rises with each change, so opening the file again
after a reschedule or a cancellation updates the entry already in the
calendar instead of adding a second one.
"""

from datetime import datetime, timezone

from domain.clock import from_iso
from sessions.session import Session, SessionStatus

PRODUCT_ID = "-//Pedagogical Helpdesk//Small-group sessions//EN"
MAX_LINE_OCTETS = 75


def calendar_file(session: Session, now: datetime, description: str) -> str:
    """Return the session as an iCalendar text with CRLF line ends."""
    status = "CANCELLED" if session.state is SessionStatus.CANCELLED else "CONFIRMED"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:session-{session.id}-{session.transaction_id}@pedagogical-helpdesk",
        f"SEQUENCE:{session.sequence}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(from_iso(session.start))}",
        f"DTEND:{_utc(from_iso(session.end))}",
        f"SUMMARY:{escape_text(session.topic)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"STATUS:{status}",
    ]
    if session.join_url:
        lines.append(f"LOCATION:{escape_text('Microsoft Teams meeting')}")
        lines.append(f"URL:{session.join_url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold_line(line) + "\r\n" for line in lines)


def escape_text(text: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold_line(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, never splitting a UTF-8 character."""
    pieces: list[str] = []
    current, size = "", 0
    limit = MAX_LINE_OCTETS
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            # Each continuation line starts with a space, which counts towards its 75 octets.
            current, size, limit = character, width, MAX_LINE_OCTETS - 1
        else:
            current += character
            size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
