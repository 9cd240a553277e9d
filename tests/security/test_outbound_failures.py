"""Bot Connector failures on proactive sends, end to end: the real app, a failing fake connector, and no real waiting."""

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from bot import RETRY_POLICY, SERVICES, build_app
from bots.retry import RetryPolicy
from tests.factories import TEACHER, TEAM_ID, TRIAGER, TST, TST_CHANNEL_ID, channel_conversation, execute, installed, personal
from tests.integration.fake_connector import FakeConnector
from tests.security.helpers import AppClient

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=timezone.utc)
FORM = {
    "intakeId": "retry-form",
    "category": "minecraft",
    "description": "Students get a sign-in error when they open Minecraft Education on the library laptops.",
    "scope": "small_group",
    "school": "Pinetree Secondary",
    "urgency": "urgent",
}


class RecordedSleeps:
    """Stands in for asyncio.sleep: records each wait and returns at once."""

    def __init__(self):
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
async def connector():
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def sleeps():
    return RecordedSleeps()


@pytest.fixture
async def app(settings, sleeps, connector):
    application = build_app(settings)
    application[RETRY_POLICY] = RetryPolicy(sleep=sleeps, now=lambda: NOW)
    client = AppClient(settings, application)
    await client.start()
    yield client
    await client.close()


async def send(app, connector, activity):
    activity.service_url = connector.url
    return await app.post(activity)


async def filed_request(app, connector) -> int:
    """Install the bot for the teacher and file a request that shows suggestions; return its number."""
    await send(app, connector, installed(TEACHER))
    _, body = await send(app, connector, execute(TEACHER, "submitIntake", FORM))
    return body["value"]["actions"][0]["data"]["request"]


async def routed_request(app, connector) -> tuple[int, object]:
    """File a request, send it to triage and route it; return its number and the TST thread."""
    number = await filed_request(app, connector)
    await send(app, connector, execute(TEACHER, "declineSuggestion", {"request": number}))
    triage_thread = channel_conversation(connector.threads_in(TEAM_ID)[0].conversation_id)
    await send(app, connector, execute(TRIAGER, "route", {"request": number, "level": "1", "channel": "tst-remote"}, triage_thread))
    return number, channel_conversation(connector.threads_in(TST_CHANNEL_ID)[0].conversation_id)


async def outbox(app, kind: str) -> list[dict]:
    return [entry for entry in await app.store.find("outbox") if entry["kind"] == kind]


@pytest.mark.parametrize("status", [429, 412, 502, 503, 504])
async def test_channel_post_retried(app, connector, sleeps, status):
    number = await filed_request(app, connector)
    connector.fail_next(status, 2, path_prefix="/v3/conversations")

    await send(app, connector, execute(TEACHER, "declineSuggestion", {"request": number}))

    assert [failure[2] for failure in connector.failed_calls] == [status, status]
    assert len(connector.threads_in(TEAM_ID)) == 1
    assert sleeps.delays == [1.0, 2.0]
    assert [entry["state"] for entry in await outbox(app, "triage_post")] == ["sent"]


@pytest.mark.parametrize(("retry_after", "expected"), [
    ("3", 3.0),
    ("0", 0.0),
    (format_datetime(NOW + timedelta(seconds=7), usegmt=True), 7.0),
    (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
    ("soon", 1.0),
])
async def test_retry_after_honoured(app, connector, sleeps, retry_after, expected):
    number = await filed_request(app, connector)
    connector.fail_next(429, 1, {"Retry-After": retry_after}, path_prefix="/v3/conversations")

    await send(app, connector, execute(TEACHER, "declineSuggestion", {"request": number}))

    assert sleeps.delays == [expected]
    assert len(connector.threads_in(TEAM_ID)) == 1


async def test_retries_stop_after_four_tries(app, connector, sleeps):
    number = await filed_request(app, connector)
    connector.fail_next(503, 5, path_prefix="/v3/conversations")

    await send(app, connector, execute(TEACHER, "declineSuggestion", {"request": number}))

    assert len(connector.failed_calls) == 4
    assert sleeps.delays == [1.0, 2.0, 4.0]
    assert connector.threads_in(TEAM_ID) == []
    [entry] = await outbox(app, "triage_post")
    assert entry["state"] == "pending"
    assert "HTTP 503" in entry["last_error"]
    assert (await app.store.get("requests", str(number)))["status"] == "awaiting_triage"


async def test_retries_stop_at_time_limit(app, connector, sleeps):
    number = await filed_request(app, connector)
    connector.fail_next(429, 3, {"Retry-After": "20"}, path_prefix="/v3/conversations")

    await send(app, connector, execute(TEACHER, "declineSuggestion", {"request": number}))

    assert sleeps.delays == [20.0]
    assert len(connector.failed_calls) == 2
    assert connector.threads_in(TEAM_ID) == []
    assert [entry["state"] for entry in await outbox(app, "triage_post")] == ["pending"]


@pytest.mark.parametrize("status", [400, 401, 404, 500])
async def test_other_statuses_not_retried(app, connector, sleeps, status):
    number = await filed_request(app, connector)
    connector.fail_next(status, 1, path_prefix="/v3/conversations")

    await send(app, connector, execute(TEACHER, "declineSuggestion", {"request": number}))

    assert len(connector.failed_calls) == 1
    assert sleeps.delays == []
    [entry] = await outbox(app, "triage_post")
    assert entry["state"] == ("pending" if status == 500 else "failed")


async def test_forbidden_personal_send_marks_unreachable(app, connector, sleeps):
    teacher_chat = f"/v3/conversations/{personal(TEACHER).id}"
    number = await filed_request(app, connector)
    await send(app, connector, execute(TEACHER, "declineSuggestion", {"request": number}))
    triage_thread = channel_conversation(connector.threads_in(TEAM_ID)[0].conversation_id)
    connector.fail_next(403, 1, path_prefix=teacher_chat)

    await send(app, connector, execute(TRIAGER, "route", {"request": number, "level": "1", "channel": "tst-remote"}, triage_thread))

    assert [(method, path.startswith(teacher_chat), status) for method, path, status in connector.failed_calls] == [("POST", True, 403)]
    assert sleeps.delays == []
    teacher = await app.store.get("people", TEACHER.aad_object_id)
    assert "403" in teacher["unreachable"]
    assert [entry["state"] for entry in await outbox(app, "routed")] == ["failed"]
    assert (await app.store.get("requests", str(number)))["status"] == "routed"

    tst_thread = channel_conversation(connector.threads_in(TST_CHANNEL_ID)[0].conversation_id)
    sent_before = len(connector.messages_to(personal(TEACHER).id))
    await send(app, connector, execute(TST, "claim", {"request": number}, tst_thread))
    assert len(connector.messages_to(personal(TEACHER).id)) == sent_before
    assert [entry["state"] for entry in await outbox(app, "claimed")] == ["failed"]


async def test_unreachable_cleared_when_teacher_writes(app, connector):
    await filed_request(app, connector)
    await app.app[SERVICES].people.mark_unreachable(TEACHER.aad_object_id, "Teams returned HTTP 403")
    await send(app, connector, execute(TEACHER, "myRequests", {}))

    assert (await app.store.get("people", TEACHER.aad_object_id)).get("unreachable") is None


async def test_failed_card_update_keeps_state(app, connector, sleeps, caplog):
    number, tst_thread = await routed_request(app, connector)
    connector.fail_next(404, 2, method="PUT")

    with caplog.at_level(logging.WARNING):
        status, body = await send(app, connector, execute(TST, "claim", {"request": number}, tst_thread))

    assert status == 200
    assert "Adele Vance" in str(body["value"])
    assert [failure[0] for failure in connector.failed_calls] == ["PUT"]
    assert sleeps.delays == []
    stored = await app.store.get("requests", str(number))
    assert stored["status"] == "claimed"
    assert stored["owner_id"] == TST.aad_object_id
    [entry] = [entry for entry in await outbox(app, "refresh_cards") if entry["seq"] == stored["_version"]]
    assert entry["state"] == "failed"
    warnings = [record.getMessage() for record in caplog.records if record.name == "bots.notifier"]
    assert any(entry["key"] in message and f"request {number}" in message and "HTTP 404" in message for message in warnings)
