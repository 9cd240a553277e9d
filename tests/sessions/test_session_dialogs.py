"""Sessions through the bot without Graph: the channel command, the plan and manage cards, invitations and delivery."""

from dataclasses import replace
from datetime import timedelta

import pytest

from bots.session_messages import deliver_session_message
from domain.clock import from_iso
from tests.conftest import card_text, find_action, find_input, invoke_body, texts
from tests.factories import TEACHER, TEACHER_2, TST, TST_CHANNEL_ID, channel_conversation, execute, mention_message
from tests.sessions.helpers import ALEX, SAM, group

TST_CHANNEL = channel_conversation(TST_CHANNEL_ID)
TST_THREAD = channel_conversation(f"{TST_CHANNEL_ID};messageid=300")
FORM = {"topic": "Sharing a class notebook", "date": "2027-01-14", "time": "15:30", "duration": "45", "joinUrl": "https://teams.microsoft.com/l/meetup-join/abc"}


def card_of(replies) -> dict:
    return invoke_body(replies).value


async def scheduled(driver, services) -> tuple[list[int], str]:
    numbers = await group(services, ALEX, SAM)
    replies = await driver.send(execute(TST, "scheduleSession", {**FORM, "category": "onenote", "members": ",".join(map(str, numbers))}, TST_THREAD))
    assert "Scheduled and invited 2 teachers" in card_text(card_of(replies))
    [session] = await services.sessions.current()
    return numbers, session.id


async def test_sessions_command_lists_proposals(driver, file_services):
    numbers = await group(file_services, ALEX, SAM)

    replies = await driver.send(mention_message(TST, "sessions", TST_CHANNEL))
    [reply] = replies
    card = reply.attachments[0].content
    plan = find_action(card, "planSession")

    assert "Proposed groups" in card_text(card)
    assert "OneNote Class Notebook" in card_text(card)
    assert plan["data"]["requests"] == numbers


async def test_sessions_command_refused_for_teacher(driver, file_services):
    replies = await driver.send(mention_message(TEACHER, "sessions", TST_CHANNEL))

    assert texts(replies) == ["Small-group sessions are planned by the Technology Support Teachers."]


async def test_plan_card_ticks_the_proposal(driver, file_services):
    numbers = await group(file_services, ALEX, SAM)

    replies = await driver.send(execute(TST, "planSession", {"category": "onenote", "requests": numbers[:1]}, TST_THREAD))
    card = card_of(replies)
    members = find_input(card, "members")

    assert [choice["value"] for choice in members["choices"]] == [str(number) for number in numbers]
    assert members["value"] == str(numbers[0])
    assert find_input(card, "joinUrl") is not None
    assert "America/Vancouver" in find_input(card, "date")["label"]


async def test_schedule_from_card_uses_calendar_file(driver, file_services):
    numbers, session_id = await scheduled(driver, file_services)
    session = await file_services.sessions.get(session_id)
    invitations = [entry for entry in await file_services.store.find("outbox") if entry["kind"] == "session_invitation"]

    assert session.calendar == "file"
    assert session.event_id is None
    assert session.join_url == FORM["joinUrl"]
    assert sorted(entry["target"] for entry in invitations) == sorted([ALEX, SAM])
    assert [attendee.request for attendee in session.attendees] == numbers
    ics = await file_services.sessions.calendar_text(session_id, session.calendar_key)
    assert "DTSTART:20270114T223000Z" in ics
    assert await file_services.sessions.calendar_text(session_id, "wrong-key") is None


async def test_refused_schedule_keeps_the_form(driver, file_services):
    numbers = await group(file_services, ALEX, SAM)

    replies = await driver.send(
        execute(TST, "scheduleSession", {**FORM, "date": "2026-11-30", "category": "onenote", "members": ",".join(map(str, numbers))}, TST_THREAD)
    )
    card = card_of(replies)

    assert "is in the past" in card_text(card)
    assert find_input(card, "date")["value"] == "2026-11-30"
    assert find_input(card, "topic")["value"] == FORM["topic"]
    assert any("is in the past" in text for text in texts(replies))
    assert await file_services.sessions.current() == []


async def test_teacher_accepts_and_stale_card_is_refreshed(driver, file_services):
    _, session_id = await scheduled(driver, file_services)

    stale = await driver.send(execute(TEACHER, "acceptSession", {"session": session_id, "sequence": 5}))
    accepted = await driver.send(execute(TEACHER, "acceptSession", {"session": session_id, "sequence": 0}))
    stranger = await driver.send(execute(TEACHER_2, "declineSession", {"session": "999"}))

    assert any("changed since this card was sent" in text for text in texts(stale))
    assert (await file_services.sessions.get(session_id)).attendee_for(ALEX).response == "accepted"
    assert "You accepted" in card_text(card_of(accepted))
    assert find_action(card_of(accepted), "acceptSession") is None
    assert any("was not found" in text for text in texts(stranger))


async def test_manage_card_reschedules_and_records_attendance(driver, file_services, clock):
    numbers, session_id = await scheduled(driver, file_services)

    moved = await driver.send(execute(TST, "rescheduleSession", {"session": session_id, "date": "2027-01-21", "time": "09:00", "duration": "60"}, TST_THREAD))
    session = await file_services.sessions.get(session_id)
    clock.now = from_iso(session.end) + timedelta(hours=1)
    done = await driver.send(execute(TST, "markAttendance", {"session": session_id, "attended": str(numbers[0]), "note": ""}, TST_THREAD))
    touches = await file_services.store.find("touches")

    assert "Moved" in card_text(card_of(moved))
    assert session.start == "2027-01-21T16:00:00Z"
    assert "Attendance saved" in card_text(card_of(done))
    assert [(touch["request"], touch["kind"]) for touch in touches] == [(numbers[0], "small_group")]


async def test_no_show_chooses_later_session(driver, file_services, clock):
    numbers, session_id = await scheduled(driver, file_services)
    clock.now = from_iso((await file_services.sessions.get(session_id)).end)
    await driver.send(execute(TST, "markAttendance", {"session": session_id, "attended": str(numbers[0])}, TST_THREAD))

    replies = await driver.send(execute(TEACHER_2, "sessionFollowUp", {"request": numbers[1], "choice": "group"}))

    assert "waits for the next session" in card_text(card_of(replies))
    assert (await file_services.helpdesk.history(numbers[1]))[-1].type == "later_session_requested"


class RecordingMessenger:
    def __init__(self):
        self.personal: list[tuple[dict, dict]] = []
        self.channel: list[tuple[str, dict]] = []

    async def send_to_person(self, contact, card):
        self.personal.append((contact, card))

    async def post_to_channel(self, channel, card):
        self.channel.append((channel.key, card))
        return {"activity_id": "1"}


async def test_delivery_builds_cards_from_current_session(driver, file_services):
    planner = file_services.sessions
    planner.settings = replace(planner.settings, public_url="https://helpdesk.district.example")
    _, session_id = await scheduled(driver, file_services)
    await driver.send(execute(TEACHER_2, "declineSession", {"session": session_id, "sequence": 0}))
    contacts = {ALEX: {"conversation": {"id": "a:alex"}}, SAM: {"conversation": {"id": "a:sam"}}}
    messenger = RecordingMessenger()

    async def contact(person_id):
        return contacts[person_id]

    for entry in sorted(await file_services.store.find("outbox"), key=lambda doc: doc["key"]):
        if entry.get("session"):
            await deliver_session_message(file_services, messenger, entry, contact)
    [(alex_contact, invitation)] = messenger.personal
    [(channel, notice)] = messenger.channel

    assert alex_contact == contacts[ALEX]
    assert "You're invited to a small-group session" in card_text(invitation)
    assert any(action.get("url", "").startswith(f"https://helpdesk.district.example/sessions/{session_id}/calendar.ics?key=") for action in invitation["actions"])
    assert any(action.get("url") == FORM["joinUrl"] for action in invitation["actions"])
    assert find_action(invitation, "acceptSession")["data"]["sequence"] == 0
    assert channel == "tst-remote"
    assert "Sam Patel declined your small-group session" in card_text(notice)


@pytest.mark.parametrize("members", ["{first},²", "{first},٣", "{first},{second}²"])
async def test_schedule_rejects_non_ascii_digits(driver, file_services, members):
    numbers = await group(file_services, ALEX, SAM)
    form = {**FORM, "category": "onenote", "members": members.format(first=numbers[0], second=numbers[1])}

    replies = await driver.send(execute(TST, "scheduleSession", form, TST_THREAD))

    assert any("invalid request number" in text for text in texts(replies)), texts(replies)
    assert await file_services.sessions.current() == []


@pytest.mark.parametrize("session_id", ["²", "١"])
async def test_session_id_rejects_non_ascii_digits(driver, file_services, session_id):
    replies = await driver.send(execute(TEACHER, "acceptSession", {"session": session_id, "sequence": 0}))

    assert any("does not say which session" in text for text in texts(replies)), texts(replies)


async def test_attendance_skips_non_ascii_digits(driver, file_services, clock):
    numbers, session_id = await scheduled(driver, file_services)
    clock.now = from_iso((await file_services.sessions.get(session_id)).end) + timedelta(hours=1)

    await driver.send(execute(TST, "markAttendance", {"session": session_id, "attended": f"{numbers[0]},²,٣", "note": ""}, TST_THREAD))
    touches = await file_services.store.find("touches")

    assert [touch["request"] for touch in touches] == [numbers[0]]
