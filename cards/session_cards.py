"""Cards for small-group sessions: the TSTs' overview, plan and manage cards, and the teachers' invitation.

Text that people typed (topics, names, descriptions) goes into TextRuns, or
through `literal()` in FactSets, so markdown in it cannot add links.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cards.builders import literal, with_fallbacks
from cards.templates import render
from domain.catalogue import Catalogue
from domain.clock import from_iso, load_zone
from domain.request import Request
from sessions.grouping import Proposal
from sessions.local_time import session_time_text
from sessions.session import Attendee, CalendarKind, Response, Session, SessionStatus

MAX_PROPOSALS_SHOWN = 5
MAX_SESSIONS_SHOWN = 6
# The overview names this many teachers of each proposal; the plan form lists them all.
MEMBERS_SHOWN = 6
OVERVIEW_DESCRIPTION_CHARS = 60
HISTORY_SHOWN = 5
DESCRIPTION_CHARS = 90
DURATIONS = (30, 45, 60, 90)
# The start time the plan form suggests: just after the sample district's school day ends at 15:00.
DEFAULT_START = "15:30"
# The plan form lists at most this many requests of the category, ticked ones first, to stay well under 28 KB.
MAX_PLAN_CHOICES = 30
HISTORY_NOTE_CHARS = 200
STATUS_LABELS = {
    SessionStatus.CREATING: "Being scheduled",
    SessionStatus.SCHEDULED: "Scheduled",
    SessionStatus.CANCELLED: "Cancelled",
    SessionStatus.COMPLETED: "Completed",
}
ACTION_LABELS = {
    "created": "reserved the group",
    "scheduled": "scheduled it",
    "rescheduled": "moved it",
    "cancelled": "cancelled it",
    "accepted": "accepted",
    "declined": "declined",
    "attendance": "recorded attendance",
}


def sessions_overview_card(
    proposals: Sequence[Proposal],
    sessions: Sequence[Session],
    interrupted: Sequence[Session],
    catalogue: Catalogue,
    waiting: int,
    notice: str = "",
) -> dict[str, Any]:
    """Build the TST channel's view: sessions that need attention, scheduled sessions, then proposed groups."""
    shown_proposals = list(proposals)[:MAX_PROPOSALS_SHOWN]
    shown_sessions = list(sessions)[:MAX_SESSIONS_SHOWN]
    hidden = len(proposals) - len(shown_proposals) + len(sessions) - len(shown_sessions)
    data = {
        "summary": (
            f"{len(sessions)} scheduled, {len(proposals)} proposed groups from {waiting} waiting level-2 requests. "
            "A proposal groups requests of one category with similar questions."
        ),
        "notice": notice,
        "interrupted": [
            {"id": session.id, "title": session.topic, "line": f"{_time(session)} · scheduling stopped: {session.problem or 'the bot stopped before it finished.'}"}
            for session in interrupted
        ],
        "sessions": [
            {"id": session.id, "title": session.topic, "line": f"{_time(session)} · {responses_text(session)} · led by {session.organizer_name}", "joinUrl": session.join_url}
            for session in shown_sessions
        ],
        "proposals": [_proposal_data(proposal, catalogue) for proposal in shown_proposals],
        "more": f"{hidden} more not shown; schedule or cancel some to see them." if hidden > 0 else "",
    }
    return with_fallbacks(render("sessions_overview", data))


def session_plan_card(
    category_name: str,
    choices: Sequence[Request],
    selected: Sequence[int],
    topic: str,
    timezone: str,
    now: datetime,
    uses_graph: bool,
    duration: int,
    category: str = "",
    notice: str = "",
) -> dict[str, Any]:
    """Build the form that schedules a session: topic, teachers, local date and time, and length."""
    today = now.astimezone(load_zone(timezone)).date().isoformat()
    explanation = (
        "Microsoft 365 creates a Teams meeting on your calendar and sends each teacher an Outlook invitation. "
        "Each teacher also gets a card here to accept or decline."
        if uses_graph
        else "Microsoft Graph is not set up, so each teacher gets a card with the time, your meeting link and a calendar file."
    )
    data = {
        "subtitle": f"{category_name} · times in {timezone}",
        "notice": notice,
        "topic": topic,
        "choices": [{"title": _request_line(request), "value": str(request.number)} for request in _plan_choices(choices, selected)],
        "selected": ",".join(str(number) for number in selected),
        "timezone": timezone,
        "today": today,
        "date": today,
        "time": DEFAULT_START,
        "duration": str(duration),
        "durations": _durations(duration),
        "askJoinUrl": not uses_graph,
        "howText": explanation,
        "category": category,
    }
    return with_fallbacks(render("session_plan", data))


def session_manage_card(
    session: Session,
    catalogue: Catalogue,
    now: datetime,
    interrupted: bool = False,
    ics_url: str = "",
    notice: str = "",
) -> dict[str, Any]:
    """Build a TST's card for one session: time, responses, history, and the actions its status allows."""
    state = session.state
    zone = load_zone(session.timezone)
    start = from_iso(session.start)
    minutes = int((from_iso(session.end) - start).total_seconds() // 60)
    meeting = (
        "Teams meeting in Outlook" if session.calendar == CalendarKind.GRAPH.value and session.event_id
        else "Link from the organiser" if session.join_url
        else "No meeting link"
    )
    facts = [
        ("When", _time(session)),
        ("Category", catalogue.name_of(session.category)),
        ("Meeting", meeting),
    ]
    scheduled = state is SessionStatus.SCHEDULED
    data = {
        "id": session.id,
        "topic": session.topic,
        "subtitle": f"Session {session.id} · {STATUS_LABELS[state]} · led by {session.organizer_name}",
        "notice": notice or (session.problem if interrupted else ""),
        "facts": [{"title": title, "value": value} for title, value in facts],
        "answersTitle": f"Teachers: {responses_text(session)}",
        "attendees": [{"name": attendee.teacher_name, "line": _attendee_line(attendee)} for attendee in session.attendees],
        "history": [{"line": _history_line(entry, zone)} for entry in session.history[-HISTORY_SHOWN:]],
        "joinUrl": session.join_url if scheduled else "",
        "icsUrl": ics_url if scheduled and session.calendar == CalendarKind.FILE.value else "",
        "canChange": scheduled,
        "canMarkAttendance": scheduled and now >= start,
        "canRefresh": scheduled and session.calendar == CalendarKind.GRAPH.value,
        "interrupted": interrupted,
        "timezone": session.timezone,
        "today": now.astimezone(zone).date().isoformat(),
        "date": start.astimezone(zone).date().isoformat(),
        "time": start.astimezone(zone).strftime("%H:%M"),
        "duration": str(minutes),
        "durations": _durations(minutes),
        "invitedChoices": [{"title": f"{attendee.teacher_name} (#{attendee.request})", "value": str(attendee.request)} for attendee in session.invited],
        "allInvited": ",".join(str(attendee.request) for attendee in session.invited),
    }
    return with_fallbacks(render("session_manage", data))


def session_invitation_card(session: Session, attendee: Attendee, kind: str, ics_url: str = "", comment: str = "") -> dict[str, Any]:
    """Build a teacher's card about a session. `kind` is invitation, changed, cancelled or responded."""
    scheduled = session.state is SessionStatus.SCHEDULED
    invited = attendee.is_invited
    titles = {
        "invitation": "You're invited to a small-group session",
        "changed": "Your small-group session has a new time",
        "cancelled": "Your small-group session is cancelled",
        "responded": "Your small-group session",
    }
    if kind == "cancelled":
        message = comment or f"{session.organizer_name} cancelled it. Your request is back with the helpdesk team, who will offer you another session."
    elif session.calendar == CalendarKind.GRAPH.value:
        message = f"{session.organizer_name} runs this session for teachers who asked for help with the same thing. The Outlook invitation has the same link."
    else:
        message = f"{session.organizer_name} runs this session for teachers who asked for help with the same thing. Add it to your calendar with the button below."
    responses = {
        Response.ACCEPTED.value: "You accepted. See you there!",
        Response.DECLINED.value: "You declined, so your request went back to the helpdesk team.",
    }
    facts = [
        ("Topic", literal(session.topic)),
        ("When", _time(session)),
        ("Led by", literal(session.organizer_name)),
        ("Your request", f"#{attendee.request}"),
    ]
    data = {
        "id": session.id,
        "sequence": session.sequence,
        "title": titles[kind],
        "message": message,
        "facts": [{"title": title, "value": value} for title, value in facts],
        "responseText": responses.get(attendee.response, "") if kind != "cancelled" else "",
        "joinUrl": session.join_url if scheduled and invited else "",
        "icsUrl": ics_url if invited and session.state in (SessionStatus.SCHEDULED, SessionStatus.CANCELLED) else "",
        "canAccept": scheduled and attendee.response == Response.NONE.value,
        "canDecline": scheduled and invited,
    }
    return with_fallbacks(render("session_invitation", data))


def session_follow_up_card(session: Session, attendee: Attendee, can_choose: bool = True) -> dict[str, Any]:
    """Build the card for a teacher who missed a session: a later session, or one-to-one help."""
    data = {
        "title": "You missed the small-group session",
        "message": (
            "No problem. Would you like to join a later session on the same topic, "
            "or get one-to-one help from a Technology Support Teacher instead?"
        ),
        "facts": [
            {"title": "Topic", "value": literal(session.topic)},
            {"title": "When", "value": _time(session)},
            {"title": "Your request", "value": f"#{attendee.request}"},
        ],
        "number": attendee.request,
        "canChoose": can_choose,
    }
    return with_fallbacks(render("session_follow_up", data))


def responses_text(session: Session) -> str:
    """Return e.g. '2 accepted, 1 declined, 1 no answer'."""
    counts = {response: 0 for response in Response}
    for attendee in session.attendees:
        counts[Response(attendee.response)] += 1
    return f"{counts[Response.ACCEPTED]} accepted, {counts[Response.DECLINED]} declined, {counts[Response.NONE]} no answer"


def _proposal_data(proposal: Proposal, catalogue: Catalogue) -> dict[str, Any]:
    parts = [catalogue.name_of(proposal.category)]
    if proposal.school_level:
        parts.append(f"{proposal.school_level} teachers")
    parts.append(f"{len(proposal.requests)} requests" + (" with similar questions" if proposal.similar else ""))
    shown = proposal.requests[:MEMBERS_SHOWN]
    hidden = len(proposal.requests) - len(shown)
    return {
        "title": " · ".join(parts),
        "members": [
            {"reference": request.reference, "line": _request_line(request, with_reference=False, limit=OVERVIEW_DESCRIPTION_CHARS)} for request in shown
        ],
        "moreMembers": f"and {hidden} more" if hidden else "",
        "category": proposal.category,
        "numbers": proposal.numbers,
    }


def _request_line(request: Request, with_reference: bool = True, limit: int = DESCRIPTION_CHARS) -> str:
    description = " ".join(request.description.split())
    if len(description) > limit:
        description = description[: limit - 1].rstrip() + "…"
    line = f"{request.teacher_name}, {request.school}: {description}"
    return f"{request.reference} {line}" if with_reference else line


def _plan_choices(choices: Sequence[Request], selected: Sequence[int]) -> list[Request]:
    ticked = [request for request in choices if request.number in selected]
    others = [request for request in choices if request.number not in selected]
    return (ticked + others)[:MAX_PLAN_CHOICES]


def _attendee_line(attendee: Attendee) -> str:
    parts = [attendee.school, f"#{attendee.request}", Response(attendee.response).label]
    if attendee.attended is not None:
        parts.append("attended" if attendee.attended else "did not attend")
    return " · ".join(parts)


def _history_line(entry: dict[str, str], zone) -> str:
    when = from_iso(entry["at"]).astimezone(zone).strftime("%b %-d, %-I:%M %p")
    action = ACTION_LABELS.get(entry.get("action", ""), entry.get("action", ""))
    text = entry.get("note") or ""
    if len(text) > HISTORY_NOTE_CHARS:
        text = text[: HISTORY_NOTE_CHARS - 1] + "…"
    note = f": {text}" if text else ""
    return f"{when} {entry.get('by_name', '')} {action}{note}"


def _time(session: Session) -> str:
    return session_time_text(session.start, session.end, session.timezone)


def _durations(current: int) -> list[dict[str, str]]:
    values = sorted({*DURATIONS, current})
    return [{"title": f"{minutes} minutes", "value": str(minutes)} for minutes in values]
