"""The .ics file of a session: UTC times, escaping, line folding, and updates through SEQUENCE and STATUS."""

from datetime import datetime, timezone

from sessions.calendar_file import calendar_file, escape_text, fold_line
from sessions.session import Attendee, Session, SessionStatus

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)


def session(**changes) -> Session:
    values = dict(
        id="7",
        topic="OneNote; sharing, and sections",
        category="onenote",
        organizer_id="tst-1",
        organizer_name="Adele Vance",
        start="2027-01-14T22:30:00Z",
        end="2027-01-14T23:15:00Z",
        timezone="America/Vancouver",
        calendar="file",
        transaction_id="abc123",
        calendar_key="secret",
        attendees=[Attendee(1, "teacher-1", "Alex Wilber", "Anmore Elementary")],
        status=SessionStatus.SCHEDULED.value,
        join_url="https://teams.microsoft.com/l/meetup-join/19%3ameeting_1%40thread.v2/0",
    )
    values.update(changes)
    return Session(**values)


def lines(text: str) -> list[str]:
    assert text.endswith("\r\n")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_file_has_utc_times_and_escaped_text():
    content = lines(calendar_file(session(), NOW, "Topic: notebooks\nBring questions"))

    assert content[0] == "BEGIN:VCALENDAR"
    assert "METHOD:PUBLISH" in content
    assert "DTSTART:20270114T223000Z" in content
    assert "DTEND:20270114T231500Z" in content
    assert "DTSTAMP:20261201T180000Z" in content
    assert "SUMMARY:OneNote\\; sharing\\, and sections" in content
    assert "DESCRIPTION:Topic: notebooks\\nBring questions" in content
    assert "UID:session-7-abc123@pedagogical-helpdesk" in content
    assert "STATUS:CONFIRMED" in content
    assert any(line.startswith("URL:https://teams.microsoft.com/") for line in content)


def test_change_raises_sequence_and_cancel_sets_status():
    moved = lines(calendar_file(session(sequence=1), NOW, ""))
    cancelled = lines(calendar_file(session(sequence=2, status=SessionStatus.CANCELLED.value), NOW, ""))

    assert "SEQUENCE:1" in moved
    assert "SEQUENCE:2" in cancelled
    assert "STATUS:CANCELLED" in cancelled


def test_file_without_link_has_no_url():
    content = lines(calendar_file(session(join_url=""), NOW, ""))

    assert not any(line.startswith(("URL:", "LOCATION:")) for line in content)


def test_long_lines_fold_at_75_octets():
    line = "DESCRIPTION:" + "Élèves 🧑‍🏫 " * 30

    folded = fold_line(line)

    pieces = folded.split("\r\n")
    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert folded.replace("\r\n ", "") == line


def test_escape_text_handles_backslash_first():
    assert escape_text("a\\b;c,d\r\ne") == "a\\\\b\\;c\\,d\\ne"
