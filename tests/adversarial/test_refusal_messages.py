"""Refusals name what is wrong and what to do next, in words that fit the action."""

import pytest

from tests.dialogs.test_staff import TST_THREAD, routed
from tests.conftest import texts
from tests.factories import TEACHER, TST, execute


@pytest.mark.parametrize(
    ("sender", "verb", "field", "expected"),
    [
        (TEACHER, "replyToTst", "reply", "The reply is missing"),
        (TST, "messageTeacher", "message", "The message is missing"),
        (TEACHER, "reopen", "reason", "The reason is missing"),
    ],
)
async def test_missing_text_gets_fitting_hint(driver, services, sender, verb, field, expected):
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))
    conversation = TST_THREAD if sender is TST else None

    replies = texts(await driver.send(execute(sender, verb, {"request": number, field: "   "}, conversation)))

    assert any(expected in text for text in replies), replies
    assert not any("what was done" in text for text in replies), replies
    assert "Done." not in replies, replies
