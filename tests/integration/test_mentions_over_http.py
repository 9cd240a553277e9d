"""Channel @mentions over HTTP: the mention entity must survive the JSON the Bot Connector sends."""

from bot import SERVICES
from tests.champions.helpers import routed_request
from tests.conftest import card_text
from tests.factories import TST, TST_CHANNEL_ID, channel_conversation, mention_message


def replies_in(connector, conversation_id: str) -> list[dict]:
    """Return the activities the bot sent into an existing conversation (not the threads it started)."""
    return [call.body for call in connector.messages_to(conversation_id) if call.path != "/v3/conversations"]


def test_mention_entity_survives_serialize():
    activity = mention_message(TST, "queue", channel_conversation(TST_CHANNEL_ID))

    [entity] = activity.serialize()["entities"]

    assert entity["type"] == "mention"
    assert entity["mentioned"]["id"] == "28:helpdesk-bot"
    assert entity["text"] == "<at>Pedagogical Helpdesk</at>"


async def test_queue_mention_in_tst_channel(bot_client, connector):
    services = bot_client.client.server.app[SERVICES]
    request = await routed_request(services, 1)

    status, _ = await bot_client.post(mention_message(TST, "queue", channel_conversation(TST_CHANNEL_ID)))
    [reply] = replies_in(connector, TST_CHANNEL_ID)
    card = reply["attachments"][0]["content"]

    assert status in (200, 201)
    assert "Open requests in TST remote help" in card_text(card)
    assert request.reference in card_text(card)
