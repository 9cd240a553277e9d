"""Shared fixtures: settings on a temporary data folder, opened services and a bot driver."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity

from bot import open_services
from bots.helpdesk_bot import HelpdeskBot
from config import load_settings
from storage import TinyDBStore

REPO = Path(__file__).resolve().parent.parent
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


@pytest.fixture
def settings(tmp_path):
    return load_settings(environ={"HELPDESK_DATA_DIR": str(tmp_path / "data")}, config_path=REPO / "config" / "helpdesk.yaml")


@pytest.fixture
async def services(settings):
    opened = await open_services(settings)
    yield opened
    await opened.store.close()


class BotDriver:
    """Runs activities through botbuilder's TestAdapter, one turn at a time."""

    def __init__(self, bot: HelpdeskBot):
        self.bot = bot
        self.adapter = TestAdapter(bot.on_turn)

    async def send(self, activity: Activity) -> list[Activity]:
        """Run one turn and return the activities the bot sent in it."""
        self.adapter.activity_buffer.clear()
        self.adapter.updated_activities.clear()
        await self.adapter.receive_activity(activity)
        return list(self.adapter.activity_buffer)


@pytest.fixture
def driver(services):
    return BotDriver(HelpdeskBot(services))


def cards(replies: list[Activity]) -> list[dict[str, Any]]:
    """Return the Adaptive Cards among the replies, in order."""
    found = []
    for reply in replies:
        for item in reply.attachments or []:
            if item.content_type == ADAPTIVE_CARD:
                found.append(item.content)
    return found


def texts(replies: list[Activity]) -> list[str]:
    """Return the texts the bot showed: messages, and text invoke responses (shown only to the clicker)."""
    shown = [reply.text for reply in replies if reply.type == "message" and reply.text]
    for reply in replies:
        body = reply.value.body if reply.type == "invokeResponse" else None
        if body is not None and getattr(body, "type", None) == "application/vnd.microsoft.activity.message":
            shown.append(body.value)
    return shown


def invoke_body(replies: list[Activity]) -> Any:
    """Return the body of the invoke response the bot gave in the turn."""
    responses = [reply for reply in replies if reply.type == "invokeResponse"]
    assert len(responses) == 1, f"expected one invoke response, got {len(responses)}"
    return responses[0].value.body


def walk(node: Any):
    """Yield every dict inside a card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def card_text(card: dict[str, Any]) -> str:
    """Return every text of a card joined, to check what a person would read."""
    parts = [node[key] for node in walk(card) for key in ("text", "title", "value", "label") if isinstance(node.get(key), str)]
    return "\n".join(parts)


def find_action(card: dict[str, Any], verb: str) -> dict[str, Any] | None:
    """Return the Action.Execute with this verb anywhere in the card."""
    return next((node for node in walk(card) if node.get("type") == "Action.Execute" and node.get("verb") == verb), None)


def find_input(card: dict[str, Any], input_id: str) -> dict[str, Any] | None:
    """Return the input with this id anywhere in the card."""
    return next((node for node in walk(card) if str(node.get("type", "")).startswith("Input.") and node.get("id") == input_id), None)


@contextlib.asynccontextmanager
async def opened_tinydb(folder: Path) -> AsyncIterator[TinyDBStore]:
    """Open a TinyDB store on `folder` for the block, and close it after."""
    store = TinyDBStore(folder)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
