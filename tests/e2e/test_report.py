"""The report card in the Playground: a triager mentions the bot with "report" in a channel, and the card shows with its chart.

Megan Bowen (triager) writes through the Playground's internal HTTP
interface. Alex Wilber's page shows the channel, where the bot's card
appears, and the screenshot shows whether the inline chart image renders.
"""

from __future__ import annotations

import pytest

from tests.conftest import walk

from .harness import E2EEnvironment

pytestmark = pytest.mark.e2e

TRIAGER = "Megan Bowen"
VIEWPORT = {"width": 1400, "height": 1400}


def test_report_card_renders_in_channel(e2e: E2EEnvironment):
    client = e2e.client
    with e2e.browser_session("report-browser", VIEWPORT) as page:
        page.run([{"action": "open"}, {"action": "selectConversation", "channel": "General"}], name="report-open")
        cursor = client.cursor()

        client.send_message_as(TRIAGER, client.general_channel_id, "report")
        message = client.wait_for_message(contains="Helpdesk report", conversation_id=client.general_channel_id, after=cursor, timeout=20)
        page.run(
            [
                {"action": "waitForCard", "text": "Helpdesk report", "timeoutMs": 20000},
                {"action": "screenshot", "path": page.screenshot_path("report-card"), "card": "Helpdesk report"},
            ],
            name="report-card",
        )

    [image] = [node for node in walk(message.cards[0]) if node.get("type") == "Image"]
    assert image["url"].startswith("data:image/png;base64,")
    assert image["altText"].startswith("Bar chart of teacher touches")
