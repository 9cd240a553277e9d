"""Card data that Teams never sends but a forged or corrupted activity can: the bot must reply with a message, not fail."""

import pytest

from domain.errors import InvalidInput
from sessions.local_time import checked_duration
from tests.factories import TEACHER, TST, execute, submit

# Python refuses int() of a string longer than 4,300 digits (sys.get_int_max_str_digits()) with ValueError.
LONG_DIGITS = "9" * 5000


@pytest.mark.parametrize(
    ("verb", "data"),
    [
        ("claim", {"request": LONG_DIGITS}),
        ("route", {"request": 1, "level": LONG_DIGITS, "channel": "tst-remote"}),
        ("changeLevel", {"request": 1, "level": LONG_DIGITS, "reason": "Needs a visit."}),
        ("merge", {"request": 1, "other": LONG_DIGITS}),
    ],
)
async def test_long_digit_string_is_invalid_input(bot_client, verb, data):
    status, body = await bot_client.post(execute(TST, verb, data))

    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "whole number" in body["value"] or "invalid" in body["value"]


async def test_long_digit_submit_gets_reply(bot_client, connector):
    status, _ = await bot_client.post(submit(TEACHER, {"verb": "rate", "request": LONG_DIGITS}))
    texts = [call.body.get("text") or "" for call in connector.messages_to("a:personal-29:alex")]

    assert status in (200, 201)
    assert any("invalid request number" in text for text in texts)


async def test_error_message_shortens_echoed_value(bot_client):
    status, body = await bot_client.post(execute(TEACHER, "rate", {"request": "x" * 100_000}))

    assert status == 200
    assert "invalid request number" in body["value"]
    assert len(body["value"]) < 300


def test_long_duration_is_invalid_input():
    with pytest.raises(InvalidInput) as raised:
        checked_duration(LONG_DIGITS)

    assert "whole number of minutes" in str(raised.value)
    assert len(str(raised.value)) < 300


@pytest.mark.parametrize(
    ("verb", "data", "expected"),
    [
        ("rate", {"request": 1, "rating": "5" * 10_000}, "Pick a rating"),
        ("answer", {"request": 1, "article": "a" * 10_000}, "was not found in the knowledge base"),
    ],
)
async def test_refusal_quotes_long_value_briefly(bot_client, verb, data, expected):
    status, body = await bot_client.post(execute(TEACHER if verb == "rate" else TST, verb, data))

    assert status == 200
    assert expected in body["value"]
    assert len(body["value"]) < 300
