"""Accessibility of the main cards as the Playground renders them, read from Chromium's accessibility tree.

One page follows a request from the welcome card to the teacher's rating, as
in test_main_path.py, and takes an accessibility snapshot (`drive.mjs`
step `accessibilitySnapshot`) and a screenshot of each card. Both are saved
in test-artifacts/e2e/ as `a11y-NN-<card>.json` and `.png`. The checks then
read the snapshots:

- every shown input has an accessible name equal to its visible label (the
  label without the `*` that marks a required input);
- inputs the card marks `isRequired` are exposed as required, the others not;
- every button has a name that contains its visible text;
- every image has alt text;
- text the card colours (notices, errors) or styles (buttons) is also
  exposed as text, so colour is never the only cue;
- card titles are headings, and buttons that share a name (such as
  "Helpful" under each article) have descriptions that tell them apart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.conftest import find_action, walk

from .harness import BotMessage, BrowserSession, E2EEnvironment

pytestmark = pytest.mark.e2e

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
QUESTION = "How do I turn on Immersive Reader for the PDFs in my class OneNote?"
TOO_SHORT = "Reader?"
SCHOOL = "Centennial Secondary"
TRIAGER = "Megan Bowen"
TST = "Adele Vance"
TST_CHANNEL = "TST remote help"
RESOLUTION = "Showed how to open PDFs from OneNote in the Edge reader, which has Immersive Reader built in."
VIEWPORT = {"width": 1400, "height": 1300}
# The roles Chromium gives form controls.
INPUT_ROLES = {"textbox", "combobox", "checkbox", "radio", "radiogroup", "spinbutton", "listbox", "switch", "searchbox"}
IMAGE_ROLES = {"image", "img"}
# Adaptive Card colours and action styles that carry meaning.
MEANINGFUL_COLOURS = {"attention", "warning", "good", "accent"}
MEANINGFUL_STYLES = {"positive", "destructive"}
REQUIRED_MARK = re.compile(r"\s*\*\s*$")


@dataclass
class Snapshot:
    """A card as the bot sent it and as Chromium exposes it."""

    name: str
    card: dict[str, Any]
    tree: dict[str, Any]
    # Titles of the Action.ShowCard buttons that were clicked open before the snapshot.
    opened: frozenset[str] = frozenset()


def invoke_card(response: Any) -> dict[str, Any]:
    assert isinstance(response, dict) and response.get("type") == ADAPTIVE_CARD, response
    return response["value"]


def capture(
    page: BrowserSession, snapshots: dict[str, Snapshot], name: str, card: dict[str, Any], card_text: str, opened: frozenset[str] = frozenset()
) -> None:
    """Take the accessibility snapshot and the screenshot of the last card containing card_text."""
    tree_path = Path(page.artifacts_dir) / f"{name}.json"
    page.run(
        [
            {"action": "waitForCard", "text": card_text, "timeoutMs": 15000},
            {"action": "accessibilitySnapshot", "path": str(tree_path), "card": card_text},
            {"action": "screenshot", "path": page.screenshot_path(name), "card": card_text},
        ],
        name=name,
    )
    snapshots[name] = Snapshot(name, card, json.loads(tree_path.read_text()), opened)


@pytest.fixture(scope="module")
def cards(e2e: E2EEnvironment) -> dict[str, Snapshot]:
    """Render each main card in one Playground page and return the snapshots by name."""
    snapshots: dict[str, Snapshot] = {}
    with e2e.browser_session("a11y-browser", VIEWPORT) as page:
        walk_main_cards(e2e, page, snapshots)
    return snapshots


def walk_main_cards(e2e: E2EEnvironment, page: BrowserSession, snapshots: dict[str, Snapshot]) -> None:
    client = e2e.client
    page.run([{"action": "open"}, {"action": "selectConversation", "chat": "Personal Chat"}], name="a11y-open")

    # The Playground installs the app in the personal chat when its first page connects, and the page replays it.
    welcome = client.wait_for_message(contains="How it works", conversation_id=client.personal_chat_id, timeout=20)
    capture(page, snapshots, "a11y-01-welcome", welcome.cards[0], "How it works")

    cursor = client.cursor()
    page.run([{"action": "send", "text": QUESTION}, {"action": "waitForText", "text": "Tell us what you need"}], name="a11y-02-ask")
    form = client.wait_for_message(
        conversation_id=client.personal_chat_id,
        after=cursor,
        predicate=lambda message: any(find_action(card, "submitIntake") for card in message.cards),
    ).cards[0]
    capture(page, snapshots, "a11y-02-intake-form", form, "Tell us what you need")

    # A description the page accepts but the bot rejects brings the form back with the attention notice.
    request_cursor = client.request_cursor()
    page.run(
        [
            {"action": "fill", "id": "description", "value": TOO_SHORT, "card": "Tell us what you need"},
            {"action": "choose", "id": "school", "choice": SCHOOL, "card": "Tell us what you need"},
            {"action": "click", "title": "Send request", "card": "Tell us what you need"},
            {"action": "waitForText", "text": "too short"},
        ],
        name="a11y-03-rejected-form",
    )
    rejected = invoke_card(client.wait_for_invoke("submitIntake", after=request_cursor).response)
    capture(page, snapshots, "a11y-03-intake-problem", rejected, "Tell us what you need")

    # Sending without the required fields makes the page show its own error messages.
    page.run(
        [
            {"action": "fill", "id": "description", "value": "", "card": "Tell us what you need"},
            {"action": "click", "title": "Send request", "card": "Tell us what you need"},
            {"action": "waitForText", "text": "Describe what you need in at least 10 characters.", "onlyNew": False},
        ],
        name="a11y-04-page-validation",
    )
    capture(page, snapshots, "a11y-04-intake-errors", rejected, "Tell us what you need")

    request_cursor = client.request_cursor()
    page.run(
        [
            {"action": "fill", "id": "description", "value": QUESTION, "card": "Tell us what you need"},
            {"action": "click", "title": "Send request", "card": "Tell us what you need"},
            {"action": "waitForText", "text": "Did this solve it?"},
        ],
        name="a11y-05-send",
    )
    suggestions = invoke_card(client.wait_for_invoke("submitIntake", after=request_cursor).response)
    number = int(find_action(suggestions, "declineSuggestion")["data"]["request"])
    capture(page, snapshots, "a11y-05-suggestions", suggestions, "Did this solve it?")

    cursor = client.cursor()
    page.run(
        [
            {"action": "click", "title": "No, I still need help", "card": "Did this solve it?"},
            {"action": "waitForText", "text": f"Request #{number} is with the helpdesk team"},
        ],
        name="a11y-06-decline",
    )
    triage_post = client.wait_for_message(
        contains=f"Request #{number} · Waiting for triage",
        conversation_id=client.general_channel_id,
        after=cursor,
        predicate=lambda message: message.action == "createMessage",
    )
    page.run(
        [
            {"action": "selectConversation", "channel": "General"},
            {"action": "waitForText", "text": f"Request #{number} · Waiting for triage"},
            {"action": "click", "title": "Route to a TST", "card": f"Request #{number}"},
            {"action": "waitForText", "text": "Support level"},
        ],
        name="a11y-06-open-route",
    )
    capture(page, snapshots, "a11y-06-triage-route", triage_post.cards[0], f"Request #{number}", frozenset({"Route to a TST"}))

    cursor = client.cursor()
    client.execute_card_action(
        triage_post, "route", {"verb": "route", "request": number, "level": "1", "channel": "tst-remote"}, user=TRIAGER
    )
    tst_post = client.wait_for_message(
        contains=f"Request #{number}",
        conversation_id=client.channel_id(TST_CHANNEL),
        after=cursor,
        predicate=lambda message: message.action == "createMessage",
    )
    page.run(
        [
            {"action": "selectConversation", "channel": TST_CHANNEL},
            {"action": "waitForText", "text": f"Request #{number} · Waiting for a TST"},
        ],
        name="a11y-07-tst-card",
    )
    capture(page, snapshots, "a11y-07-tst-card", tst_post.cards[0], f"Request #{number}")

    claimed = invoke_card(client.execute_card_action(tst_post, "claim", {"verb": "claim", "request": number}, user=TST))
    page.run(
        [
            {"action": "waitForText", "text": f"Request #{number} · Claimed"},
            {"action": "click", "title": "Message teacher", "card": f"Request #{number}"},
            {"action": "waitForText", "text": "Message to the teacher"},
        ],
        name="a11y-08-open-message",
    )
    capture(page, snapshots, "a11y-08-tst-claimed-message", claimed, f"Request #{number}", frozenset({"Message teacher"}))

    cursor = client.cursor()
    client.execute_card_action(tst_post, "resolve", {"verb": "resolve", "request": number, "resolution": RESOLUTION}, user=TST)
    resolved_title = f"Request #{number} is resolved"
    resolved: BotMessage = client.wait_for_message(contains=resolved_title, conversation_id=client.personal_chat_id, after=cursor)
    page.run(
        [{"action": "selectConversation", "chat": "Personal Chat"}, {"action": "waitForText", "text": resolved_title}],
        name="a11y-09-resolved",
    )
    capture(page, snapshots, "a11y-09-resolved-rating", resolved.cards[0], resolved_title)

    # The report card has the only image among the main cards: a chart.
    page.run([{"action": "selectConversation", "channel": "General"}], name="a11y-10-report-open")
    cursor = client.cursor()
    client.send_message_as(TRIAGER, client.general_channel_id, "report")
    report = client.wait_for_message(contains="Helpdesk report", conversation_id=client.general_channel_id, after=cursor, timeout=20)
    capture(page, snapshots, "a11y-10-report", report.cards[0], "Helpdesk report")


# Reading the snapshots


def nodes(tree: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield tree
    for child in tree["children"]:
        yield from nodes(child)


def exposed(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the nodes a screen reader gets: not ignored, and shown on the page when they are marked elements."""
    return [node for node in nodes(tree) if not node["ignored"] and (node.get("dom") or {}).get("shown", True)]


def controls(tree: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in exposed(tree) if node["role"] in INPUT_ROLES]


def exposed_text(tree: dict[str, Any]) -> str:
    """Return the text of the exposed text nodes and names, joined by spaces."""
    parts = [node["name"] for node in exposed(tree) if node["name"]]
    return re.sub(r"\s+", " ", " ".join(parts))


def rendered(node: Any, opened: frozenset[str]) -> Iterator[dict[str, Any]]:
    """Yield every dict of a card that the page shows: all but the cards of Action.ShowCard buttons not in opened."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key == "card" and node.get("type") == "Action.ShowCard" and node.get("title") not in opened:
                continue
            yield from rendered(value, opened)
    elif isinstance(node, list):
        for item in node:
            yield from rendered(item, opened)


def card_inputs(snapshot: Snapshot) -> list[dict[str, Any]]:
    return [node for node in rendered(snapshot.card, snapshot.opened) if str(node.get("type", "")).startswith("Input.")]


def expected_name(card_input: dict[str, Any]) -> str | None:
    """Return the accessible name the page should give an input: its label, and for a toggle also its title, as both are shown."""
    if card_input.get("type") == "Input.Toggle" and card_input.get("title"):
        return f"{card_input.get('label', '')} {card_input['title']}".strip()
    return card_input.get("label")


def choice_titles(snapshot: Snapshot) -> set[str]:
    return {choice["title"] for node in card_inputs(snapshot) for choice in node.get("choices", []) if "title" in choice}


SNAPSHOT_NAMES = [
    "a11y-01-welcome",
    "a11y-02-intake-form",
    "a11y-03-intake-problem",
    "a11y-04-intake-errors",
    "a11y-05-suggestions",
    "a11y-06-triage-route",
    "a11y-07-tst-card",
    "a11y-08-tst-claimed-message",
    "a11y-09-resolved-rating",
    "a11y-10-report",
]
FORM_SNAPSHOTS = ["a11y-02-intake-form", "a11y-03-intake-problem", "a11y-06-triage-route", "a11y-08-tst-claimed-message", "a11y-09-resolved-rating"]


def test_every_card_snapshotted(cards: dict[str, Snapshot]):
    assert sorted(cards) == SNAPSHOT_NAMES


@pytest.mark.parametrize("name", FORM_SNAPSHOTS)
def test_inputs_named_by_visible_label(cards: dict[str, Snapshot], name: str):
    snapshot = cards[name]
    shown = controls(snapshot.tree)

    assert shown, f"{name}: no input is shown"
    for node in shown:
        dom = node.get("dom") or {}
        if node["role"] == "radio":
            # A radio button is named by its choice title, which the page shows next to it.
            assert node["name"] in choice_titles(snapshot), f"{name}: radio {node['name']!r}"
            continue
        assert dom.get("visibleLabel"), f"{name}: {node['role']} {node['name']!r} has no visible label"
        assert node["name"] == REQUIRED_MARK.sub("", dom["visibleLabel"]), f"{name}: {node['role']} {node['name']!r}"


@pytest.mark.parametrize("name", FORM_SNAPSHOTS)
def test_required_inputs_exposed_as_required(cards: dict[str, Snapshot], name: str):
    snapshot = cards[name]
    by_name = {node["name"]: node for node in controls(snapshot.tree) if node["role"] != "radio"}
    checked = 0

    for card_input in card_inputs(snapshot):
        node = by_name.get(expected_name(card_input))
        assert node is not None, f"{name}: input {card_input['id']} ({card_input.get('label')!r}) is not exposed under its label"
        checked += 1
        required = bool(card_input.get("isRequired"))
        assert bool(node["properties"].get("required")) is required, f"{name}: {card_input['id']} required={required}"
        if required:
            assert REQUIRED_MARK.search(node["dom"]["visibleLabel"]), f"{name}: {card_input['id']} shows no required mark"
    assert checked, f"{name}: no card input matched a shown input"


def test_intake_form_requires_its_fields(cards: dict[str, Snapshot]):
    required = {node["name"] for node in controls(cards["a11y-02-intake-form"].tree) if node["properties"].get("required")}

    assert required == {"Category", "What do you need help with?", "Who is the help for?", "School", "How soon do you need help?"}


def test_route_form_shown_with_required_inputs(cards: dict[str, Snapshot]):
    shown = {node["name"]: node for node in controls(cards["a11y-06-triage-route"].tree)}

    assert shown["Support level"]["properties"].get("required") is True
    assert shown["TST channel"]["properties"].get("required") is True


def test_rating_exposed_as_required_choice(cards: dict[str, Snapshot]):
    tree = cards["a11y-09-resolved-rating"].tree
    radios = [node for node in controls(tree) if node["role"] == "radio"]

    assert [node["name"] for node in radios] == ["1 - not helpful", "2", "3", "4", "5 - very helpful"]
    assert all(node["properties"].get("focusable") for node in radios)
    group = [node for node in controls(tree) if node["role"] == "radiogroup"]
    assert len(group) == 1
    assert group[0]["name"] == "How helpful was this? (1 = not at all, 5 = very)"
    assert group[0]["properties"].get("required") is True


@pytest.mark.parametrize("name", SNAPSHOT_NAMES)
def test_buttons_have_names(cards: dict[str, Snapshot], name: str):
    buttons = [node for node in exposed(cards[name].tree) if node["role"] == "button"]

    for node in buttons:
        assert node["name"].strip(), f"{name}: a button has no name"
        shown_text = (node.get("dom") or {}).get("text") or ""
        assert shown_text in node["name"], f"{name}: button {node['name']!r} shows {shown_text!r}"
        if (node.get("dom") or {}).get("tag") == "button":
            assert node["properties"].get("focusable"), f"{name}: button {node['name']!r} cannot take focus"


@pytest.mark.parametrize("name", SNAPSHOT_NAMES)
def test_card_actions_exposed_as_buttons(cards: dict[str, Snapshot], name: str):
    snapshot = cards[name]
    button_names = {node["name"] for node in exposed(snapshot.tree) if node["role"] == "button"}
    titles = [action["title"] for action in snapshot.card.get("actions", []) if action.get("type") != "Action.OpenUrl"]

    for title in titles:
        assert title in button_names, f"{name}: action {title!r} is not a named button"


@pytest.mark.parametrize("name", SNAPSHOT_NAMES)
def test_images_have_alt_text(cards: dict[str, Snapshot], name: str):
    snapshot = cards[name]
    images = [node for node in exposed(snapshot.tree) if node["role"] in IMAGE_ROLES or (node.get("dom") or {}).get("tag") == "img"]

    for node in images:
        assert node["name"].strip(), f"{name}: an image has no accessible name"
        assert (node.get("dom") or {}).get("alt"), f"{name}: image {node['name']!r} has no alt attribute"
    card_images = [node for node in walk(snapshot.card) if node.get("type") == "Image"]
    assert len(images) >= len(card_images), f"{name}: {len(card_images)} card images, {len(images)} exposed"


def test_report_chart_exposed_with_alt_text(cards: dict[str, Snapshot]):
    images = [node for node in exposed(cards["a11y-10-report"].tree) if node["role"] in IMAGE_ROLES]

    assert len(images) == 1
    assert images[0]["name"].startswith("Bar chart of teacher touches")


@pytest.mark.parametrize("name", SNAPSHOT_NAMES)
def test_colour_never_only_cue(cards: dict[str, Snapshot], name: str):
    snapshot = cards[name]
    text = exposed_text(snapshot.tree)

    for node in rendered(snapshot.card, snapshot.opened):
        if str(node.get("color", "")).lower() in MEANINGFUL_COLOURS:
            shown = re.sub(r"\s+", " ", str(node.get("text", ""))).strip()
            assert shown, f"{name}: a {node['color']} {node.get('type')} has no text"
            assert shown in text, f"{name}: coloured text {shown!r} is not exposed"
        if str(node.get("style", "")).lower() in MEANINGFUL_STYLES and node.get("title"):
            assert node["title"] in text, f"{name}: {node['style']} action {node['title']!r} is not exposed"


def test_problem_notice_exposed_as_text(cards: dict[str, Snapshot]):
    snapshot = cards["a11y-03-intake-problem"]
    notices = [node for node in walk(snapshot.card) if str(node.get("color", "")).lower() == "attention"]

    assert len(notices) == 1
    assert "too short" in notices[0]["text"]
    assert notices[0]["text"] in exposed_text(snapshot.tree)


def test_page_errors_in_accessible_names(cards: dict[str, Snapshot]):
    shown = {node["name"] for node in controls(cards["a11y-04-intake-errors"].tree)}

    assert "What do you need help with? Describe what you need in at least 10 characters." in shown


HEADINGS = {
    "a11y-02-intake-form": "New request",
    "a11y-05-suggestions": "these might answer it right away",
    "a11y-06-triage-route": "Waiting for triage",
    "a11y-07-tst-card": "Waiting for a TST",
}


@pytest.mark.parametrize("name", sorted(HEADINGS))
def test_card_title_exposed_as_heading(cards: dict[str, Snapshot], name: str):
    headings = [node["name"] for node in exposed(cards[name].tree) if node["role"] == "heading"]

    assert any(HEADINGS[name] in heading for heading in headings), f"{name}: headings {headings}"


@pytest.mark.parametrize("name", SNAPSHOT_NAMES)
def test_same_named_buttons_told_apart(cards: dict[str, Snapshot], name: str):
    by_name: dict[str, list[dict[str, Any]]] = {}
    for node in exposed(cards[name].tree):
        if node["role"] in {"button", "link"}:
            by_name.setdefault(node["name"], []).append(node)

    for button_name, same in by_name.items():
        if len(same) < 2:
            continue
        descriptions = [node.get("description", "") for node in same]
        assert all(descriptions), f"{name}: {len(same)} controls named {button_name!r}, some without a description"
        assert len(set(descriptions)) == len(same), f"{name}: controls named {button_name!r} share descriptions {descriptions}"
