"""Site visits and in-class support through the bot: proposed times, the teacher's pick, calendars, reminders and outcomes."""

from datetime import datetime, timedelta, timezone

import pytest

from bot import open_services
from bots.notifier import Notifier
from config import load_settings
from storage import StorageError
from tests.champions.helpers import NOW, Clock, RecordingMessenger, remember_contact, routed_request, use_clock
from tests.conftest import REPO, BotDriver, card_text, find_action, invoke_body, texts
from tests.factories import TEACHER, TEACHER_2, TST, TST_2, TST_CHANNEL_ID, channel_conversation, execute
from tests.graph.conftest import RecordedSleep, fake_graph, graph_certificate, graph_environ  # noqa: F401 (fixtures)
from bots.helpdesk_bot import HelpdeskBot
from visits import VisitStatus

TST_THREAD = channel_conversation(f"{TST_CHANNEL_ID};messageid=400")
# Local times in America/Vancouver, after NOW (Tuesday December 1, 2026, 2 PM local).
TIMES = {"date1": "2026-12-03", "time1": "10:00", "date2": "2026-12-04", "time2": "13:30", "duration": "60"}
TEACHER_MAIL = "alex@district.example"


@pytest.fixture
def clock(services):
    clock = Clock(NOW)
    use_clock(services, clock)
    return clock


@pytest.fixture
async def graph_services(tmp_path, fake_graph):
    """Services whose visits go on calendars through the fake Graph, with the TST and the teacher in its directory."""
    settings = load_settings(environ={"HELPDESK_DATA_DIR": str(tmp_path / "data"), **graph_environ(fake_graph)}, config_path=REPO / "config" / "helpdesk.yaml")
    services = await open_services(settings)
    fake_graph.add_user(TST.aad_object_id, "Adele Vance", "adele@district.example")
    fake_graph.add_user(TEACHER.aad_object_id, "Alex Wilber", TEACHER_MAIL)
    services.visits.calendar.graph.sleep = RecordedSleep()
    use_clock(services, Clock(NOW))
    yield services
    await services.sessions.close()
    await services.store.close()


@pytest.fixture
def graph_driver(graph_services):
    return BotDriver(HelpdeskBot(graph_services))


async def propose(driver, number: int, times: dict | None = None, sender=TST):
    return await driver.send(execute(sender, "proposeVisit", {"request": number, **(times or TIMES), "note": "I will bring the laptop cart."}, TST_THREAD))


async def proposed(driver, services, level: int = 4) -> tuple[int, str]:
    request = await routed_request(services, level)
    await propose(driver, request.number)
    return request.number, (await services.visits.current(request.number)).id


async def booked(driver, services, level: int = 4) -> tuple[int, str]:
    number, visit_id = await proposed(driver, services, level)
    await driver.send(execute(TEACHER, "chooseVisitTime", {"visit": visit_id, "option": "0"}))
    return number, visit_id


# Proposing times


async def test_proposal_sends_times_to_teacher(driver, services, clock):
    request = await routed_request(services, 4)

    replies = await propose(driver, request.number)
    visit = await services.visits.current(request.number)
    stored = await services.helpdesk.get(request.number)
    kinds = [entry["kind"] for entry in await services.store.find("outbox", request=request.number)]
    messenger = RecordingMessenger()
    await remember_contact(services, TEACHER)
    await Notifier(services, messenger).flush()
    (picker,) = [card for card in messenger.cards_for(TEACHER) if find_action(card, "chooseVisitTime")]

    assert "Times sent to the teacher" in card_text(invoke_body(replies).value)
    assert visit.state is VisitStatus.PROPOSED
    assert [option["start"] for option in visit.options] == ["2026-12-03T17:00:00Z", "2026-12-04T20:30:00Z"]
    assert stored.owner_id == TST.aad_object_id
    assert stored.status == "in_progress"
    assert "visit_options" in kinds
    assert "Thu Dec 3, 2026, 10:00–11:00 AM (America/Vancouver)" in card_text(picker)
    assert find_action(picker, "chooseVisitTime")["data"]["visit"] == visit.id


@pytest.mark.parametrize(
    ("now", "times", "problem"),
    [
        (NOW, {"date1": "2026-11-30", "time1": "10:00"}, "is in the past"),
        (datetime(2026, 2, 1, 20, 0, tzinfo=timezone.utc), {"date1": "2026-03-08", "time1": "02:30"}, "does not exist in America/Vancouver"),
        (datetime(2025, 10, 1, 20, 0, tzinfo=timezone.utc), {"date1": "2025-11-02", "time1": "01:30"}, "happens twice in America/Vancouver"),
        (NOW, {"date1": "2028-01-10", "time1": "10:00"}, "more than a year ahead"),
        (NOW, {"date1": "2026-12-03", "time1": "10:00", "date2": "2026-12-03", "time2": "10:00"}, "repeats an earlier time"),
        (NOW, {"date1": "2026-12-03"}, "time must look like"),
        (NOW, {}, "at least one date and time"),
    ],
)
async def test_proposal_rejects_bad_times(driver, services, clock, now, times, problem):
    clock.now = now
    request = await routed_request(services, 4)

    replies = await propose(driver, request.number, {**times, "duration": "60"})

    assert any(problem in text for text in texts(replies)), texts(replies)
    assert await services.visits.current(request.number) is None


async def test_teacher_cannot_propose(driver, services, clock):
    request = await routed_request(services, 5)

    replies = await propose(driver, request.number, sender=TEACHER)

    assert any("planned by the Technology Support Teachers" in text for text in texts(replies))
    assert await services.visits.current(request.number) is None


async def test_other_tst_cannot_propose_for_owned_request(driver, services, clock):
    number, _ = await proposed(driver, services)

    replies = await propose(driver, number, {"date1": "2026-12-07", "time1": "09:00", "duration": "60"}, sender=TST_2)

    assert any("is owned by Adele Vance" in text for text in texts(replies))


async def test_new_times_replace_unpicked_ones(driver, services, clock):
    number, first = await proposed(driver, services)

    await propose(driver, number, {"date1": "2026-12-07", "time1": "09:00", "duration": "90"})
    replaced = await services.visits.get(first)
    current = await services.visits.current(number)

    assert replaced.state is VisitStatus.CANCELLED
    assert current.id != first
    assert current.options == [{"start": "2026-12-07T16:00:00Z", "end": "2026-12-07T17:30:00Z"}]


# The teacher's pick without Graph


async def test_pick_books_with_calendar_file(driver, services, clock):
    number, visit_id = await proposed(driver, services)

    replies = await driver.send(execute(TEACHER, "chooseVisitTime", {"visit": visit_id, "option": "1"}))
    visit = await services.visits.get(visit_id)
    events = [event.type for event in await services.helpdesk.history(number)]
    ics = await services.visits.calendar_text(visit_id, visit.calendar_key)
    wrong_key = await services.visits.calendar_text(visit_id, "guess")

    assert "is booked" in card_text(invoke_body(replies).value)
    assert visit.state is VisitStatus.BOOKED
    assert visit.start == "2026-12-04T20:30:00Z"
    assert visit.event_id is None
    assert events[-1] == "visit_booked"
    assert "DTSTART:20261204T203000Z" in ics
    assert "LOCATION:Anmore Elementary" in ics
    assert wrong_key is None


async def test_other_teacher_cannot_pick(driver, services, clock):
    _, visit_id = await proposed(driver, services)

    replies = await driver.send(execute(TEACHER_2, "chooseVisitTime", {"visit": visit_id, "option": "0"}))

    assert any("sent to another teacher" in text for text in texts(replies))
    assert (await services.visits.get(visit_id)).state is VisitStatus.PROPOSED


async def test_pick_twice_books_once(driver, services, clock):
    number, visit_id = await booked(driver, services)

    replies = await driver.send(execute(TEACHER, "chooseVisitTime", {"visit": visit_id, "option": "1"}))
    events = [event.type for event in await services.helpdesk.history(number)]

    assert any("already booked for Thu Dec 3" in text for text in texts(replies))
    assert events.count("visit_booked") == 1


async def test_passed_time_cannot_be_picked(driver, services, clock):
    _, visit_id = await proposed(driver, services)
    clock.now = datetime(2026, 12, 3, 18, 0, tzinfo=timezone.utc)

    replies = await driver.send(execute(TEACHER, "chooseVisitTime", {"visit": visit_id, "option": "0"}))

    assert any("That time has passed" in text for text in texts(replies))


# Reminders


async def test_day_before_reminder_sent_once(driver, services, clock):
    _, visit_id = await booked(driver, services)
    counts = []

    for moment in (
        datetime(2026, 12, 2, 18, 0, tzinfo=timezone.utc),  # 10 AM local the day before: before the reminder time
        datetime(2026, 12, 2, 20, 0, tzinfo=timezone.utc),  # noon local the day before
        datetime(2026, 12, 2, 23, 0, tzinfo=timezone.utc),  # later that afternoon
        datetime(2026, 12, 3, 16, 0, tzinfo=timezone.utc),  # the morning of the visit
    ):
        clock.now = moment
        counts.append(await services.visits.send_reminders())
    reminders = await services.store.find("outbox", kind="visit_reminder")

    assert counts == [0, 1, 0, 0]
    assert sorted(entry["target"] for entry in reminders) == ["teacher", "tst"]


async def test_reminder_reaches_teacher_and_tst(driver, services, clock):
    await booked(driver, services)
    clock.now = datetime(2026, 12, 2, 20, 0, tzinfo=timezone.utc)
    await services.visits.send_reminders()
    messenger = RecordingMessenger()
    for account in (TEACHER, TST):
        await remember_contact(services, account)

    await Notifier(services, messenger).flush()

    assert any("Reminder: the site visit at Anmore Elementary is tomorrow" in card_text(card) for card in messenger.cards_for(TEACHER))
    assert any("visit tomorrow" in card_text(card) for card in messenger.cards_for(TST))


# After the visit


@pytest.mark.parametrize(
    ("level", "outcome", "kind", "resolved_level"),
    [(4, "visit", "site_visit", 4), (4, "demonstration", "in_class", 5), (5, "team_teaching", "in_class", 5), (5, "visit", "site_visit", 4)],
)
async def test_recording_resolves_with_touch(driver, services, clock, level, outcome, kind, resolved_level):
    number, visit_id = await booked(driver, services, level)
    clock.now = datetime(2026, 12, 3, 19, 0, tzinfo=timezone.utc)

    await driver.send(execute(TST, "recordVisit", {"visit": visit_id, "outcome": outcome, "note": "Co-taught the Forms quiz lesson."}, TST_THREAD))
    request = await services.helpdesk.get(number)
    touches = await services.store.find("touches", request=number)

    assert request.status == "resolved"
    assert request.level == resolved_level
    assert len(touches) == 1
    assert touches[0]["kind"] == kind
    assert touches[0]["by_id"] == TST.aad_object_id
    assert (await services.visits.get(visit_id)).outcome == outcome


async def test_recording_refused_before_visit_or_by_others(driver, services, clock):
    number, visit_id = await booked(driver, services)
    data = {"visit": visit_id, "outcome": "visit", "note": "Done."}

    early = await driver.send(execute(TST, "recordVisit", data, TST_THREAD))
    clock.now = datetime(2026, 12, 3, 19, 0, tzinfo=timezone.utc)
    teacher = await driver.send(execute(TEACHER, "recordVisit", data))
    other_tst = await driver.send(execute(TST_2, "recordVisit", data, TST_THREAD))
    bad_outcome = await driver.send(execute(TST, "recordVisit", {**data, "outcome": "party"}, TST_THREAD))

    assert any("once it has started" in text for text in texts(early))
    assert any("planned by the Technology Support Teachers" in text for text in texts(teacher))
    assert any("who planned this visit, or the owner" in text for text in texts(other_tst))
    assert any("Say what was done" in text for text in texts(bad_outcome))
    assert (await services.helpdesk.get(number)).status == "in_progress"
    assert await services.store.find("touches", request=number) == []


async def test_cancel_booked_visit_tells_teacher(driver, services, clock):
    number, visit_id = await booked(driver, services)

    replies = await driver.send(execute(TST, "cancelVisit", {"visit": visit_id, "reason": "I am ill."}, TST_THREAD))
    notices = [entry for entry in await services.store.find("outbox", kind="visit_notice") if entry["target"] == "teacher"]

    assert "Cancelled; the teacher was told." in card_text(invoke_body(replies).value)
    assert (await services.visits.get(visit_id)).state is VisitStatus.CANCELLED
    assert "is cancelled: I am ill." in notices[0]["text"]
    assert find_action(invoke_body(replies).value, "proposeVisit") is not None


# Calendars through Microsoft Graph


async def test_booking_puts_event_on_both_calendars(graph_driver, graph_services, fake_graph):
    number, visit_id = await booked(graph_driver, graph_services)
    visit = await graph_services.visits.get(visit_id)
    event = fake_graph.event(visit.event_id)
    (created,) = [call for call in fake_graph.graph_calls("POST") if call.path.endswith("/events")]

    assert visit.state is VisitStatus.BOOKED
    assert created.path == f"/v1.0/users/{TST.aad_object_id}/events"
    assert event["start"] == {"dateTime": "2026-12-03T17:00:00.0000000", "timeZone": "UTC"}
    assert [attendee["emailAddress"]["address"] for attendee in event["attendees"]] == [TEACHER_MAIL]
    assert "Anmore Elementary" in event["subject"]


async def test_failed_create_leaves_visit_unbooked(graph_driver, graph_services, fake_graph):
    number, visit_id = await proposed(graph_driver, graph_services)
    fake_graph.fail_next(503, count=3, path_contains="/events")

    replies = await graph_driver.send(execute(TEACHER, "chooseVisitTime", {"visit": visit_id, "option": "0"}))
    visit = await graph_services.visits.get(visit_id)
    events = [event.type for event in await graph_services.helpdesk.history(number)]
    notices = [entry for entry in await graph_services.store.find("outbox", kind="visit_notice") if entry["target"] == "tst"]

    assert any("could not be put on the calendars, so it is not booked" in text for text in texts(replies))
    assert find_action(invoke_body(replies).value, "chooseVisitTime") is not None
    assert visit.state is VisitStatus.PROPOSED
    assert visit.start is None
    assert "HTTP 503" in visit.problem
    assert fake_graph.events == {}
    assert "visit_booked" not in events
    assert len(notices) == 1


async def test_teacher_missing_from_directory_books_nothing(graph_driver, graph_services, fake_graph):
    _, visit_id = await proposed(graph_driver, graph_services)
    del fake_graph.users[TEACHER.aad_object_id]

    replies = await graph_driver.send(execute(TEACHER, "chooseVisitTime", {"visit": visit_id, "option": "0"}))

    assert any("was not found in Microsoft 365" in text for text in texts(replies))
    assert (await graph_services.visits.get(visit_id)).state is VisitStatus.PROPOSED
    assert fake_graph.events == {}


async def test_failed_save_cancels_created_event(graph_driver, graph_services, fake_graph, monkeypatch):
    _, visit_id = await proposed(graph_driver, graph_services)

    async def failing_commit(*arguments):
        raise StorageError("disk full")

    monkeypatch.setattr(graph_services.visits, "_commit_booking", failing_commit)
    replies = await graph_driver.send(execute(TEACHER, "chooseVisitTime", {"visit": visit_id, "option": "0"}))
    visit = await graph_services.visits.get(visit_id)

    assert replies
    assert visit.state is VisitStatus.PROPOSED
    assert visit.event_id is None
    assert [key for key in fake_graph.events if not key.startswith("deleted:")] == []
    assert len([key for key in fake_graph.events if key.startswith("deleted:")]) == 1


async def test_failed_save_and_failed_undo_tell_tst(graph_driver, graph_services, fake_graph, monkeypatch):
    _, visit_id = await proposed(graph_driver, graph_services)

    async def failing_commit(*arguments):
        fake_graph.fail_next(403, path_contains="/cancel")
        raise StorageError("disk full")

    monkeypatch.setattr(graph_services.visits, "_commit_booking", failing_commit)
    replies = await graph_driver.send(execute(TEACHER, "chooseVisitTime", {"visit": visit_id, "option": "0"}))
    visit = await graph_services.visits.get(visit_id)
    notices = [entry["text"] for entry in await graph_services.store.find("outbox", kind="visit_notice")]

    assert any("removing it failed too, so it is not booked" in text for text in texts(replies))
    assert visit.state is VisitStatus.PROPOSED
    assert "delete it in Outlook" in visit.problem
    assert any("delete it in Outlook" in text for text in notices)


async def test_failed_cancel_keeps_booking(graph_driver, graph_services, fake_graph):
    _, visit_id = await booked(graph_driver, graph_services)
    event_id = (await graph_services.visits.get(visit_id)).event_id
    fake_graph.fail_next(403, path_contains="/cancel")

    replies = await graph_driver.send(execute(TST, "cancelVisit", {"visit": visit_id, "reason": "Snow day."}, TST_THREAD))
    visit = await graph_services.visits.get(visit_id)

    assert any("refused the helpdesk access" in text for text in texts(replies))
    assert visit.state is VisitStatus.BOOKED
    assert visit.busy is None
    assert event_id in fake_graph.events


async def test_cancel_through_graph(graph_driver, graph_services, fake_graph):
    _, visit_id = await booked(graph_driver, graph_services)
    event_id = (await graph_services.visits.get(visit_id)).event_id

    await graph_driver.send(execute(TST, "cancelVisit", {"visit": visit_id, "reason": "Snow day."}, TST_THREAD))

    assert (await graph_services.visits.get(visit_id)).state is VisitStatus.CANCELLED
    assert fake_graph.events[f"deleted:{event_id}"]["cancelComment"] == "Cancelled by Adele Vance: Snow day."


async def test_new_visit_request_posts_planning_card_once(services, clock):
    await routed_request(services, 5)

    first = await services.visits.prompt_new()
    again = await services.visits.prompt_new()

    assert (first, again) == (1, 0)
    assert len(await services.store.find("outbox", kind="visit_planning")) == 1


async def test_thread_command_shows_planning_card(driver, services, clock):
    from storage import Put
    from tests.factories import mention_message

    request = await routed_request(services, 4)
    await services.store.apply([Put("posts", f"{request.number}:tst", {"conversation_id": TST_THREAD.id, "request": request.number, "activity_id": "400"})])

    replies = await driver.send(mention_message(TST, "visit", TST_THREAD))
    card = [item.content for reply in replies for item in (reply.attachments or [])][0]

    assert "Plan a site visit for request" in card_text(card)
    assert find_action(card, "proposeVisit") is not None


async def test_same_times_twice_propose_once(driver, services, clock):
    number, first = await proposed(driver, services)

    await propose(driver, number)

    assert (await services.visits.current(number)).id == first
    assert len(await services.store.find("visits", request=number)) == 1


async def test_planning_tst_cancels_after_unclaim(driver, services, clock):
    number, visit_id = await booked(driver, services)
    await driver.send(execute(TST, "unclaim", {"request": number}, TST_THREAD))

    await driver.send(execute(TST, "cancelVisit", {"visit": visit_id, "reason": "Moved to remote help."}, TST_THREAD))

    assert (await services.helpdesk.get(number)).owner_id is None
    assert (await services.visits.get(visit_id)).state is VisitStatus.CANCELLED
