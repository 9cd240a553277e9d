"""The main path in the Playground: a teacher's question becomes a request that a TST claims and resolves.

Alex Wilber, the Playground's current user and a teacher, acts in the browser.
Megan Bowen (triager), Adele Vance and Isaiah Langer (TSTs) act through the
Playground's internal HTTP interface, which is the only way to act as another
user. One page stays open for the whole path because the page shows only the
messages that arrive while it is open.

The tests below are the steps of one path: they share the request and must run
in file order. A step is skipped when the step before it did not pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest

from tests.conftest import card_text, find_action, find_input, walk

from .harness import BotMessage, BrowserSession, E2EEnvironment

pytestmark = pytest.mark.e2e

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
QUESTION = "How do I make a self-marking quiz in Forms for my grade 7 class?"
SCHOOL = "Centennial Secondary"
TRIAGER = "Megan Bowen"
TST = "Adele Vance"
SECOND_TST = "Isaiah Langer"
TST_CHANNEL = "TST remote help"
# Tall enough for the suggestions card and the TST card to fit in one screenshot.
VIEWPORT = {"width": 1400, "height": 1300}
RESOLUTION = "Showed Alex how to set correct answers and points in a Forms quiz, then shared it as a Teams assignment."


@dataclass
class MainPath:
    """State shared by the steps: the request number, its channel posts and the steps that passed."""

    page: BrowserSession
    number: int = 0
    triage_post: BotMessage | None = None
    tst_post: BotMessage | None = None
    passed: set[str] = field(default_factory=set)

    def require(self, step: str) -> None:
        """Skip the calling test unless the earlier test called step passed."""
        if step not in self.passed:
            pytest.skip(f"needs {step}, which failed or did not run")

    @property
    def reference(self) -> str:
        return f"#{self.number}"


@pytest.fixture(scope="module")
def main_path(e2e: E2EEnvironment) -> Iterator[MainPath]:
    """Open the Playground page once for every step of the path."""
    with e2e.browser_session("main-path-browser", VIEWPORT) as page:
        page.run([{"action": "open"}], name="main-path-open")
        yield MainPath(page)


def screenshot(page: BrowserSession, name: str, card: str | None = None) -> dict[str, Any]:
    """Return a screenshot step. With card, the last card containing that text is scrolled to the top first."""
    step: dict[str, Any] = {"action": "screenshot", "path": page.screenshot_path(name)}
    if card is not None:
        step["card"] = card
    return step


def invoke_card(response: Any) -> dict[str, Any]:
    """Return the card in an Action.Execute invoke response body, failing with the body when it has none."""
    assert isinstance(response, dict), response
    assert response.get("type") == ADAPTIVE_CARD, response
    return response["value"]


def fact(card: dict[str, Any], title: str) -> str | None:
    """Return the value of the first FactSet fact with this title."""
    for node in walk(card):
        if node.get("type") == "FactSet":
            for item in node.get("facts", []):
                if item.get("title") == title:
                    return item.get("value")
    return None


def article_titles(card: dict[str, Any]) -> list[str]:
    """Return the titles of the articles on a suggestions card, from the links around each article."""
    titles = []
    for node in walk(card):
        link = node.get("selectAction")
        if node.get("type") == "Container" and isinstance(link, dict) and link.get("type") == "Action.OpenUrl":
            titles.append(link["title"].removeprefix("Open "))
    return titles


def request_entry(card: dict[str, Any], reference: str) -> dict[str, Any] | None:
    """Return the container of the "my requests" card that lists the request with this reference."""
    for node in walk(card):
        if node.get("type") != "Container":
            continue
        heading = (node.get("items") or [{}])[0]
        if str(heading.get("text", "")).startswith(f"{reference} "):
            return node
    return None


def test_question_opens_prefilled_form(e2e: E2EEnvironment, main_path: MainPath):
    client, page = e2e.client, main_path.page
    cursor = client.cursor()

    page.run(
        [
            {"action": "selectConversation", "chat": "Personal Chat"},
            {"action": "send", "text": QUESTION},
            {"action": "waitForText", "text": "Tell us what you need"},
            {"action": "expectValue", "id": "description", "value": QUESTION},
            {"action": "expectValue", "id": "category", "value": "forms"},
            screenshot(page, "main-01-intake-form", card="Tell us what you need"),
        ],
        name="main-01-intake-form",
    )

    form = client.wait_for_message(
        conversation_id=client.personal_chat_id,
        after=cursor,
        predicate=lambda message: any(find_action(card, "submitIntake") for card in message.cards),
    ).cards[0]
    assert find_input(form, "description")["value"] == QUESTION
    assert find_input(form, "category")["value"] == "forms"
    main_path.passed.add("test_question_opens_prefilled_form")


def test_sent_form_shows_suggestions(e2e: E2EEnvironment, main_path: MainPath):
    main_path.require("test_question_opens_prefilled_form")
    client, page = e2e.client, main_path.page
    request_cursor = client.request_cursor()

    page.run(
        [
            {"action": "choose", "id": "school", "choice": SCHOOL},
            {"action": "choose", "id": "urgency", "choice": "this_week"},
            {"action": "fill", "id": "grade", "value": "Grade 7"},
            {"action": "fill", "id": "subject", "value": "Mathematics"},
            {"action": "click", "title": "Send request", "card": "Tell us what you need"},
            {"action": "waitForText", "text": "Did this solve it?"},
        ],
        name="main-02-send-request",
    )

    invoke = client.wait_for_invoke("submitIntake", after=request_cursor)
    sent = invoke.body["value"]["action"]["data"]
    assert sent["school"] == SCHOOL
    assert sent["category"] == "forms"
    assert sent["urgency"] == "this_week"
    assert sent["description"] == QUESTION
    suggestions = invoke_card(invoke.response)
    assert "Did this solve it?" in card_text(suggestions)
    main_path.number = int(find_action(suggestions, "declineSuggestion")["data"]["request"])
    assert f"Request {main_path.reference}" in card_text(suggestions)
    titles = article_titles(suggestions)
    assert titles, "the suggestions card lists no articles"
    assert any("Forms" in title for title in titles), titles

    page.run(
        [
            {"action": "waitForText", "text": titles[0], "onlyNew": False},
            screenshot(page, "main-02-suggestions", card="Did this solve it?"),
        ],
        name="main-02-suggestions",
    )
    main_path.passed.add("test_sent_form_shows_suggestions")


def test_declined_suggestions_go_to_helpdesk(e2e: E2EEnvironment, main_path: MainPath):
    main_path.require("test_sent_form_shows_suggestions")
    client, page = e2e.client, main_path.page
    request_cursor = client.request_cursor()
    cursor = client.cursor()

    page.run(
        [
            {"action": "click", "title": "No, I still need help", "card": "Did this solve it?"},
            {"action": "waitForText", "text": f"Request {main_path.reference} is with the helpdesk team"},
            screenshot(page, "main-03-with-helpdesk"),
        ],
        name="main-03-decline",
    )

    response = client.wait_for_invoke("declineSuggestion", after=request_cursor).response
    assert f"Request {main_path.reference} is with the helpdesk team" in card_text(invoke_card(response))
    main_path.triage_post = client.wait_for_message(
        contains=f"Request {main_path.reference} · Waiting for triage",
        conversation_id=client.general_channel_id,
        after=cursor,
        predicate=lambda message: message.action == "createMessage",
    )
    main_path.passed.add("test_declined_suggestions_go_to_helpdesk")


def test_triage_card_in_general_channel(e2e: E2EEnvironment, main_path: MainPath):
    main_path.require("test_declined_suggestions_go_to_helpdesk")
    client, page = e2e.client, main_path.page
    post = main_path.triage_post

    page.run(
        [
            {"action": "selectConversation", "channel": "General"},
            {"action": "waitForText", "text": f"Request {main_path.reference} · Waiting for triage"},
            screenshot(page, "main-04-triage-card", card=f"Request {main_path.reference}"),
        ],
        name="main-04-triage-card",
    )

    assert post.conversation_id.startswith(client.general_channel_id + ";messageid=")
    assert find_action(post.cards[0], "route") is not None
    assert QUESTION in card_text(post.cards[0])
    created = client.wait_for_bot_request(
        contains=f"Request {main_path.reference} · Waiting for triage",
        predicate=lambda request: request.name == "createConversation",
    )
    assert created.status_code == 201
    assert created.body["channelData"]["channel"]["id"] == client.general_channel_id
    main_path.passed.add("test_triage_card_in_general_channel")


def test_triager_routes_to_tst_channel(e2e: E2EEnvironment, main_path: MainPath):
    main_path.require("test_triage_card_in_general_channel")
    client, page = e2e.client, main_path.page
    cursor = client.cursor()

    response = client.execute_card_action(
        main_path.triage_post,
        "route",
        {"verb": "route", "request": main_path.number, "level": "1", "channel": "tst-remote"},
        user=TRIAGER,
    )

    routed = invoke_card(response)
    assert f"Request {main_path.reference} · Waiting for a TST" in card_text(routed)
    main_path.tst_post = client.wait_for_message(
        contains=f"Request {main_path.reference}",
        conversation_id=client.channel_id(TST_CHANNEL),
        after=cursor,
        predicate=lambda message: message.action == "createMessage",
    )
    tst_card = main_path.tst_post.cards[0]
    assert find_action(tst_card, "claim") is not None
    assert fact(tst_card, "Level") == "Level 1 · remote help"
    assert fact(tst_card, "Owner") == "Unclaimed"
    client.wait_for_message(
        contains=f"Request {main_path.reference} is on its way",
        conversation_id=client.personal_chat_id,
        after=cursor,
    )

    page.run(
        [
            {"action": "selectConversation", "channel": TST_CHANNEL},
            {"action": "waitForText", "text": f"Request {main_path.reference} · Waiting for a TST"},
            screenshot(page, "main-05-tst-card", card=f"Request {main_path.reference}"),
        ],
        name="main-05-tst-card",
    )
    main_path.passed.add("test_triager_routes_to_tst_channel")


def test_first_claim_wins(e2e: E2EEnvironment, main_path: MainPath):
    main_path.require("test_triager_routes_to_tst_channel")
    client, page = e2e.client, main_path.page
    post = main_path.tst_post
    claim = {"verb": "claim", "request": main_path.number}
    cursor = client.cursor()

    first = invoke_card(client.execute_card_action(post, "claim", claim, user=TST))

    assert f"Request {main_path.reference} · Claimed" in card_text(first)
    assert fact(first, "Owner") == TST
    updated = client.wait_for_message(
        conversation_id=client.channel_id(TST_CHANNEL),
        after=cursor,
        predicate=lambda message: message.action == "updateMessage" and message.message_id == post.message_id,
    )
    assert fact(updated.cards[0], "Owner") == TST
    page.run(
        [
            {"action": "waitForText", "text": f"Request {main_path.reference} · Claimed"},
            screenshot(page, "main-06-claimed", card=f"Request {main_path.reference}"),
        ],
        name="main-06-claimed",
    )

    cursor = client.cursor()
    second = client.execute_card_action(post, "claim", claim, user=SECOND_TST)

    # The loser is told privately (a text invoke response); the shared card keeps showing the owner.
    assert second.get("type") == "application/vnd.microsoft.activity.message", second
    assert second.get("value") == f"{TST} has already claimed {main_path.reference}."
    page.run(
        [
            {"action": "waitForText", "text": f"Request {main_path.reference} · Claimed"},
            screenshot(page, "main-07-second-claim-refused", card=f"Request {main_path.reference}"),
        ],
        name="main-07-second-claim-refused",
    )
    main_path.passed.add("test_first_claim_wins")


def test_teacher_told_who_claimed(e2e: E2EEnvironment, main_path: MainPath):
    main_path.require("test_first_claim_wins")
    client, page = e2e.client, main_path.page
    title = f"{TST} claimed your request {main_path.reference}"

    page.run(
        [
            {"action": "selectConversation", "chat": "Personal Chat"},
            {"action": "waitForText", "text": title},
            screenshot(page, "main-08-teacher-told-claimed"),
        ],
        name="main-08-teacher-told-claimed",
    )

    notice = client.wait_for_message(contains=title, conversation_id=client.personal_chat_id)
    assert fact(notice.cards[0], "Owner") == TST
    main_path.passed.add("test_teacher_told_who_claimed")


def test_teacher_rates_resolved_request(e2e: E2EEnvironment, main_path: MainPath):
    main_path.require("test_teacher_told_who_claimed")
    client, page = e2e.client, main_path.page
    title = f"Request {main_path.reference} is resolved"
    cursor = client.cursor()

    resolved = invoke_card(
        client.execute_card_action(
            main_path.tst_post,
            "resolve",
            {"verb": "resolve", "request": main_path.number, "resolution": RESOLUTION},
            user=TST,
        )
    )

    assert f"Request {main_path.reference} · Resolved" in card_text(resolved)
    notice = client.wait_for_message(contains=title, conversation_id=client.personal_chat_id, after=cursor)
    assert RESOLUTION in card_text(notice.cards[0])
    assert find_input(notice.cards[0], "rating") is not None
    assert find_action(notice.cards[0], "rate") is not None

    request_cursor = client.request_cursor()
    cursor = client.cursor()
    page.run(
        [
            {"action": "waitForText", "text": title},
            {"action": "waitForText", "text": RESOLUTION, "onlyNew": False},
            {"action": "choose", "id": "rating", "choice": "5", "card": title},
            screenshot(page, "main-09-resolved", card=title),
            {"action": "click", "title": "Send rating", "card": title},
            {"action": "waitForText", "text": f"Thank you for rating request {main_path.reference}"},
            screenshot(page, "main-10-rated"),
        ],
        name="main-09-rate",
    )

    invoke = client.wait_for_invoke("rate", after=request_cursor)
    assert invoke.body["value"]["action"]["data"]["rating"] == "5"
    assert "You gave it 5 out of 5" in card_text(invoke_card(invoke.response))
    closed = client.wait_for_message(
        conversation_id=client.channel_id(TST_CHANNEL),
        after=cursor,
        predicate=lambda message: message.action == "updateMessage"
        and message.message_id == main_path.tst_post.message_id
        and message.contains(f"Request {main_path.reference} · Closed"),
    )
    assert RESOLUTION in card_text(closed.cards[0])
    main_path.passed.add("test_teacher_rates_resolved_request")


def test_my_requests_shows_closed_request(e2e: E2EEnvironment, main_path: MainPath):
    main_path.require("test_teacher_rates_resolved_request")
    client, page = e2e.client, main_path.page
    request_cursor = client.request_cursor()

    page.run(
        [
            {"action": "send", "text": "my requests"},
            {"action": "waitForText", "text": "Your requests"},
            {"action": "waitForText", "text": "Closed"},
            screenshot(page, "main-11-my-requests", card="Your requests"),
        ],
        name="main-11-my-requests",
    )

    reply = client.wait_for_reply("my requests", after=request_cursor)
    entry = request_entry(reply.body["attachments"][0]["content"], main_path.reference)
    assert entry is not None, f"my requests does not list {main_path.reference}"
    assert fact(entry, "Status") == "Closed"
    assert fact(entry, "Owner") == TST
    assert fact(entry, "Level") == "Level 1 · remote help"
