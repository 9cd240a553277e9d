"""Scheduling through the fake Graph: success, and stored state that matches the calendar after every failure."""

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.clock import from_iso
from domain.errors import InvalidInput, InvalidTransition, NotAllowed
from graph import GraphPermissionError, GraphThrottled, GraphUnavailable
from sessions import MEMBERS, SESSIONS, SessionStatus
from tests.sessions.helpers import ALEX, JORDAN, SAM, TST_ID, actor, group, level_two, tst

DAY, TIME = "2027-01-14", "15:30"


async def schedule(services, numbers, day=DAY, time=TIME, who=None):
    return await services.sessions.schedule(who or tst(services), numbers, "Sharing a class notebook", day, time, "45")


async def stored(services, collection):
    return await services.store.find(collection)


async def session_outbox(services, kind=None):
    return [entry for entry in await stored(services, "outbox") if entry.get("session") and (kind is None or entry["kind"] == kind)]


# Scheduling


async def test_schedule_creates_meeting_and_invites(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)

    session = await schedule(graph_services, numbers)
    [call] = fake_graph.graph_calls("POST")
    requests = [await graph_services.helpdesk.get(number) for number in numbers]

    assert call.path == f"/v1.0/users/{TST_ID}/events"
    assert call.body["start"] == {"dateTime": "2027-01-14T22:30:00", "timeZone": "UTC"}
    assert {item["emailAddress"]["address"] for item in call.body["attendees"]} == {"alex@district.example", "sam@district.example"}
    assert session.state is SessionStatus.SCHEDULED
    assert session.event_id in fake_graph.events
    assert session.join_url.startswith("https://teams.microsoft.com/")
    assert session.busy is None
    assert [request.status for request in requests] == ["in_progress", "in_progress"]
    assert {request.owner_id for request in requests} == {TST_ID}
    assert (await graph_services.helpdesk.history(numbers[0]))[-1].type == "session_scheduled"
    assert sorted(entry["target"] for entry in await session_outbox(graph_services, "session_invitation")) == sorted([ALEX, SAM])
    assert sorted(doc["request"] for doc in await stored(graph_services, MEMBERS)) == numbers


async def test_schedule_refused_on_403_stores_nothing(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    before = [await graph_services.helpdesk.get(number) for number in numbers]
    fake_graph.fail_next(403, path_contains="/events")

    with pytest.raises(GraphPermissionError, match="Calendars.ReadWrite"):
        await schedule(graph_services, numbers)

    assert await stored(graph_services, SESSIONS) == []
    assert await stored(graph_services, MEMBERS) == []
    assert await session_outbox(graph_services) == []
    assert [await graph_services.helpdesk.get(number) for number in numbers] == before


async def test_schedule_waits_out_429(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    fake_graph.fail_next(429, headers={"Retry-After": "2"}, path_contains="/events")

    session = await schedule(graph_services, numbers)

    assert session.state is SessionStatus.SCHEDULED
    assert graph_services.sessions.calendar.graph.sleep.waits == [2.0]


async def test_schedule_throttled_too_long_stores_nothing(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    fake_graph.fail_next(429, headers={"Retry-After": "120"}, path_contains="/events")

    with pytest.raises(GraphThrottled):
        await schedule(graph_services, numbers)

    assert await stored(graph_services, SESSIONS) == []
    assert await stored(graph_services, MEMBERS) == []


async def test_schedule_refused_for_teacher_without_directory_entry(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    del fake_graph.users[SAM]

    with pytest.raises(InvalidInput, match="Sam Patel .* was not found in Microsoft 365"):
        await schedule(graph_services, numbers)

    assert fake_graph.graph_calls("POST") == []
    assert await stored(graph_services, SESSIONS) == []


async def test_failed_save_cancels_the_meeting(graph_services, fake_graph, monkeypatch):
    numbers = await group(graph_services, ALEX, SAM)

    async def failing_join(*args, **kwargs):
        raise InvalidTransition("#1 changed meanwhile")

    monkeypatch.setattr(graph_services.sessions.ladder, "join", failing_join)
    with pytest.raises(InvalidTransition, match="changed meanwhile"):
        await schedule(graph_services, numbers)

    [cancelled] = fake_graph.events.values()
    assert cancelled["isCancelled"] is True
    assert await stored(graph_services, SESSIONS) == []
    assert await stored(graph_services, MEMBERS) == []


async def test_failed_save_and_failed_cancel_leave_retry(graph_services, fake_graph, monkeypatch):
    numbers = await group(graph_services, ALEX, SAM)
    real_join = graph_services.sessions.ladder.join

    async def failing_join(*args, **kwargs):
        raise InvalidTransition("#1 changed meanwhile")

    monkeypatch.setattr(graph_services.sessions.ladder, "join", failing_join)
    fake_graph.fail_next(503, count=3, path_contains="/cancel")
    with pytest.raises(InvalidTransition, match="use Retry or Discard"):
        await schedule(graph_services, numbers)
    [doc] = await stored(graph_services, SESSIONS)
    interrupted = await graph_services.sessions.get(doc["id"])

    assert interrupted.state is SessionStatus.CREATING
    assert interrupted.event_id in fake_graph.events
    assert graph_services.sessions.is_interrupted(interrupted)
    assert "not saved here" in interrupted.problem

    monkeypatch.setattr(graph_services.sessions.ladder, "join", real_join)
    retried = await graph_services.sessions.retry(tst(graph_services), interrupted.id)

    assert retried.state is SessionStatus.SCHEDULED
    assert retried.event_id == interrupted.event_id
    assert len(fake_graph.graph_calls("POST")) == 1 + 3


async def test_discard_cancels_meeting_and_frees_requests(graph_services, fake_graph, monkeypatch):
    numbers = await group(graph_services, ALEX, SAM)

    async def failing_join(*args, **kwargs):
        raise InvalidTransition("#1 changed meanwhile")

    monkeypatch.setattr(graph_services.sessions.ladder, "join", failing_join)
    fake_graph.fail_next(503, count=3, path_contains="/cancel")
    with pytest.raises(InvalidTransition):
        await schedule(graph_services, numbers)
    [doc] = await stored(graph_services, SESSIONS)

    await graph_services.sessions.discard(tst(graph_services), doc["id"])

    assert all(event["isCancelled"] for event in fake_graph.events.values())
    assert await stored(graph_services, SESSIONS) == []
    assert await stored(graph_services, MEMBERS) == []
    assert [request.number for request in await graph_services.sessions.eligible(tst(graph_services))] == numbers


async def test_session_being_created_cannot_be_retried(graph_services, monkeypatch):
    numbers = await group(graph_services, ALEX, SAM)
    planner = graph_services.sessions
    real_create = planner.calendar.create
    refusals = []

    async def create_while_someone_retries(session, description):
        with pytest.raises(InvalidTransition, match="is changing session") as caught:
            await planner.retry(actor(graph_services, "00000000-0000-0000-0000-0000000000023"), session.id)
        refusals.append(caught.value)
        return await real_create(session, description)

    monkeypatch.setattr(planner.calendar, "create", create_while_someone_retries)
    session = await schedule(graph_services, numbers)

    assert len(refusals) == 1
    assert session.state is SessionStatus.SCHEDULED


async def test_stale_busy_mark_no_longer_blocks(graph_services, clock):
    numbers = await group(graph_services, ALEX, SAM)
    session = await schedule(graph_services, numbers)
    planner = graph_services.sessions
    await planner._lock(session.id, actor(graph_services, TST_ID), "reschedule", (SessionStatus.SCHEDULED,))

    with pytest.raises(InvalidTransition, match="Adele Vance is changing session"):
        await planner.reschedule(tst(graph_services), session.id, "2027-01-15", TIME, "45")
    clock.now += timedelta(minutes=6)
    moved = await planner.reschedule(tst(graph_services), session.id, "2027-01-15", TIME, "45")

    assert moved.start == "2027-01-15T22:30:00Z"


async def test_request_in_a_session_cannot_join_another(graph_services):
    numbers = await group(graph_services, ALEX, SAM)
    third = (await level_two(graph_services, JORDAN, "third")).number
    await schedule(graph_services, numbers)

    with pytest.raises(InvalidTransition, match=rf"#{numbers[0]} is in progress|#{numbers[0]} is already in session"):
        await schedule(graph_services, [numbers[0], third])


async def test_group_checks(graph_services):
    alex, sam = await group(graph_services, ALEX, SAM)
    second_alex = (await level_two(graph_services, ALEX, "again")).number
    remote = await graph_services.helpdesk.route(actor(graph_services, "00000000-0000-0000-0000-0000000000021"), (await level_two(graph_services, JORDAN, "remote")).number, 1, "tst-remote")
    teacher = actor(graph_services, ALEX)

    with pytest.raises(NotAllowed, match="Only a Technology Support Teacher"):
        await schedule(graph_services, [alex, sam], who=teacher)
    with pytest.raises(InvalidInput, match="at least 2 requests"):
        await schedule(graph_services, [alex])
    with pytest.raises(InvalidInput, match="has two requests in this group"):
        await schedule(graph_services, [alex, second_alex])
    with pytest.raises(InvalidInput, match="is not at level 2"):
        await schedule(graph_services, [alex, remote.number])
    with pytest.raises(InvalidInput, match="is in the past"):
        await schedule(graph_services, [alex, sam], day="2026-11-30")


# Changes after scheduling


async def test_reschedule_moves_event_and_asks_again(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    session = await schedule(graph_services, numbers)
    await graph_services.sessions.respond(actor(graph_services, ALEX), session.id, accept=True)

    moved = await graph_services.sessions.reschedule(tst(graph_services), session.id, "2027-01-21", "10:00", "60")
    [patch] = fake_graph.graph_calls("PATCH")

    assert patch.body == {"start": {"dateTime": "2027-01-21T17:00:00", "timeZone": "UTC"}, "end": {"dateTime": "2027-01-21T18:00:00", "timeZone": "UTC"}}
    assert fake_graph.event(session.event_id)["start"]["dateTime"].startswith("2027-01-21T17:00:00")
    assert (moved.start, moved.end, moved.sequence) == ("2027-01-21T17:00:00Z", "2027-01-21T18:00:00Z", 1)
    assert {attendee.response for attendee in moved.attendees} == {"none"}
    assert sorted(entry["target"] for entry in await session_outbox(graph_services, "session_changed")) == sorted([ALEX, SAM])
    assert (await graph_services.helpdesk.history(numbers[0]))[-1].type == "session_rescheduled"


async def test_failed_reschedule_keeps_old_time(graph_services, fake_graph):
    session = await schedule(graph_services, await group(graph_services, ALEX, SAM))
    fake_graph.fail_next(503, count=3, path_contains="/events/")

    with pytest.raises(GraphUnavailable, match="nothing was changed"):
        await graph_services.sessions.reschedule(tst(graph_services), session.id, "2027-01-21", "10:00", "60")
    kept = await graph_services.sessions.get(session.id)

    assert (kept.start, kept.sequence, kept.busy) == (session.start, 0, None)
    assert fake_graph.event(session.event_id)["start"]["dateTime"].startswith("2027-01-14T22:30:00")
    assert await session_outbox(graph_services, "session_changed") == []


async def test_reschedule_into_toronto_gap_is_refused(graph_services, fake_graph):
    session = await schedule(graph_services, await group(graph_services, ALEX, SAM))
    planner = graph_services.sessions
    planner.settings = replace(planner.settings, timezone="America/Toronto")

    with pytest.raises(InvalidInput, match="does not exist in America/Toronto"):
        await planner.reschedule(tst(graph_services), session.id, "2027-03-14", "02:30", "45")

    assert fake_graph.graph_calls("PATCH") == []


async def test_cancel_tells_teachers_and_requeues(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    session = await schedule(graph_services, numbers)

    cancelled = await graph_services.sessions.cancel(tst(graph_services), session.id, "The TST is ill.")
    requests = [await graph_services.helpdesk.get(number) for number in numbers]

    assert cancelled.state is SessionStatus.CANCELLED
    assert fake_graph.events[f"deleted:{session.event_id}"]["cancelComment"] == "The TST is ill."
    assert {(request.status, request.owner_id, request.queue) for request in requests} == {("escalated", None, "small_group")}
    assert await stored(graph_services, MEMBERS) == []
    assert sorted(entry["target"] for entry in await session_outbox(graph_services, "session_cancelled")) == sorted([ALEX, SAM])


async def test_failed_cancel_keeps_session_scheduled(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    session = await schedule(graph_services, numbers)
    fake_graph.fail_next(500, count=3, path_contains="/cancel")

    with pytest.raises(GraphUnavailable, match="Microsoft 365 did not respond"):
        await graph_services.sessions.cancel(tst(graph_services), session.id, "")
    kept = await graph_services.sessions.get(session.id)

    assert (kept.state, kept.busy) == (SessionStatus.SCHEDULED, None)
    assert session.event_id in fake_graph.events
    assert (await graph_services.helpdesk.get(numbers[0])).status == "in_progress"
    assert await session_outbox(graph_services, "session_cancelled") == []


async def test_cancel_after_outlook_deleted_meeting(graph_services, fake_graph):
    session = await schedule(graph_services, await group(graph_services, ALEX, SAM))
    del fake_graph.events[session.event_id]

    cancelled = await graph_services.sessions.cancel(tst(graph_services), session.id, "")

    assert cancelled.state is SessionStatus.CANCELLED


# Answers


async def test_accept_records_response_and_notifies(graph_services):
    session = await schedule(graph_services, await group(graph_services, ALEX, SAM))

    first = await graph_services.sessions.respond(actor(graph_services, ALEX), session.id, accept=True)
    again = await graph_services.sessions.respond(actor(graph_services, ALEX), session.id, accept=True)
    notices = await session_outbox(graph_services, "session_response")

    assert first.attendee_for(ALEX).response == "accepted"
    assert again.version == first.version
    assert [(entry["target"], entry["response"], entry["teacher"]) for entry in notices] == [(TST_ID, "accepted", "Alex Wilber")]


async def test_decline_removes_attendee_from_meeting(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    session = await schedule(graph_services, numbers)

    declined = await graph_services.sessions.respond(actor(graph_services, SAM), session.id, accept=False)
    [patch] = fake_graph.graph_calls("PATCH")
    request = await graph_services.helpdesk.get(numbers[1])

    assert [item["emailAddress"]["address"] for item in patch.body["attendees"]] == ["alex@district.example"]
    assert [item["emailAddress"]["address"] for item in fake_graph.event(session.event_id)["attendees"]] == ["alex@district.example"]
    assert declined.attendee_for(SAM).response == "declined"
    assert [attendee.teacher_id for attendee in declined.invited] == [ALEX]
    assert (request.status, request.owner_id) == ("escalated", None)
    assert [doc["request"] for doc in await stored(graph_services, MEMBERS)] == [numbers[0]]
    assert [entry["response"] for entry in await session_outbox(graph_services, "session_response")] == ["declined"]
    with pytest.raises(InvalidTransition, match="You declined this session"):
        await graph_services.sessions.respond(actor(graph_services, SAM), session.id, accept=True)


async def test_failed_decline_keeps_teacher_invited(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    session = await schedule(graph_services, numbers)
    fake_graph.fail_next(503, count=3, path_contains="/events/")

    with pytest.raises(GraphUnavailable):
        await graph_services.sessions.respond(actor(graph_services, SAM), session.id, accept=False)
    kept = await graph_services.sessions.get(session.id)

    assert kept.attendee_for(SAM).response == "none"
    assert (await graph_services.helpdesk.get(numbers[1])).status == "in_progress"
    assert len(fake_graph.event(session.event_id)["attendees"]) == 2


async def test_other_teacher_cannot_respond(graph_services):
    session = await schedule(graph_services, await group(graph_services, ALEX, SAM))

    with pytest.raises(NotAllowed, match="for another teacher"):
        await graph_services.sessions.respond(actor(graph_services, JORDAN), session.id, accept=True)


async def test_outlook_responses_are_copied(graph_services, fake_graph):
    numbers = await group(graph_services, ALEX, SAM)
    session = await schedule(graph_services, numbers)
    attendees = fake_graph.event(session.event_id)["attendees"]
    attendees[0]["status"]["response"] = "accepted"
    attendees[1]["status"]["response"] = "declined"

    refreshed = await graph_services.sessions.refresh_responses(tst(graph_services), session.id)

    assert refreshed.attendee_for(ALEX).response == "accepted"
    assert refreshed.attendee_for(SAM).response == "declined"
    assert (await graph_services.helpdesk.get(numbers[1])).status == "escalated"
    assert [item["emailAddress"]["address"] for item in fake_graph.event(session.event_id)["attendees"]] == ["alex@district.example"]


# Attendance


async def test_attendance_before_start_is_refused(graph_services):
    session = await schedule(graph_services, await group(graph_services, ALEX, SAM))

    with pytest.raises(InvalidTransition, match="record attendance once it has started"):
        await graph_services.sessions.mark_attendance(tst(graph_services), session.id, [])


async def test_attendance_resolves_attendees_with_one_touch_each(graph_services, clock):
    numbers = await group(graph_services, ALEX, SAM, JORDAN)
    session = await schedule(graph_services, numbers)
    clock.now = from_iso(session.end) + timedelta(minutes=5)

    done = await graph_services.sessions.mark_attendance(tst(graph_services), session.id, numbers[:2], "Shared notebooks with sections.")
    touches = await stored(graph_services, "touches")
    requests = [await graph_services.helpdesk.get(number) for number in numbers]
    missed = await session_outbox(graph_services, "session_missed")

    assert done.state is SessionStatus.COMPLETED
    assert [attendee.attended for attendee in done.attendees] == [True, True, False]
    assert sorted(touch["request"] for touch in touches) == numbers[:2]
    assert {(touch["kind"], touch["level"]) for touch in touches} == {("small_group", 2)}
    assert [request.status for request in requests] == ["resolved", "resolved", "escalated"]
    assert "Shared notebooks with sections." in requests[0].resolution_note
    assert (requests[2].owner_id, requests[2].level) == (None, 2)
    assert [(entry["target"], entry["request"]) for entry in missed] == [(JORDAN, numbers[2])]
    assert await stored(graph_services, MEMBERS) == []
    with pytest.raises(InvalidTransition, match="is completed"):
        await graph_services.sessions.mark_attendance(tst(graph_services), session.id, numbers[:2])
    assert len(await stored(graph_services, "touches")) == 2


async def test_attendance_rejects_request_outside_session(graph_services, clock):
    numbers = await group(graph_services, ALEX, SAM)
    session = await schedule(graph_services, numbers)
    clock.now = from_iso(session.start) + timedelta(minutes=1)

    with pytest.raises(InvalidInput, match="is not among the invited teachers"):
        await graph_services.sessions.mark_attendance(tst(graph_services), session.id, [numbers[0], 999])

    assert await stored(graph_services, "touches") == []


async def test_no_show_can_choose_one_to_one_help(graph_services, clock):
    numbers = await group(graph_services, ALEX, SAM)
    session = await schedule(graph_services, numbers)
    clock.now = from_iso(session.end)
    await graph_services.sessions.mark_attendance(tst(graph_services), session.id, [numbers[0]])

    request = await graph_services.sessions.follow_up(actor(graph_services, SAM), numbers[1], "remote")
    kinds = {entry["kind"] for entry in await stored(graph_services, "outbox") if entry.get("request") == numbers[1]}

    assert (request.level, request.status, request.queue) == (1, "routed", "remote")
    assert "tst_post" in kinds
    with pytest.raises(InvalidTransition, match="no longer applies"):
        await graph_services.sessions.follow_up(actor(graph_services, SAM), numbers[1], "group")
    with pytest.raises(NotAllowed, match="Only the teacher who filed"):
        await graph_services.sessions.follow_up(actor(graph_services, ALEX), numbers[1], "remote")
