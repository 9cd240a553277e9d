"""Welcome and help in the teacher's personal chat."""

from tests.conftest import card_text, cards, texts
from tests.factories import BOT, TEACHER, installed, members_added, message


async def test_install_greets_teacher_once(driver):
    first = await driver.send(installed(TEACHER))
    again = await driver.send(installed(TEACHER))
    member_event = await driver.send(members_added(TEACHER, TEACHER))

    assert len(cards(first)) == 1
    assert "Pedagogical Helpdesk" in card_text(cards(first)[0])
    assert "Alex" in card_text(cards(first)[0])
    assert cards(again) == []
    assert cards(member_event) == []


async def test_bot_added_event_does_not_greet(driver):
    replies = await driver.send(members_added(TEACHER, BOT))

    assert cards(replies) == []


async def test_help_lists_commands(driver):
    replies = await driver.send(message(TEACHER, "help"))

    assert len(texts(replies)) == 1
    assert "new request" in texts(replies)[0]
    assert "my requests" in texts(replies)[0]


async def test_greeting_survives_restart(settings):
    from bot import open_services
    from bots.helpdesk_bot import HelpdeskBot
    from tests.conftest import BotDriver

    services = await open_services(settings)
    await BotDriver(HelpdeskBot(services)).send(installed(TEACHER))
    await services.store.close()

    reopened = await open_services(settings)
    replies = await BotDriver(HelpdeskBot(reopened)).send(installed(TEACHER))
    await reopened.store.close()

    assert cards(replies) == []
