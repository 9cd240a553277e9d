"""Champion and visit cards against the Adaptive Cards 1.5 schema, Teams' size limit and markdown injection."""

import json
from datetime import datetime, timezone

import jsonschema
import pytest

from cards.champion_cards import champion_introduction_card, champion_matches_card, champion_offer_card
from cards.visit_cards import visit_options_card, visit_plan_card
from champions import Champion, Offer
from champions.matching import Candidate
from domain.request import Request
from tests.conftest import REPO, walk
from visits import Visit, VisitStatus

SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "adaptive-cards" / "1.5.0" / "adaptive-card.json"
MAX_CARD_BYTES = 28 * 1024
INJECTION = '[click](http://evil.example) <a href="http://evil.example">x</a> **bold**'
LONG_NAME = ("Alexandria-Konstantina " * 6).strip() + INJECTION


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA_PATH.is_file():
        pytest.fail(f"the Adaptive Card 1.5 schema was not found at {SCHEMA_PATH}; put a copy of shared/ beside the repository")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = {"type": "object"}
    return jsonschema.Draft6Validator(schema)


def request(level: int = 3) -> Request:
    return Request(
        number=4213, teacher_id="t-1", teacher_name=LONG_NAME, category="onenote", description=("My class notebook " * 250)[:4000] + INJECTION,
        scope="one_to_one", school="Anmore Elementary", grade="4" + INJECTION, subject=INJECTION, status="in_progress", level=level,
        created_at="2026-12-01T20:00:00Z", updated_at="2026-12-01T20:00:00Z",
    )


def champion(number: int) -> Champion:
    return Champion(f"c-{number}", f"{LONG_NAME} {number}", "jo@district.example", "Anmore Elementary", ("onenote",), 5)


def offer(state: str = "offered") -> Offer:
    return Offer(
        "17", 4213, "c-1", LONG_NAME, "jo@district.example", "t-1", LONG_NAME, "Anmore Elementary", "onenote", "tst", "2026-12-01T20:00:00Z",
        "2026-12-03T20:00:00Z", state,
    )


def visit(state: VisitStatus) -> Visit:
    options = [{"start": f"2026-12-0{day}T17:00:00Z", "end": f"2026-12-0{day}T18:00:00Z"} for day in (3, 4, 7)]
    booked = state is not VisitStatus.PROPOSED
    return Visit(
        "5", 4213, 4, "t-1", LONG_NAME, "Anmore Elementary", "tst", LONG_NAME, options, "file", "key", state.value, note=("Bring the cart. " * 70)[:1000] + INJECTION,
        start=options[0]["start"] if booked else None, end=options[0]["end"] if booked else None, problem="Booking failed: " + INJECTION,
    )


def all_cards(settings) -> dict[str, dict]:
    catalogue, schools = settings.catalogue, settings.schools
    candidates = [Candidate(champion(number), 2, number % 3, number % 5) for number in range(10)]
    now = datetime(2026, 12, 1, 21, tzinfo=timezone.utc)
    times = ["Thu Dec 3, 2026, 10:00–11:00 AM (America/Vancouver)"] * 3
    return {
        "matches": champion_matches_card(request(), candidates, catalogue, schools, {"c-1"}, notice=INJECTION),
        "matches none": champion_matches_card(request(), [], catalogue, schools, set()),
        "matches offered": champion_matches_card(request(), [], catalogue, schools, set(), status="Offered to " + LONG_NAME, can_offer=False),
        "offer": champion_offer_card(offer(), request(), catalogue, "Thu Dec 3, 1:00 PM"),
        "offer answered": champion_offer_card(offer("accepted"), request(), catalogue, "Thu Dec 3, 1:00 PM", status="You accepted."),
        "introduction to teacher": champion_introduction_card(offer("accepted"), request(), catalogue, False, "https://teams.microsoft.com/l/chat/0/0?users=jo@district.example"),
        "introduction to champion": champion_introduction_card(offer("accepted"), request(), catalogue, True, ""),
        "plan new": visit_plan_card(request(4), None, catalogue, "America/Vancouver", now, [], 60, False),
        "plan proposed": visit_plan_card(request(5), visit(VisitStatus.PROPOSED), catalogue, "America/Vancouver", now, times, 60, True, INJECTION),
        "plan booked": visit_plan_card(request(4), visit(VisitStatus.BOOKED), catalogue, "America/Vancouver", now, times[:1], 75, True),
        "options": visit_options_card(visit(VisitStatus.PROPOSED), request(4), catalogue, times, notice=INJECTION),
        "options booked": visit_options_card(visit(VisitStatus.BOOKED), request(4), catalogue, times[:1], "https://bot.example/visits/5/calendar.ics?key=k", "https://outlook.example/x"),
        "options cancelled": visit_options_card(visit(VisitStatus.CANCELLED), request(4), catalogue, times[:1]),
    }


CASES = [
    "matches", "matches none", "matches offered", "offer", "offer answered", "introduction to teacher", "introduction to champion",
    "plan new", "plan proposed", "plan booked", "options", "options booked", "options cancelled",
]


@pytest.mark.parametrize("name", CASES)
def test_card_valid_and_small(settings, validator, name):
    card = all_cards(settings)[name]
    errors = sorted(validator.iter_errors(card), key=lambda error: list(error.absolute_path))

    assert errors == [], f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"
    assert card["version"] == "1.5"
    assert len(json.dumps(card).encode("utf-8")) < MAX_CARD_BYTES


@pytest.mark.parametrize("name", CASES)
def test_people_text_never_rendered_as_markdown(settings, name):
    card = all_cards(settings)[name]
    markdown = [node.get("text", "") for node in walk(card) if node.get("type") == "TextBlock"]
    facts = [fact["value"] for node in walk(card) if node.get("type") == "FactSet" for fact in node["facts"]]

    assert not any("evil.example" in text for text in markdown)
    assert not any("](http" in value for value in facts)


def test_every_execute_has_submit_fallback(settings):
    for name, card in all_cards(settings).items():
        for node in walk(card):
            if node.get("type") == "Action.Execute":
                assert node["fallback"]["type"] == "Action.Submit", name
                assert node["fallback"]["data"]["verb"] == node["verb"], name
