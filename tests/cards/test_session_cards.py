"""Session cards against the Adaptive Cards 1.5 schema, Teams' size limit, accessibility and markdown injection.

The cards are built from worst-case content: the most proposals and sessions
a card shows, full groups, 120-character topics and long notes.
"""

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from cards.session_cards import (
    MAX_PLAN_CHOICES,
    MAX_PROPOSALS_SHOWN,
    MAX_SESSIONS_SHOWN,
    session_follow_up_card,
    session_invitation_card,
    session_manage_card,
    session_plan_card,
    sessions_overview_card,
)
from domain.request import Request, Status
from sessions.grouping import Proposal
from sessions.session import Attendee, Response, Session, SessionStatus
from tests.cards.test_card_schema import (  # noqa: F401 (settings and validator are fixtures)
    INJECTION,
    MAX_CARD_BYTES,
    deepest_errors,
    gathering_scopes,
    long_text,
    of_type,
    settings,
    shows_literally,
    unsafe_markdown,
    validator,
)

NOW = datetime(2027, 1, 15, 0, 0, tzinfo=timezone.utc)
GROUP = 12


def request(number: int, **changes: Any) -> Request:
    values = dict(
        number=number,
        teacher_id=f"teacher-{number}",
        teacher_name="Alexandra Wilber-Montgomery",
        category="onenote",
        description=long_text(4000),
        scope="small_group",
        school="École Dr. Charles Best Secondary",
        status=Status.ESCALATED.value,
        level=2,
        created_at="2026-12-01T17:00:00Z",
    )
    values.update(changes)
    return Request(**values)


def session(number: int = 7, state: SessionStatus = SessionStatus.SCHEDULED, **changes: Any) -> Session:
    attendees = [
        Attendee(100 + index, f"teacher-{index}", "Alexandra Wilber-Montgomery", "École Dr. Charles Best Secondary", "a@example.org", response)
        for index, response in enumerate([Response.ACCEPTED.value, Response.DECLINED.value] + [Response.NONE.value] * (GROUP - 2))
    ]
    history = [{"at": "2027-01-10T18:00:00Z", "by": "tst", "by_name": "Adele Vance-Richardson", "action": "cancelled", "note": long_text(4000)}] * 8
    values = dict(
        id=str(number),
        topic=long_text(120),
        category="onenote",
        organizer_id="tst",
        organizer_name="Adele Vance-Richardson",
        start="2027-01-14T22:30:00Z",
        end="2027-01-14T23:15:00Z",
        timezone="America/Vancouver",
        calendar="graph",
        transaction_id="tx",
        calendar_key="key",
        attendees=attendees,
        status=state.value,
        event_id="AAMkAGI2TG93AAA=",
        join_url="https://teams.microsoft.com/l/meetup-join/19%3ameeting_" + "a1b2c3d4" * 20 + "%40thread.v2/0",
        problem=long_text(300) if state is SessionStatus.CREATING else "",
        history=history,
    )
    values.update(changes)
    return Session(**values)


def build_cases(settings) -> dict[str, dict[str, Any]]:
    catalogue = settings.catalogue
    proposals = [
        Proposal("onenote", "secondary", tuple(request(number * 100 + index) for index in range(GROUP)), bool(number % 2))
        for number in range(MAX_PROPOSALS_SHOWN + 2)
    ]
    sessions = [session(number) for number in range(MAX_SESSIONS_SHOWN + 3)]
    interrupted = [session(50 + number, SessionStatus.CREATING) for number in range(3)]
    choices = [request(number) for number in range(MAX_PLAN_CHOICES + 10)]
    scheduled = session()
    return {
        "overview-full": sessions_overview_card(proposals, sessions, interrupted, catalogue, 200, notice=long_text(300)),
        "overview-empty": sessions_overview_card([], [], [], catalogue, 0),
        "plan-graph": session_plan_card("OneNote Class Notebook", choices, [3, 4, 5], long_text(120), "America/Vancouver", NOW, True, 45, category="onenote"),
        "plan-file-notice": session_plan_card("OneNote Class Notebook", choices, [], "Notebooks", "America/Vancouver", NOW, False, 50, category="onenote", notice=long_text(400)),
        "manage-scheduled": session_manage_card(scheduled, catalogue, NOW, ics_url="https://helpdesk.example/sessions/7/calendar.ics?key=k"),
        "manage-before-start": session_manage_card(scheduled, catalogue, datetime(2027, 1, 1, tzinfo=timezone.utc)),
        "manage-interrupted": session_manage_card(session(state=SessionStatus.CREATING), catalogue, NOW, interrupted=True),
        "manage-completed": session_manage_card(session(state=SessionStatus.COMPLETED), catalogue, NOW),
        "invitation": session_invitation_card(scheduled, scheduled.attendees[2], "invitation", ics_url="https://helpdesk.example/x.ics"),
        "invitation-accepted": session_invitation_card(scheduled, scheduled.attendees[0], "responded"),
        "invitation-declined": session_invitation_card(scheduled, scheduled.attendees[1], "responded"),
        "invitation-changed": session_invitation_card(scheduled, scheduled.attendees[2], "changed"),
        "invitation-cancelled": session_invitation_card(session(state=SessionStatus.CANCELLED), scheduled.attendees[2], "cancelled", comment=long_text(1000)),
        "follow-up": session_follow_up_card(scheduled, scheduled.attendees[2]),
    }


CASE_NAMES = [
    "overview-full", "overview-empty", "plan-graph", "plan-file-notice", "manage-scheduled", "manage-before-start", "manage-interrupted",
    "manage-completed", "invitation", "invitation-accepted", "invitation-declined", "invitation-changed", "invitation-cancelled", "follow-up",
]


@pytest.fixture(scope="module")
def cards(settings) -> dict[str, dict[str, Any]]:
    return build_cases(settings)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_session_card_matches_schema(name, cards, validator):
    errors = list(validator.iter_errors(cards[name]))

    details = [f"{list(leaf.absolute_path)}: {leaf.message[:200]}" for error in errors for leaf in deepest_errors(error)[:3]]
    assert not errors, "\n".join(details)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_session_card_stays_under_28_kb(name, cards):
    size = len(json.dumps(cards[name]).encode("utf-8"))

    assert size < MAX_CARD_BYTES, f"{name} is {size:,} bytes"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_session_card_inputs_and_actions(name, cards):
    card = cards[name]
    for node in of_type(card, "Input."):
        assert node.get("label"), f"input {node.get('id')} has no label"
        if node.get("isRequired"):
            assert node.get("errorMessage"), f"input {node.get('id')} has no errorMessage"
    for action in of_type(card, "Action.Execute"):
        assert action["fallback"]["type"] == "Action.Submit"
        assert action["fallback"]["data"] == {**action.get("data", {}), "verb": action["verb"]}
    for actions, inputs in gathering_scopes(card):
        ids = [node.get("id") for node in inputs]
        assert not actions or len(ids) == len(set(ids)), f"repeated input ids {ids}"
    assert len(card.get("actions", [])) <= 6, "Teams shows at most six card actions"


def test_cards_show_what_status_allows(cards):
    def verbs(name):
        return {action["verb"] for action in of_type(cards[name], "Action.Execute")}

    assert {"rescheduleSession", "cancelSession", "markAttendance", "refreshSession"} <= verbs("manage-scheduled")
    assert "markAttendance" not in verbs("manage-before-start")
    assert verbs("manage-interrupted") == {"retrySession", "discardSession", "sessions"}
    assert verbs("manage-completed") == {"sessions"}
    assert verbs("invitation") == {"acceptSession", "declineSession"}
    assert verbs("invitation-accepted") == {"declineSession"}
    assert verbs("invitation-declined") == set()
    assert verbs("invitation-cancelled") == set()
    assert verbs("follow-up") == {"sessionFollowUp"}


def test_plan_card_lists_ticked_requests_first(cards):
    [members] = [node for node in of_type(cards["plan-graph"], "Input.ChoiceSet") if node["id"] == "members"]

    assert len(members["choices"]) == MAX_PLAN_CHOICES
    assert [choice["value"] for choice in members["choices"][:3]] == ["3", "4", "5"]
    assert members["value"] == "3,4,5"


def test_typed_text_is_shown_literally(settings):
    hostile = session(topic=f"Topic {INJECTION}"[:120], organizer_name=f"Adele {INJECTION}")
    hostile.attendees[2].teacher_name = f"Alex {INJECTION}"
    proposal = Proposal("onenote", "", (request(1, teacher_name=f"Alex {INJECTION}", description=f"{INJECTION} help"), request(2)), True)
    built = [
        sessions_overview_card([proposal], [hostile], [], settings.catalogue, 2),
        session_manage_card(hostile, settings.catalogue, NOW),
        session_invitation_card(hostile, hostile.attendees[2], "invitation"),
        session_follow_up_card(hostile, hostile.attendees[2]),
        session_plan_card("OneNote", [proposal.requests[0]], [1], f"Topic {INJECTION}", "America/Vancouver", NOW, True, 45),
    ]

    for card in built:
        assert unsafe_markdown(card) == []
    assert shows_literally(built[1], hostile.topic)
    assert shows_literally(built[2], hostile.organizer_name)
    assert shows_literally(built[1], f"Alex {INJECTION}")
