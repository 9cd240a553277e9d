"""Service-level reminders, auto-close and the digest, across weekends, holidays and time zones."""

from dataclasses import replace
from datetime import datetime, timezone

from bots.helpdesk_bot import HelpdeskBot
from escalation.reminders import Reminders
from tests.conftest import BotDriver
from tests.dialogs.test_staff import TST_THREAD, filed_and_declined, routed
from tests.factories import TST, execute


class Clock:
    """A settable clock shared by the helpdesk and the reminders."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def with_clock(services, clock):
    services.helpdesk._now = clock
    return Reminders(services.store, services.ladder, services.settings, now=clock)


async def test_untriaged_reminder_waits_a_school_day(services):
    clock = Clock(utc(2026, 12, 4, 18))  # Friday 11:00 local
    reminders = with_clock(services, clock)
    driver = BotDriver(HelpdeskBot(services))
    number = await filed_and_declined(driver, services)

    clock.moment = utc(2026, 12, 6, 18)  # Sunday: not a school day, nothing runs
    sunday = await reminders.run()
    clock.moment = utc(2026, 12, 7, 18)  # Monday: one school day later
    monday = await reminders.run()
    again = await reminders.run()
    outbox = [entry for entry in await services.store.find("outbox", kind="reminder") if entry["request"] == number]

    assert sunday == {}
    assert monday == {"untriaged": 1}
    assert again == {}
    assert len(outbox) == 1
    assert outbox[0]["place"] == "triage"


async def test_untriaged_reminder_skips_holiday(services):
    clock = Clock(utc(2026, 12, 18, 18))  # Friday before winter break
    reminders = with_clock(services, clock)
    number = await filed_and_declined(BotDriver(HelpdeskBot(services)), services)

    clock.moment = utc(2026, 12, 22, 18)  # Tuesday in the break
    in_break = await reminders.overdue()
    clock.moment = utc(2027, 1, 4, 18)  # first school day after the break
    after = await reminders.overdue()

    assert in_break == [] or all(item.request.number != number for item in in_break)
    assert [item.kind for item in after if item.request.number == number] == ["untriaged"]


async def test_unclaimed_counts_school_hours(services):
    clock = Clock(utc(2026, 12, 4, 20))  # Friday 13:00 local
    reminders = with_clock(services, clock)
    number = await routed(BotDriver(HelpdeskBot(services)), services)

    clock.moment = utc(2026, 12, 7, 16)  # Monday 09:00 local: 2 + 1 = 3 school hours
    monday_early = [item.kind for item in await reminders.overdue() if item.request.number == number]
    clock.moment = utc(2026, 12, 7, 17, 30)  # Monday 10:30 local: 4.5 school hours
    monday_later = [item.kind for item in await reminders.overdue() if item.request.number == number]

    assert monday_early == []
    assert monday_later == ["unclaimed"]


async def test_waiting_on_teacher_auto_closes(services):
    clock = Clock(utc(2026, 12, 1, 18))
    reminders = with_clock(services, clock)
    driver = BotDriver(HelpdeskBot(services))
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))
    await driver.send(execute(TST, "messageTeacher", {"request": number, "message": "Which room?", "waitForReply": "true"}, TST_THREAD))

    clock.moment = utc(2026, 12, 4, 18)
    early = await reminders.run()
    clock.moment = utc(2026, 12, 7, 18)
    late = await reminders.run()
    request = await services.helpdesk.get(number)

    assert "waiting" not in early
    assert late.get("waiting") == 1
    assert request.status == "closed"
    assert "5 days" in request.resolution_note
    assert "auto_closed" in [entry["kind"] for entry in await services.store.find("outbox", request=number)]


async def test_digest_once_per_school_day(services):
    clock = Clock(utc(2026, 12, 7, 16, 15))  # Monday 09:15 local
    reminders = with_clock(services, clock)

    first = await reminders.digest_due()
    second = await reminders.digest_due()
    clock.moment = utc(2026, 12, 12, 16, 15)  # Saturday
    saturday = await reminders.digest_due()

    assert first is True
    assert second is False
    assert saturday is False


async def test_digest_card_lists_oldest_first(services):
    from dialogs.staff_view import triage_digest
    from tests.conftest import card_text

    driver = BotDriver(HelpdeskBot(services))
    first = await filed_and_declined(driver, services, "digest-a")
    second = await filed_and_declined(driver, services, "digest-b")
    services.settings = replace(services.settings, digest_max_items=1)

    card = await triage_digest(services, utc(2026, 12, 7, 16))
    text = card_text(card)

    assert f"Request #{first}" in text
    assert f"Request #{second}" not in text
    assert "And 1 more waiting" in text
    assert "Monday December 7" in text
