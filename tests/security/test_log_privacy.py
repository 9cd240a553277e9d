"""Logs never contain what teachers and staff typed, even at DEBUG: the main path over HTTP with a marker in every text."""

import logging

from tests.integration.conftest import bot_client, connector  # noqa: F401 (fixtures shared with the integration tests)
from tests.factories import TEACHER, TEAM_ID, TRIAGER, TST, TST_CHANNEL_ID, channel_conversation, execute, installed, message

MARKER = "zq-private-7c1e"


def logged_text(caplog) -> list[str]:
    """Return every message, argument and traceback text of the captured records."""
    texts = []
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.extend(repr(argument) for argument in (record.args if isinstance(record.args, tuple) else [record.args]))
        if record.exc_text:
            texts.append(record.exc_text)
    return texts


async def test_no_typed_text_in_logs(bot_client, connector, caplog):
    form = {
        "intakeId": "log-form",
        "category": "minecraft",
        "description": f"Students get a sign-in error in Minecraft Education {MARKER}-description",
        "scope": "one_to_one",
        "school": "Pinetree Secondary",
        "grade": f"Grade 9 {MARKER}-grade",
        "preferredDates": f"Tuesdays {MARKER}-dates",
    }
    caplog.set_level(logging.DEBUG)

    await bot_client.post(installed(TEACHER))
    await bot_client.post(message(TEACHER, f"How do I share a OneNote page {MARKER}-question"))
    await bot_client.post(execute(TEACHER, "submitIntake", {**form, "intakeId": "rejected-form", "category": f"{MARKER}-category"}))
    _, body = await bot_client.post(execute(TEACHER, "submitIntake", form))
    number = body["value"]["actions"][0]["data"]["request"]
    await bot_client.post(execute(TEACHER, "declineSuggestion", {"request": number}))
    triage = channel_conversation(connector.threads_in(TEAM_ID)[0].conversation_id)
    await bot_client.post(execute(TRIAGER, "route", {"request": number, "level": "1", "channel": "tst-remote"}, triage))
    tst = channel_conversation(connector.threads_in(TST_CHANNEL_ID)[0].conversation_id)
    await bot_client.post(execute(TST, "claim", {"request": number}, tst))
    await bot_client.post(execute(TST, "addNote", {"request": number, "note": f"Checked licences {MARKER}-note"}, tst))
    await bot_client.post(execute(TST, "messageTeacher", {"request": number, "message": f"Which laptops {MARKER}-question-to-teacher", "waitForReply": True}, tst))
    await bot_client.post(execute(TEACHER, "replyToTst", {"request": number, "reply": f"The library ones {MARKER}-reply"}))
    await bot_client.post(execute(TST, "resolve", {"request": number, "resolution": f"Reset the licences {MARKER}-resolution"}, tst))
    await bot_client.post(execute(TEACHER, "rate", {"request": number, "rating": "5", "comment": f"Thanks {MARKER}-comment"}))
    await bot_client.post(execute(TEACHER, "reopen", {"request": number, "reason": f"It broke again {MARKER}-reason"}))

    assert len(caplog.records) > 20
    assert any(f"request {number}" in text for text in logged_text(caplog))
    leaks = [text[:200] for text in logged_text(caplog) if MARKER in text]
    assert leaks == []
