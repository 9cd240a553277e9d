"""A teacher who forges a staff button must not see another teacher's request or the triage digest."""

import json

import pytest

from tests.factories import TEACHER, TEACHER_2, execute, installed, submit

SECRET = "Jordan in block C cannot sign in to Minecraft Education since the update."
FORM = {"category": "minecraft", "description": SECRET, "scope": "one_to_one", "school": "Pinetree Secondary", "urgency": "urgent"}
STAFF_VERBS = ["claim", "route", "answer", "assign", "merge", "link", "addNote", "resolve", "unclaim", "changeLevel", "messageTeacher"]


async def other_teachers_request(bot_client) -> int:
    """File a request as Sam Patel and send it to triage; return its number."""
    await bot_client.post(installed(TEACHER_2))
    await bot_client.post(installed(TEACHER))
    await bot_client.post(execute(TEACHER_2, "submitIntake", {**FORM, "intakeId": "sam-1"}))
    number = 1
    await bot_client.post(execute(TEACHER_2, "declineSuggestion", {"request": number}))
    return number


@pytest.mark.parametrize("verb", STAFF_VERBS)
async def test_staff_verb_refusal_hides_request(bot_client, verb):
    number = await other_teachers_request(bot_client)

    status, body = await bot_client.post(execute(TEACHER, verb, {"request": number}))

    assert status == 200
    assert SECRET not in json.dumps(body)
    assert "Sam Patel" not in json.dumps(body)


async def test_staff_submit_refusal_hides_request(bot_client, connector):
    number = await other_teachers_request(bot_client)
    sent_before = len(connector.calls)

    await bot_client.post(submit(TEACHER, {"verb": "claim", "request": number}))
    to_alex = [call.body for call in connector.calls[sent_before:] if call.conversation_id == "a:personal-29:alex"]

    assert to_alex, "the teacher got no reply"
    assert SECRET not in json.dumps(to_alex)


async def test_digest_source_hides_waiting_requests(bot_client):
    await other_teachers_request(bot_client)
    await bot_client.post(execute(TEACHER, "submitIntake", {**FORM, "description": "My class cannot open Minecraft worlds.", "intakeId": "alex-1"}))

    status, body = await bot_client.post(execute(TEACHER, "declineSuggestion", {"request": 2, "source": "digest"}))

    assert status == 200
    assert SECRET not in json.dumps(body)
    assert "Sam Patel" not in json.dumps(body)


async def test_digest_source_refusal_hides_digest(bot_client):
    await other_teachers_request(bot_client)

    status, body = await bot_client.post(execute(TEACHER, "route", {"request": 1, "level": "1", "channel": "tst-remote", "source": "digest"}))

    assert status == 200
    assert SECRET not in json.dumps(body)
