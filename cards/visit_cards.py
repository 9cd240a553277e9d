"""Cards for site visits and in-class support: the TST's planning card and the teacher's time picker.

Names and notes go into TextRuns, or through `literal()` in FactSets, so
markdown in them cannot add links.
"""

from datetime import datetime
from typing import Any

from cards.builders import literal, with_fallbacks
from cards.templates import render
from domain.catalogue import Catalogue
from domain.clock import load_zone
from domain.request import Level, Request
from visits.visit import Visit, VisitOutcome, VisitStatus

DURATIONS = (45, 60, 90, 120, 180, 240)
STATUS_LABELS = {
    VisitStatus.PROPOSED: "Times sent; waiting for the teacher to pick one",
    VisitStatus.BOOKING: "Being put on the calendars",
    VisitStatus.BOOKED: "Booked",
    VisitStatus.COMPLETED: "Done",
    VisitStatus.CANCELLED: "Cancelled",
}


def visit_plan_card(
    request: Request,
    visit: Visit | None,
    catalogue: Catalogue,
    timezone: str,
    now: datetime,
    times: list[str],
    duration: int,
    uses_graph: bool,
    notice: str = "",
) -> dict[str, Any]:
    """Build the TST thread's card for a level-4 or 5 request: propose times, then record or cancel the visit.

    `times` are the visit's proposed times (or its booked time) as local text.
    """
    kind = "in-class support" if request.level == Level.IN_CLASS else "a site visit"
    state = visit.state if visit else None
    facts: list[tuple[str, str]] = []
    if visit is not None:
        facts.append(("Status", STATUS_LABELS[visit.state]))
        label = "Time" if visit.start else "Proposed"
        facts += [(label, text) for text in times]
        facts.append(("TST", literal(visit.organizer_name)))
        if visit.outcome:
            facts.append(("Done", VisitOutcome(visit.outcome).label))
    calendar_note = "Outlook invites the teacher from your calendar." if uses_graph else "Without Microsoft Graph, the teacher gets a link to a calendar file."
    active = state in (VisitStatus.PROPOSED, VisitStatus.BOOKED)
    data = {
        "title": f"Plan {kind} for request {request.reference}",
        "subtitle": f"{catalogue.name_of(request.category)} · {request.teacher_name}, {request.school} · {calendar_note}",
        "notice": notice,
        "facts": [{"title": title, "value": value} for title, value in facts],
        "problem": visit.problem if visit is not None and state is VisitStatus.PROPOSED else "",
        "canPropose": request.state.is_open and state in (None, VisitStatus.PROPOSED, VisitStatus.CANCELLED, VisitStatus.COMPLETED),
        "proposeTitle": "Propose other times" if state is VisitStatus.PROPOSED else "Propose times",
        "timezone": timezone,
        "today": now.astimezone(load_zone(timezone)).date().isoformat(),
        "duration": str(duration),
        "durations": [{"title": f"{minutes} minutes", "value": str(minutes)} for minutes in sorted({*DURATIONS, duration})],
        "canRecord": state is VisitStatus.BOOKED,
        "defaultOutcome": VisitOutcome.VISIT.value if request.level != Level.IN_CLASS else VisitOutcome.TEAM_TEACHING.value,
        "outcomes": [{"title": outcome.label, "value": outcome.value} for outcome in VisitOutcome],
        "canCancel": active,
        "cancelTitle": "Cancel the visit" if state is VisitStatus.BOOKED else "Withdraw the times",
        "visitId": visit.id if visit else "",
        "number": request.number,
    }
    return with_fallbacks(render("visit_plan", data))


def visit_options_card(
    visit: Visit,
    request: Request,
    catalogue: Catalogue,
    times: list[str],
    ics_url: str = "",
    web_link: str = "",
    notice: str = "",
) -> dict[str, Any]:
    """Build the teacher's card: pick one of the proposed times, or see the booked one.

    `times` are the proposed times as local text, or the one booked time.
    """
    state = visit.state
    choosing = state is VisitStatus.PROPOSED
    if choosing:
        title = f"Pick a time for your {visit.kind_label} (request #{visit.request})"
        message = f"{visit.organizer_name} can come to {visit.school} at one of these times. Pick the one that suits you."
    elif state is VisitStatus.BOOKED:
        title = f"Your {visit.kind_label} is booked (request #{visit.request})"
        message = f"{visit.organizer_name} comes to {visit.school} on {times[0]}. You will get a reminder the day before."
    elif state is VisitStatus.CANCELLED:
        title = f"Your {visit.kind_label} is cancelled (request #{visit.request})"
        message = "Your Technology Support Teacher will be in touch about what happens next."
    else:
        title = f"Your {visit.kind_label} (request #{visit.request})"
        message = STATUS_LABELS[state] + "."
    data = {
        "title": title,
        "message": message,
        "facts": [
            {"title": "Category", "value": catalogue.name_of(request.category)},
            {"title": "Technology Support Teacher", "value": literal(visit.organizer_name)},
            {"title": "School", "value": literal(visit.school)},
        ],
        "note": visit.note,
        "notice": notice,
        "canChoose": choosing,
        "options": [{"title": text, "value": str(index)} for index, text in enumerate(times)] if choosing else [],
        "visitId": visit.id,
        "icsUrl": ics_url if state is VisitStatus.BOOKED else "",
        "webLink": web_link if state is VisitStatus.BOOKED else "",
    }
    return with_fallbacks(render("visit_options", data))
