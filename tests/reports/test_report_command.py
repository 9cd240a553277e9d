"""The "report" command in personal chat and in channels: who gets the card, who is turned away."""

import pytest
from botbuilder.schema import ChannelAccount

from dialogs.report import REJECTION, ReportDialog
from tests.conftest import cards, card_text, texts
from tests.factories import TEACHER, TRIAGER, TST, TST_CHANNEL_ID, channel_conversation, mention_message, message
from tests.reports.conftest import fixture_ops

LEADER = ChannelAccount(id="29:lynne", name="Lynne Robbins", aad_object_id="00000000-0000-0000-0000-0000000000025")


@pytest.fixture
async def stored(services):
    await services.store.apply(fixture_ops())
    return services


def report_image(card):
    return next(item for item in card["body"] if item.get("type") == "Image")


async def test_leader_gets_card_in_personal_chat(driver, stored):
    replies = await driver.send(message(LEADER, "report 2026-09-01 2026-11-01"))
    [card] = cards(replies)

    assert "Helpdesk report" in card_text(card)
    assert "1 Sep 2026 to 31 Oct 2026" in card_text(card)
    assert report_image(card)["altText"].startswith("Bar chart of teacher touches")


async def test_tst_gets_card_in_channel(driver, stored):
    replies = await driver.send(mention_message(TST, "report 2026-09-01 2026-11-01", channel_conversation(TST_CHANNEL_ID)))
    [card] = cards(replies)

    assert "Teacher touches\n10" in card_text(card)


async def test_triager_default_range_is_school_year(driver, stored):
    replies = await driver.send(message(TRIAGER, "report"))
    [card] = cards(replies)

    assert "1 Sep 2026 to" in card_text(card)


async def test_teacher_refused_politely(driver, stored):
    replies = await driver.send(message(TEACHER, "report"))

    assert texts(replies) == [REJECTION]
    assert cards(replies) == []


async def test_teacher_refused_in_channel(driver, stored):
    replies = await driver.send(mention_message(TEACHER, "report", channel_conversation(TST_CHANNEL_ID)))

    assert texts(replies) == [REJECTION]


async def test_question_starting_with_report_becomes_request(driver, stored):
    replies = await driver.send(message(TEACHER, "report card comments disappear in OneNote"))

    assert any("Let's turn that into a request" in text for text in texts(replies))


async def test_bad_range_explained(driver, stored):
    replies = await driver.send(message(LEADER, "report 2026-12-01 2026-09-01"))
    [reply] = texts(replies)

    assert "must be after the start date" in reply
    assert "report 2026-09-01 2027-01-01" in reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("report", True),
        ("report 2026-09-01 2027-01-01", True),
        ("report secondary", True),
        ("report cards in teams", False),
        ("reports", False),
        ("", False),
    ],
)
def test_command_recognised(text, expected):
    assert ReportDialog.is_command(text) is expected
