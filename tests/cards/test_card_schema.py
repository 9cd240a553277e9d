"""Every card builder against the Adaptive Cards 1.5 schema, Teams' size limit, accessibility and markdown injection.

The cards are built from realistic worst-case content: 4,000-character
descriptions, long article summaries, 25 article choices and long notes.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cards.builders import (
    conversation_card,
    digest_card,
    intake_card,
    literal,
    my_requests_card,
    notice_card,
    queue_card,
    request_card,
    suggestions_card,
    teacher_update_card,
    welcome_card,
)
from config import load_settings
from config.schema import SETTINGS_SCHEMA
from domain.errors import AlreadyClaimed
from domain.intake import InvalidInput, parse_intake
from domain.request import Event, Level, Request, Scope, Status, Urgency
from knowledge import DEFAULT_ARTICLES_PATH, Article, load_articles
from knowledge.article import MAX_SUMMARY_LENGTH, MAX_TITLE_LENGTH
from knowledge.drafts import DraftForm

REPO = Path(__file__).resolve().parents[2]
# CI checks out a copy of shared/ beside the repository.
SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "adaptive-cards" / "1.5.0" / "adaptive-card.json"
MAX_CARD_BYTES = 28 * 1024
TEAMS_CARD_VERSION = "1.5"
TIMEZONE = "America/Vancouver"
PLACES = ("triage", "tst")

PARAGRAPH = (
    "My grade 5 class hands in Microsoft Forms quizzes through Teams assignments, but the points do not "
    "come back to the Grades tab, and three students who read with Immersive Reader cannot see the "
    "picture in question 4. We tried on Chromebooks and on the iPads from the library cart. "
)
# Markdown and HTML that would turn into a link, bold text or a mention if a TextBlock rendered it.
INJECTION = '[click](http://evil.example) <a href="http://evil.example">site</a> **bold** <at>Someone</at>'
# Raw fragments of INJECTION that must never reach a TextBlock or a FactSet.
UNSAFE_PATTERNS = {
    "markdown link": re.compile(r"(?<!\\)\]\((?!\\)"),
    "HTML tag": re.compile(r"(?<!\\)<\s*/?\s*(a|at)\b", re.IGNORECASE),
    "bold marker": re.compile(r"(?<!\\)\*(?<!\\)\*bold"),
    "link target": re.compile(r"evil\.example"),
}


# The largest digest.max_items the settings schema accepts.
DIGEST_MAX_ITEMS_ALLOWED = SETTINGS_SCHEMA["properties"]["digest"]["properties"]["max_items"]["maximum"]


def long_text(length: int) -> str:
    """Return realistic prose cut to exactly `length` characters."""
    text = PARAGRAPH * (length // len(PARAGRAPH) + 1)
    return text[:length]


# Realistic content


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    return load_settings(config_path=REPO / "config" / "helpdesk.yaml", environ={"HELPDESK_DATA_DIR": str(data_dir)})


@pytest.fixture(scope="module")
def starter_articles() -> list[Article]:
    return load_articles(DEFAULT_ARTICLES_PATH)


def make_request(status: Status, number: int = 4213, **changes: Any) -> Request:
    """Return a request with every field filled as far as its status allows."""
    claimed = status in (Status.CLAIMED, Status.IN_PROGRESS, Status.WAITING_ON_TEACHER, Status.ESCALATED, Status.RESOLVED, Status.CLOSED)
    routed = claimed or status is Status.ROUTED
    request = Request(
        number=number,
        teacher_id="29:alex",
        teacher_name="Alexandra Wilber-Montgomery",
        category="forms",
        description=long_text(4000),
        scope=Scope.TEAM.value,
        school="École Dr. Charles Best Secondary",
        grade="Grade 11 and 12, including the French immersion sections",
        subject="Computer Science, Physics and Applied Design, Skills and Technologies",
        urgency=Urgency.THIS_WEEK.value,
        preferred_dates="Tuesdays or Thursdays after 3 pm, or any day before the December break",
        status=status.value,
        level=Level.SMALL_GROUP.value if routed else None,
        channel="tst-remote" if routed else None,
        owner_id="00000000-0000-0000-0000-0000000000022" if claimed else None,
        owner_name="Adele Vance-Richardson" if claimed else None,
        suggested_articles=["kb-forms-quiz-assignment"],
        resolution_note=long_text(1500) if status in (Status.RESOLVED, Status.CLOSED) else None,
        rating=4 if status is Status.CLOSED else None,
        intake_id="3f1c9a0e5b7d4c2a8e6f1b3d5a7c9e0f",
        created_at="2026-11-30T17:05:00Z",
        updated_at="2026-12-02T21:40:00Z",
    )
    return replace(request, **changes)


def make_events(number: int = 4213, note: str | None = None) -> list[Event]:
    """Return seven events with long notes, of which a card shows the last five."""
    note = note if note is not None else long_text(600)
    steps = [
        ("created", "29:alex", "Alexandra Wilber-Montgomery", {}, {"status": "awaiting_triage"}),
        ("self_help_declined", "29:alex", "Alexandra Wilber-Montgomery", {}, {}),
        ("routed", "29:megan", "Megan Bowen", {"level": None}, {"level": 2, "channel": "tst-remote"}),
        ("note", "29:megan", "Megan Bowen", {}, {}),
        ("claimed", "29:adele", "Adele Vance-Richardson", {"owner_id": None}, {"owner_id": "29:adele"}),
        ("note", "29:adele", "Adele Vance-Richardson", {}, {}),
        ("note", "29:adele", "Adele Vance-Richardson", {}, {}),
    ]
    return [
        Event(
            request=number,
            seq=seq,
            type=kind,
            actor_id=actor_id,
            actor_name=actor_name,
            at=f"2026-12-0{seq}T18:{seq:02d}:00Z",
            before=before,
            after=after,
            note=note if kind in ("note", "routed") else "",
        )
        for seq, (kind, actor_id, actor_name, before, after) in enumerate(steps, start=1)
    ]


def long_article(number: int) -> Article:
    return Article(
        id=f"kb-forms-long-answer-{number}",
        title=long_text(MAX_TITLE_LENGTH),
        category="forms",
        kind=("faq", "video", "course")[number % 3],
        url=f"https://support.microsoft.com/en-us/office/forms-quiz-{number}-" + "a1b2c3d4" * 8,
        summary=long_text(MAX_SUMMARY_LENGTH),
    )


def request_card_for(settings, starter_articles, status: Status, place: str, **options: Any) -> dict[str, Any]:
    request = options.pop("request", None) or make_request(status)
    return request_card(
        request,
        options.pop("events", make_events(request.number)),
        settings.catalogue,
        settings.schools,
        settings.timezone,
        place,
        channels=[(channel.key, channel.name) for channel in settings.tst_channels],
        default_channel=settings.default_tst_channel,
        article_choices=starter_articles[:25] if place == "triage" else (),
        tst_choices=[(f"00000000-0000-0000-0000-00000000002{n}", f"Technology Support Teacher {n}") for n in range(6)]
        if place == "triage"
        else (),
        **options,
    )


def build_cases(settings, starter_articles) -> dict[str, dict[str, Any]]:
    """Return every card the builders make, by case name."""
    catalogue = settings.catalogue
    requests_12 = [make_request(status, number=4200 + n) for n, status in enumerate(list(Status) + [Status.NEW, Status.ROUTED])]
    draft = DraftForm(
        can_draft=True, title=long_text(MAX_TITLE_LENGTH), summary=long_text(MAX_SUMMARY_LENGTH), url="https://support.microsoft.com/forms"
    )
    cases = {
        "welcome": welcome_card("Alexandra", settings.district_name),
        "intake-empty": intake_card(catalogue, settings.schools, "3f1c9a0e", settings.description_max_chars),
        "intake-prefilled": intake_card(
            catalogue,
            settings.schools,
            "3f1c9a0e",
            settings.description_max_chars,
            prefill={
                "category": "forms",
                "description": long_text(4000),
                "scope": "team",
                "school": "Centennial Secondary",
                "grade": long_text(120),
                "subject": long_text(120),
                "urgency": "urgent",
                "preferredDates": long_text(120),
            },
            problem="Please fix the form: Description is too short; describe what you need in at least 10 characters.",
        ),
        "suggestions": suggestions_card(make_request(Status.SUGGESTED), [long_article(n) for n in range(3)], catalogue),
        "suggestions-voted": suggestions_card(
            make_request(Status.SUGGESTED),
            [long_article(n) for n in range(3)],
            catalogue,
            votes={"kb-forms-long-answer-0": True, "kb-forms-long-answer-1": False},
        ),
        "teacher-update-plain": teacher_update_card(
            "Request #4213 was claimed", "Adele will contact you in Teams chat.", make_request(Status.CLAIMED), catalogue
        ),
        "teacher-update-rating-article": teacher_update_card(
            "Request #4213 is resolved",
            long_text(800),
            make_request(Status.RESOLVED),
            catalogue,
            ask_rating=True,
            article=long_article(1),
        ),
        "my-requests-none": my_requests_card([], catalogue, TIMEZONE),
        "my-requests-12": my_requests_card(requests_12, catalogue, TIMEZONE),
        "notice": notice_card("Request #4213 is with the helpdesk team", long_text(400)),
        "notice-facts": notice_card(
            "Request #4213 is with the helpdesk team",
            long_text(400),
            [("Category", "Microsoft Forms"), ("School", "École Dr. Charles Best Secondary")],
        ),
        "conversation-reply-reopen": conversation_card(
            "Adele Vance-Richardson wrote about #4213", long_text(4000), 4213, subtitle=long_text(200), can_reply=True, can_reopen=True
        ),
        "queue": queue_card("TST remote help queue", requests_12, catalogue, datetime(2026, 12, 4, 20, tzinfo=timezone.utc)),
        "request-tst-resolved-draft": request_card_for(settings, starter_articles, Status.RESOLVED, "tst", draft_form=draft),
        "request-triage-notice": request_card_for(
            settings, starter_articles, Status.AWAITING_TRIAGE, "triage", notice="Isaiah Langer has already claimed #4213."
        ),
    }
    for place in PLACES:
        for status in Status:
            cases[f"request-{place}-{status.value}"] = request_card_for(settings, starter_articles, status, place)
    return cases


CASE_NAMES = [
    "welcome",
    "intake-empty",
    "intake-prefilled",
    "suggestions",
    "suggestions-voted",
    "teacher-update-plain",
    "teacher-update-rating-article",
    "my-requests-none",
    "my-requests-12",
    "notice",
    "notice-facts",
    "conversation-reply-reopen",
    "queue",
    "request-tst-resolved-draft",
    "request-triage-notice",
] + [f"request-{place}-{status.value}" for place in PLACES for status in Status]


@pytest.fixture(scope="module")
def cards(settings, starter_articles) -> dict[str, dict[str, Any]]:
    return build_cases(settings, starter_articles)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft6Validator:
    if not SCHEMA_PATH.is_file():
        pytest.fail(f"the Adaptive Card 1.5 schema was not found at {SCHEMA_PATH}; put a copy of shared/ beside the repository")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # Teams adds the root property msteams, which the official schema does not list.
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = {"type": "object"}
    # Teams renders Input.ChoiceSet style "filtered" as typeahead search, and its typeahead
    # documentation uses the style on a version 1.2 card. The official schema lists it from 1.6 on.
    schema["definitions"]["ChoiceInputStyle"]["anyOf"][0]["enum"].append("filtered")
    jsonschema.Draft6Validator.check_schema(schema)
    return jsonschema.Draft6Validator(schema)


# Walking a card


def nodes(card: Any) -> Iterator[dict[str, Any]]:
    """Yield every object in the card, depth first."""
    if isinstance(card, dict):
        yield card
        for value in card.values():
            yield from nodes(value)
    elif isinstance(card, list):
        for item in card:
            yield from nodes(item)


def of_type(card: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [node for node in nodes(card) if str(node.get("type", "")).startswith(prefix)]


def markdown_texts(card: dict[str, Any]) -> list[str]:
    """Return every string Teams renders as markdown: TextBlock text and FactSet titles and values."""
    texts = []
    for node in nodes(card):
        if node.get("type") == "TextBlock":
            texts.append(node.get("text", ""))
        elif node.get("type") == "FactSet":
            for fact in node.get("facts", []):
                texts.extend([fact.get("title", ""), fact.get("value", "")])
    return texts


def plain_texts(card: dict[str, Any]) -> list[str]:
    """Return every string Teams shows as typed: TextRuns, input values and choice titles."""
    texts = []
    for node in nodes(card):
        kind = str(node.get("type", ""))
        if kind == "TextRun":
            texts.append(node.get("text", ""))
        elif kind == "RichTextBlock":
            # A plain string among the inlines is a TextRun written short.
            texts.extend(inline for inline in node.get("inlines", []) if isinstance(inline, str))
        elif kind.startswith("Input.") and isinstance(node.get("value"), str):
            texts.append(node["value"])
        if kind == "Input.ChoiceSet":
            texts.extend(choice.get("title", "") for choice in node.get("choices", []))
    return texts


def unsafe_markdown(card: dict[str, Any]) -> list[str]:
    """Return a description of each raw injected fragment found in a markdown text."""
    found = []
    for text in markdown_texts(card):
        for name, pattern in UNSAFE_PATTERNS.items():
            if pattern.search(text):
                found.append(f"{name} in {text[:120]!r}")
    return found


def shows_literally(card: dict[str, Any], text: str) -> bool:
    """Return whether `text` appears as typed: raw in plain text, or escaped by literal() in markdown."""
    return any(text in plain for plain in plain_texts(card)) or any(literal(text) in markdown for markdown in markdown_texts(card))


def gathering_scopes(card: dict[str, Any], inherited: tuple = ()) -> Iterator[tuple[list[dict], list[dict]]]:
    """Yield, for the card and each ShowCard, its actions and the inputs those actions submit."""
    own_inputs, own_actions, inner_cards = [], [], []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            kind = str(node.get("type", ""))
            if kind.startswith("Input."):
                own_inputs.append(node)
            if kind in ("Action.Execute", "Action.Submit"):
                own_actions.append(node)
            for key, value in node.items():
                if key == "card" and kind == "Action.ShowCard":
                    inner_cards.append(value)
                elif key != "fallback":
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit({key: value for key, value in card.items()})
    inputs = [*inherited, *own_inputs]
    yield own_actions, inputs
    for inner in inner_cards:
        yield from gathering_scopes(inner, tuple(inputs))


# Schema, version and size


def deepest_errors(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """Return the errors at the end of each anyOf branch, deepest path first, to point at the bad property."""
    leaves = []
    pending = [error]
    while pending:
        current = pending.pop()
        if current.context:
            pending.extend(current.context)
        else:
            leaves.append(current)
    return sorted(leaves, key=lambda leaf: -len(leaf.absolute_path))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_card_matches_schema(name, cards, validator):
    errors = list(validator.iter_errors(cards[name]))

    details = [f"{list(leaf.absolute_path)}: {leaf.message[:200]}" for error in errors for leaf in deepest_errors(error)[:3]]
    assert not errors, "\n".join(details)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_card_uses_version_1_5(name, cards):
    card = cards[name]
    inner_cards = [node["card"] for node in of_type(card, "Action.ShowCard")]

    assert card["type"] == "AdaptiveCard"
    assert card["version"] == TEAMS_CARD_VERSION
    for inner in inner_cards:
        assert inner["version"] == TEAMS_CARD_VERSION


@pytest.mark.parametrize("name", CASE_NAMES)
def test_card_stays_under_28_kb(name, cards):
    # json.dumps escapes non-ASCII text by default, so this counts more bytes than Teams receives.
    size = len(json.dumps(cards[name]).encode("utf-8"))

    assert size < MAX_CARD_BYTES, f"{name} is {size:,} bytes"


def test_card_cases_cover_every_status(cards):
    request_cases = [name for name in cards if name.startswith("request-")]

    assert set(CASE_NAMES) == set(cards)
    assert len(request_cases) >= 2 * len(Status)


def test_triage_digest_stays_under_limit(settings, starter_articles):
    """The digest joins up to `digest_max_items` request cards into one message."""
    request_cards = [
        request_card_for(
            settings,
            starter_articles[:5],
            Status.AWAITING_TRIAGE,
            "triage",
            request=make_request(Status.AWAITING_TRIAGE, number=4300 + n, description=long_text(600)),
            events=make_events(4300 + n)[:2],
            compact=True,
        )
        for n in range(DIGEST_MAX_ITEMS_ALLOWED)
    ]

    digest = digest_card("Triage digest for Friday December 4", "12 requests wait for triage, oldest first.", request_cards, more=2)
    size = len(json.dumps(digest).encode("utf-8"))

    assert size < MAX_CARD_BYTES, f"a digest of {DIGEST_MAX_ITEMS_ALLOWED} requests is {size:,} bytes"


def execute_verbs(card: dict[str, Any]) -> set[str]:
    return {action["verb"] for action in of_type(card, "Action.Execute")}


def test_request_card_actions_follow_status(cards):
    assert "route" in execute_verbs(cards["request-triage-awaiting_triage"])
    assert "claim" not in execute_verbs(cards["request-triage-routed"])
    assert "claim" in execute_verbs(cards["request-tst-routed"])
    assert "resolve" in execute_verbs(cards["request-tst-claimed"])
    assert "resolve" not in execute_verbs(cards["request-tst-routed"])
    assert execute_verbs(cards["request-triage-closed"]) == set()
    assert execute_verbs(cards["request-tst-closed"]) == set()


# Accessibility and Universal Actions


@pytest.mark.parametrize("name", CASE_NAMES)
def test_inputs_have_labels(name, cards):
    for node in of_type(cards[name], "Input."):
        assert isinstance(node.get("label"), str) and node["label"].strip(), f"input {node.get('id')} has no label"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_required_inputs_have_error_messages(name, cards):
    for node in of_type(cards[name], "Input."):
        if node.get("isRequired"):
            assert isinstance(node.get("errorMessage"), str) and node["errorMessage"].strip(), f"input {node.get('id')} has no errorMessage"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_execute_actions_have_submit_fallback(name, cards):
    for action in of_type(cards[name], "Action.Execute"):
        fallback = action.get("fallback")

        assert isinstance(action.get("verb"), str) and action["verb"], f"action {action.get('title')!r} has no verb"
        assert isinstance(fallback, dict), f"action {action['verb']} has no fallback"
        assert fallback["type"] == "Action.Submit"
        assert fallback["data"] == {**action.get("data", {}), "verb": action["verb"]}
        assert fallback.get("title") == action.get("title")
        assert fallback.get("associatedInputs") == action.get("associatedInputs")
        assert fallback.get("tooltip") == action.get("tooltip")


@pytest.mark.parametrize("name", CASE_NAMES)
def test_images_have_alt_text(name, cards):
    for image in of_type(cards[name], "Image"):
        assert image.get("altText"), f"image {image.get('url')} has no altText"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_submitted_input_ids_are_unique(name, cards):
    for actions, inputs in gathering_scopes(cards[name]):
        if not actions:
            continue
        ids = [node.get("id") for node in inputs]

        assert all(ids), f"an input without id is submitted by {[action.get('verb') for action in actions]}"
        assert len(ids) == len(set(ids)), f"{[action.get('verb') for action in actions]} submit repeated input ids {ids}"


# Markdown injection


def test_injection_checker_catches_raw_text():
    """The checker itself must flag raw markdown in a TextBlock and accept escaped or TextRun text."""
    raw = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": f"From {INJECTION}"}]}
    escaped = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": f"From {literal(INJECTION)}"}]}
    fact = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "FactSet", "facts": [{"title": "Owner", "value": INJECTION}]}]}
    run = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": INJECTION}]}],
    }

    assert len(unsafe_markdown(raw)) == len(UNSAFE_PATTERNS)
    assert len(unsafe_markdown(fact)) == len(UNSAFE_PATTERNS)
    assert unsafe_markdown(escaped) == []
    assert unsafe_markdown(run) == []
    assert shows_literally(escaped, INJECTION)
    assert shows_literally(run, INJECTION)
    assert not shows_literally(raw, INJECTION)


def injected_request(status: Status) -> Request:
    return make_request(
        status,
        teacher_name=f"Alex {INJECTION}",
        description=f"{INJECTION} {long_text(300)}",
        grade=INJECTION,
        subject=INJECTION,
        preferred_dates=INJECTION,
        owner_name=INJECTION if status is Status.CLAIMED else None,
        resolution_note=INJECTION if status is Status.RESOLVED else None,
    )


def injected_events() -> list[Event]:
    return [replace(event, actor_name=INJECTION) for event in make_events(note=INJECTION[:60])]


def build_injected_cases(settings, starter_articles) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Return cards built from text carrying INJECTION, each with the typed texts it must show."""
    catalogue = settings.catalogue
    claimed = injected_request(Status.CLAIMED)
    resolved = injected_request(Status.RESOLVED)
    cases = {
        "request-triage": (
            request_card_for(settings, starter_articles, Status.AWAITING_TRIAGE, "triage", request=injected_request(Status.AWAITING_TRIAGE), events=injected_events()),
            [INJECTION, f"Alex {INJECTION}"],
        ),
        "request-tst-claimed": (
            request_card_for(settings, starter_articles, Status.CLAIMED, "tst", request=claimed, events=injected_events()),
            [INJECTION, INJECTION[:60]],
        ),
        "request-tst-resolved": (request_card_for(settings, starter_articles, Status.RESOLVED, "tst", request=resolved), [INJECTION]),
        "teacher-update": (
            teacher_update_card(f"Update {INJECTION}", INJECTION, claimed, catalogue, ask_rating=True),
            [INJECTION, f"Update {INJECTION}"],
        ),
        "teacher-update-resolved": (teacher_update_card("Resolved", "Done.", resolved, catalogue), [INJECTION]),
        "my-requests": (my_requests_card([claimed, resolved], catalogue, TIMEZONE), [INJECTION]),
        "notice": (notice_card(f"Request {INJECTION}", INJECTION), [INJECTION, f"Request {INJECTION}"]),
        "conversation": (conversation_card(f"From {INJECTION}", INJECTION, 4213, subtitle=INJECTION, can_reply=True), [INJECTION]),
        "intake-prefill": (
            intake_card(
                catalogue,
                settings.schools,
                "3f1c9a0e",
                settings.description_max_chars,
                prefill={"description": INJECTION, "grade": INJECTION, "subject": INJECTION, "preferredDates": INJECTION},
            ),
            [INJECTION],
        ),
        "queue": (queue_card("Queue", [claimed], catalogue, datetime(2026, 12, 4, 20, tzinfo=timezone.utc)), [INJECTION]),
        "welcome": (welcome_card(INJECTION, settings.district_name), [INJECTION]),
        "request-notice": (
            request_card_for(
                settings, starter_articles, Status.CLAIMED, "tst", request=claimed, notice=str(AlreadyClaimed("#4213", INJECTION))
            ),
            [INJECTION],
        ),
        "intake-problem": (
            intake_card(catalogue, settings.schools, "3f1c9a0e", settings.description_max_chars, problem=rejected_form_problem(settings)),
            [INJECTION],
        ),
    }
    return cases


def rejected_form_problem(settings) -> str:
    """Return the problem text the intake dialog shows for a submit whose category carries INJECTION."""
    form = {"intakeId": "3f1c9a0e", "category": INJECTION, "description": long_text(200), "school": "Centennial Secondary"}
    with pytest.raises(InvalidInput) as caught:
        parse_intake(form, settings.catalogue, settings.schools, settings.description_max_chars)
    return str(caught.value)


INJECTION_CASES = [
    "request-triage",
    "request-tst-claimed",
    "request-tst-resolved",
    "teacher-update",
    "teacher-update-resolved",
    "my-requests",
    "notice",
    "conversation",
    "intake-prefill",
    "queue",
    "welcome",
    "request-notice",
    "intake-problem",
]


@pytest.fixture(scope="module")
def injected_cards(settings, starter_articles):
    return build_injected_cases(settings, starter_articles)


@pytest.mark.parametrize("name", INJECTION_CASES)
def test_typed_markdown_is_shown_literally(name, injected_cards):
    card, typed_texts = injected_cards[name]

    assert unsafe_markdown(card) == []
    for text in typed_texts:
        assert shows_literally(card, text), f"{text[:60]!r} is not shown as typed"
