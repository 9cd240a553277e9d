"""Smoke tests: the Playground page shows the bot, and the bot replies to "help" in chats and channels."""

from __future__ import annotations

import pytest

from .harness import E2EEnvironment, listening_addresses

pytestmark = pytest.mark.e2e

# The bot names itself in its reply to "help".
HELP_REPLY_TEXT = "Pedagogical Helpdesk"


def test_playground_listens_on_loopback_only(e2e: E2EEnvironment):
    addresses = listening_addresses(e2e.playground.pid)

    assert addresses, "the Playground has no listening socket"
    assert all(address.startswith("127.") for address in addresses), addresses


def test_help_in_personal_chat_page(e2e: E2EEnvironment):
    client = e2e.client
    request_cursor = client.request_cursor()

    result = e2e.browser.run(
        [
            {"action": "open"},
            {"action": "screenshot", "path": e2e.browser.screenshot_path("smoke-01-opened")},
            {"action": "selectConversation", "chat": "Personal Chat"},
            {"action": "send", "text": "help"},
            {"action": "waitForText", "text": HELP_REPLY_TEXT},
            {"action": "screenshot", "path": e2e.browser.screenshot_path("smoke-02-help-reply")},
        ],
        name="smoke-help",
    )

    reply = client.wait_for_reply("help", after=request_cursor)
    assert reply.contains(HELP_REPLY_TEXT)
    assert reply.conversation_id == client.personal_chat_id
    assert reply.body["recipient"]["id"] == client.current_user.id
    blocked_loopback = [url for url in result["blockedRequests"] if url.startswith(e2e.playground_url)]
    assert blocked_loopback == []


def test_help_from_another_user(e2e: E2EEnvironment):
    client = e2e.client
    other_user = client.users[1]
    request_cursor = client.request_cursor()

    client.send_message_as(other_user, client.personal_chat_id, "help")

    reply = client.wait_for_reply("help", after=request_cursor)
    assert reply.contains(HELP_REPLY_TEXT)
    assert reply.body["recipient"]["id"] == other_user.id


def test_help_in_channel_thread(e2e: E2EEnvironment):
    client = e2e.client
    channel_id = client.channel_id("TST remote help")
    request_cursor = client.request_cursor()

    response = client.send_message(channel_id, "help")

    reply = client.wait_for_reply("help", after=request_cursor)
    assert reply.contains(HELP_REPLY_TEXT)
    assert reply.conversation_id == response["postConversationId"]
