"""Small-group sessions (support level 2): grouping requests, scheduling meetings, responses and attendance."""

from sessions.calendar_file import calendar_file
from sessions.file_calendar import FileCalendar
from sessions.graph_calendar import GraphCalendar
from sessions.grouping import Proposal, propose_groups, school_level
from sessions.local_time import checked_duration, parse_local_start, session_time_text
from sessions.meeting_calendar import CreatedMeeting, MeetingCalendar
from sessions.planner import MEMBERS, SESSIONS, SessionPlanner
from sessions.session import Attendee, CalendarKind, Response, Session, SessionStatus

__all__ = [
    "MEMBERS",
    "SESSIONS",
    "Attendee",
    "CalendarKind",
    "CreatedMeeting",
    "FileCalendar",
    "GraphCalendar",
    "MeetingCalendar",
    "Proposal",
    "Response",
    "Session",
    "SessionPlanner",
    "SessionStatus",
    "calendar_file",
    "checked_duration",
    "parse_local_start",
    "propose_groups",
    "school_level",
    "session_time_text",
]
