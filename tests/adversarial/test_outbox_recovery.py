"""Outbox entries that a killed process was delivering are delivered again after a restart.

`Notifier._take` marks an entry "sending" before it delivers it, and only
`_finish` marks it "sent". When the process is killed (SIGKILL, power loss)
between the two, the entry stays "sending". These tests take an entry with
the real `_take` and then drop it, as a killed process would.
"""

from datetime import timedelta

from bot import BOT
from bots.notifier import SENDING_LEASE
from domain.clock import utc_now
from storage import Put
from tests.factories import TEACHER, TEAM_ID, execute, installed

FORM = {
    "intakeId": "crash-form",
    "category": "minecraft",
    "description": "Students get a sign-in error when they open Minecraft Education on the library laptops.",
    "scope": "one_to_one",
    "school": "Pinetree Secondary",
    "urgency": "urgent",
}


async def interrupted_triage_post(bot_client) -> tuple[object, str]:
    """Queue a triage post for a new request and leave it "sending", as a process killed mid-delivery does."""
    notifier = bot_client.client.app[BOT].notifier
    await bot_client.post(installed(TEACHER))
    await bot_client.post(execute(TEACHER, "submitIntake", FORM))
    notifier.kick = lambda: None  # the process dies before it delivers anything more
    await bot_client.post(execute(TEACHER, "declineSuggestion", {"request": 1}))
    store = notifier.services.store
    [entry] = [doc for doc in await store.find("outbox", state="pending") if doc["kind"] == "triage_post"]
    taken = await notifier._take(entry["key"], entry)
    assert taken is not None
    return notifier, entry["key"]


async def test_interrupted_entry_delivered_after_lease(bot_client, connector):
    notifier, key = await interrupted_triage_post(bot_client)
    notifier._now = lambda: utc_now() + SENDING_LEASE + timedelta(minutes=1)

    delivered = await notifier.flush()
    entry = await notifier.services.store.get("outbox", key)

    assert delivered == 1
    assert entry["state"] == "sent"
    assert len(connector.threads_in(TEAM_ID)) == 1


async def test_entry_within_lease_not_retaken(bot_client, connector):
    notifier, key = await interrupted_triage_post(bot_client)

    delivered = await notifier.flush()
    entry = await notifier.services.store.get("outbox", key)

    assert delivered == 0
    assert entry["state"] == "sending"
    assert connector.threads_in(TEAM_ID) == []


async def test_entry_interrupted_too_often_fails(bot_client, connector):
    notifier, key = await interrupted_triage_post(bot_client)
    store = notifier.services.store
    entry = await store.get("outbox", key)
    version = entry.pop("_version")
    await store.apply([Put("outbox", key, {**entry, "attempts": 5}, version)])
    notifier._now = lambda: utc_now() + SENDING_LEASE + timedelta(minutes=1)

    delivered = await notifier.flush()
    entry = await store.get("outbox", key)

    assert delivered == 0
    assert entry["state"] == "failed"
    assert "interrupted" in entry["last_error"]
