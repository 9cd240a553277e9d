"""A question to the teacher starts the wait that auto-close counts, whatever happened to the request before."""

from datetime import datetime, timezone

from bots.helpdesk_bot import HelpdeskBot
from escalation.reminders import Reminders
from tests.conftest import BotDriver
from tests.dialogs.test_staff import TST_THREAD, routed
from tests.escalation.test_reminders import Clock
from tests.factories import TST, execute


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


async def test_question_after_long_claim_waits(services):
    clock = Clock(utc(2027, 1, 4, 18))  # Monday 10:00 local
    services.helpdesk._now = clock
    reminders = Reminders(services.store, services.ladder, services.settings, now=clock)
    driver = BotDriver(HelpdeskBot(services))
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))

    clock.moment = utc(2027, 1, 12, 18)  # eight days later the TST asks the teacher something
    await driver.send(execute(TST, "messageTeacher", {"request": number, "message": "Which room is it?", "waitForReply": "true"}, TST_THREAD))
    clock.moment = utc(2027, 1, 12, 19)  # an hour later the reminders run
    ran = await reminders.run()
    request = await services.helpdesk.get(number)

    assert "waiting" not in ran
    assert request.status == "waiting_on_teacher"
    assert request.waiting_since == "2027-01-12T18:00:00Z"
