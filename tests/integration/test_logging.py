"""Structured logs over HTTP: JSON lines that carry the request and turn ids, and none of the text a teacher typed."""

import io
import json
import logging
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import build_app
from bots.logging_setup import AccessLogger, configure_logging
from tests.factories import TEACHER, execute, installed, message, personal
from tests.integration.conftest import BotClient, delivered

# Text only a teacher types; it must never reach the log.
MARKER = "zebra-quokka-7731"

FORM = {
    "intakeId": "log-form",
    "category": "forms",
    "description": f"My quiz in Forms shows no points for the class, {MARKER}.",
    "scope": "one_to_one",
    "school": "Pinetree Secondary",
    "grade": f"Grade 8 {MARKER}",
    "subject": f"Science {MARKER}",
    "urgency": "this_week",
}


@pytest.fixture
async def bot_client(settings, connector):
    """The app served as `python bot.py` serves it, with the request log of bots/logging_setup.py."""
    server = TestServer(build_app(settings), host="127.0.0.1")
    await server.start_server(access_log_class=AccessLogger)
    client = TestClient(server)
    await client.start_server()
    yield BotClient(client, connector)
    await client.close()


@pytest.fixture
def json_log():
    """Send every log record to a buffer as JSON lines, as `LOG_FORMAT=json` does, and restore the root logger after."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    buffer = io.StringIO()
    configure_logging("INFO", "json", stream=buffer)
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)


def records(buffer: io.StringIO) -> list[dict]:
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


async def post(bot_client, activity, headers=None):
    activity.service_url = bot_client.connector.url
    response = await bot_client.client.post("/api/messages", json=activity.serialize(), headers=headers or {})
    await response.read()
    await delivered(bot_client.client)
    return response


async def test_turn_records_carry_request_and_activity_ids(bot_client, json_log):
    activity = installed(TEACHER)
    activity.id = "activity-install-1"

    response = await post(bot_client, activity, {"x-ms-request-id": "req-install-1"})

    assert response.status in (200, 201)
    assert response.headers["x-request-id"] == "req-install-1"
    logged = records(json_log)
    in_request = [record for record in logged if record.get("request_id") == "req-install-1"]
    in_turn = [record for record in in_request if record.get("activity_id") == "activity-install-1"]
    assert in_turn, f"no record of the turn carries both ids: {logged}"
    assert all(record["conversation_id"] == personal(TEACHER).id for record in in_turn)
    assert all(record["activity_type"] == "installationUpdate" for record in in_turn)
    access = [record for record in in_request if record["logger"] == "aiohttp.access"]
    assert len(access) == 1
    assert access[0]["message"].startswith("POST /api/messages 20")


async def test_json_records_have_standard_fields(bot_client, json_log):
    await post(bot_client, installed(TEACHER))

    logged = records(json_log)

    assert logged
    for record in logged:
        assert {"time", "level", "logger", "message"} <= record.keys()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", record["time"])


async def test_request_id_generated_without_header(bot_client, json_log):
    response = await post(bot_client, installed(TEACHER))

    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert any(record.get("request_id") == request_id for record in records(json_log))


@pytest.mark.parametrize("header", ["x-ms-request-id", "x-request-id"])
async def test_request_id_taken_from_header(bot_client, json_log, header):
    response = await post(bot_client, installed(TEACHER), {header: "0f8fad5b-d9cb-469f-a165-70867728950e"})

    assert response.headers["x-request-id"] == "0f8fad5b-d9cb-469f-a165-70867728950e"


async def test_request_id_header_with_text_replaced(bot_client, json_log):
    response = await post(bot_client, installed(TEACHER), {"x-request-id": f"hello {MARKER}"})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert MARKER not in json_log.getvalue()


async def test_teacher_text_stays_out_of_log(bot_client, json_log):
    question = message(TEACHER, f"How do I share a OneNote page with my class? {MARKER}")
    question.id = "activity-question-1"
    rejected = execute(TEACHER, "submitIntake", {**FORM, "scope": f"everyone {MARKER}"})
    rejected.id = "activity-rejected-1"
    filed = execute(TEACHER, "submitIntake", FORM)
    filed.id = "activity-filed-1"

    for activity in (installed(TEACHER), question, rejected, filed):
        response = await post(bot_client, activity)
        assert response.status in (200, 201)

    text = json_log.getvalue()
    logged = records(json_log)
    assert any(record.get("activity_id") == "activity-rejected-1" and "rejected" in record["message"] for record in logged)
    assert bot_client.connector.messages_to(personal(TEACHER).id), "the bot sent nothing, so the check below proves little"
    assert MARKER not in text
