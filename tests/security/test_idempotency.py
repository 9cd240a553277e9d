"""Each click has one effect: double clicks, replayed submits, Teams retries of one activity, and two bot processes."""

import asyncio
from datetime import datetime, timedelta, timezone

from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.schema import Activity

from bots.dedupe import INBOUND, STILL_WORKING, InboundDedupe, inbound_key, purge_inbound
from bots.helpdesk_bot import HelpdeskBot
from domain.clock import to_iso
from storage import Put
from tests.conftest import BotDriver, invoke_body
from tests.factories import TEACHER, execute, message, submit
from tests.integration.fake_connector import FakeConnector
from tests.security.helpers import AppClient
from tests.security.matrix import PEOPLE, open_case
from tests.security.test_authorization import ALLOWED, STAFF_CONVERSATIONS, bot_verbs, payload

FORM = {
    "intakeId": "once-form",
    "category": "minecraft",
    "description": "Students get a sign-in error when they open Minecraft Education on the library laptops.",
    "scope": "one_to_one",
    "school": "Pinetree Secondary",
}
# The role that clicks each verb twice: the first of these that the verb allows (the other teacher is the Technology Champion).
PREFERRED_ROLES = ("TST who owns the request", "triager", "teacher who owns the request", "admin", "another teacher")


def with_id(activity: Activity, activity_id: str) -> Activity:
    activity.id = activity_id
    return activity


def guarded(services) -> BotDriver:
    """A bot driver whose adapter runs the dedupe middleware, as bot.py sets it up."""
    driver = BotDriver(HelpdeskBot(services))
    driver.adapter.use(InboundDedupe(services.store))
    return driver


async def test_double_click_changes_once(settings, services, tmp_path):
    """Every verb clicked twice (two activities with the same data) changes the store once."""
    repeated: list[str] = []
    for verb in sorted(bot_verbs(services)):
        role = next(role for role in PREFERRED_ROLES if role in ALLOWED[verb])
        account = PEOPLE[role]
        case = await open_case(settings, services.knowledge, tmp_path / verb)
        try:
            case.driver.adapter.use(InboundDedupe(case.services.store))
            data = payload(verb, case.numbers, case.suggested_article)
            conversation = STAFF_CONVERSATIONS["tst"] if "teacher" not in role else None
            await case.driver.send(with_id(execute(account, verb, data, conversation), f"{verb}-first"))
            after_first = await case.snapshot()
            await case.driver.send(with_id(execute(account, verb, data, conversation), f"{verb}-second"))
            if await case.snapshot() != after_first:
                repeated.append(verb)
        finally:
            await case.services.store.close()

    assert repeated == []


async def test_replayed_submit_runs_once(services):
    driver = guarded(services)
    click = submit(TEACHER, {"verb": "submitIntake", **FORM})

    first = await driver.send(with_id(click, "submit-1"))
    replay = await driver.send(with_id(submit(TEACHER, {"verb": "submitIntake", **FORM}), "submit-1"))

    assert first
    assert replay == []
    assert len(await services.store.find("requests")) == 1
    assert len(await services.store.find("events")) == 1


async def test_retried_invoke_gets_first_response(services):
    """Teams sends the invoke again while the first run is still working: one run, the same response to both."""
    adapter = guarded(services).adapter

    async def click():
        await adapter.receive_activity(with_id(execute(TEACHER, "submitIntake", FORM), "invoke-1"))

    await asyncio.gather(click(), click())
    responses = [reply.value for reply in adapter.activity_buffer if reply.type == "invokeResponse"]

    assert len(responses) == 2
    assert len(await services.store.find("requests")) == 1
    assert [response.status for response in responses] == [200, 200]
    bodies = [serializer_helper(response.body) for response in responses]
    assert bodies[0] == bodies[1]


async def test_unfinished_invoke_answers_still_working(services):
    store = services.store
    activity = with_id(execute(TEACHER, "submitIntake", FORM), "invoke-2")
    activity.channel_id = "msteams"
    await store.apply([Put(INBOUND, inbound_key(activity), {"key": inbound_key(activity), "at": "2026-01-01T00:00:00Z", "type": "invoke"}, 0)])
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    driver = BotDriver(HelpdeskBot(services))
    driver.adapter.use(InboundDedupe(store, wait_seconds=1.0, poll_seconds=0.25, sleep=sleep))
    replies = await driver.send(activity)

    assert invoke_body(replies).additional_properties["value"] == STILL_WORKING
    assert waits == [0.25, 0.25, 0.25, 0.25]
    assert await store.find("requests") == []


async def test_two_replicas_run_activity_once(services):
    """Two bot processes over one store receive the same activity at once; one of them runs it."""
    replicas = [guarded(services), guarded(services)]

    await asyncio.gather(*(replica.send(with_id(submit(TEACHER, {"verb": "submitIntake", **FORM}), "shared-1")) for replica in replicas))
    replies = [len(replica.adapter.activity_buffer) for replica in replicas]

    assert len(await services.store.find("requests")) == 1
    assert sorted(replies)[0] == 0
    assert sorted(replies)[1] > 0


async def test_failed_turn_can_run_again(services):
    driver = guarded(services)
    calls = []

    async def failing_turn(context):
        calls.append(context.activity.id)
        if len(calls) == 1:
            raise RuntimeError("simulated crash in the turn")

    driver.adapter.logic = failing_turn
    driver.adapter.on_turn_error = None

    try:
        await driver.adapter.receive_activity(with_id(message(TEACHER, "help"), "crash-1"))
    except RuntimeError:
        pass
    await driver.adapter.receive_activity(with_id(message(TEACHER, "help"), "crash-1"))

    assert calls == ["crash-1", "crash-1"]


async def test_purge_keeps_recent_claims(services):
    now = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
    ages = {"old": timedelta(days=2), "day": timedelta(hours=25), "recent": timedelta(hours=3)}
    await services.store.apply([Put(INBOUND, key, {"key": key, "at": to_iso(now - age), "type": "message"}, 0) for key, age in ages.items()])

    purged = await purge_inbound(services.store, now)

    assert purged == 2
    assert [doc["key"] for doc in await services.store.find(INBOUND)] == ["recent"]


async def test_repeated_activity_over_http_sent_once(settings):
    connector = FakeConnector()
    await connector.start()
    app = AppClient(settings)
    await app.start()
    try:
        for _ in range(3):
            activity = with_id(message(TEACHER, "help"), "http-repeat-1")
            activity.service_url = connector.url
            status, _ = await app.post(activity)
            assert status in (200, 201)
    finally:
        await app.close()
        await connector.stop()

    assert len(connector.calls) == 1


async def test_repeated_invoke_over_http_answers_alike(settings):
    connector = FakeConnector()
    await connector.start()
    app = AppClient(settings)
    await app.start()
    try:
        answers = []
        for _ in range(2):
            activity = with_id(execute(TEACHER, "submitIntake", FORM), "http-invoke-1")
            activity.service_url = connector.url
            answers.append(await app.post(activity))
        requests = await app.store.find("requests")
    finally:
        await app.close()
        await connector.stop()

    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] == answers[1][1]
    assert "Did this solve it?" in str(answers[1][1]["value"])
    assert len(requests) == 1
