"""Teams delivers an activity again when the first delivery got no response; after a crash the repeat must run."""

from datetime import timedelta

from bot import SERVICES
from bots.dedupe import INBOUND, inbound_key
from domain.clock import to_iso, utc_now
from storage import Put
from tests.factories import TEACHER, installed, message


async def test_redelivery_runs_after_crashed_turn(bot_client, connector):
    await bot_client.post(installed(TEACHER))
    activity = message(TEACHER, "help")
    activity.id = "1701234567890"
    key = inbound_key(activity)
    store = bot_client.client.app[SERVICES].store
    # The claim exactly as the middleware writes it, left by a run that was killed an hour ago.
    await store.apply([Put(INBOUND, key, {"key": key, "at": to_iso(utc_now() - timedelta(hours=1)), "type": "message", "done": False}, 0)])
    sent_before = len(connector.calls)

    status, _ = await bot_client.post(activity)
    replies = [call for call in connector.calls[sent_before:] if call.conversation_id == "a:personal-29:alex"]

    assert status in (200, 201)
    assert replies, "the redelivered message got no answer"


async def test_finished_turn_is_not_run_again(bot_client, connector):
    await bot_client.post(installed(TEACHER))
    activity = message(TEACHER, "help")
    activity.id = "1701234567891"
    await bot_client.post(activity)
    sent_before = len(connector.calls)

    status, _ = await bot_client.post(message_with_id(activity.id))

    assert status in (200, 201)
    assert connector.calls[sent_before:] == []


def message_with_id(activity_id: str):
    repeat = message(TEACHER, "help")
    repeat.id = activity_id
    return repeat
