"""The ladder beyond the main path: assign, change level, conversation, reopen, merge, link and queues."""

from dataclasses import replace

from bots.helpdesk_bot import HelpdeskBot
from config import ChannelSettings
from tests.conftest import BotDriver, card_text, cards, invoke_body, texts
from tests.dialogs.test_staff import TRIAGE, TST_THREAD, filed_and_declined, routed
from tests.factories import TEACHER, TEACHER_2, TRIAGER, TST, TST_2, TST_CHANNEL_ID, channel_conversation, execute, mention_message, message

TST_CHANNEL = channel_conversation(TST_CHANNEL_ID)


async def claimed(driver, services) -> int:
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))
    return number


async def test_triager_assigns_waiting_request(driver, services):
    number = await filed_and_declined(driver, services)
    tst_id = TST_2.aad_object_id

    await driver.send(execute(TRIAGER, "assign", {"request": number, "tst": tst_id, "level": "1", "channel": "tst-remote"}, TRIAGE))
    request = await services.helpdesk.get(number)
    kinds = {entry["kind"] for entry in await services.store.find("outbox", request=number)}

    assert request.owner_id == tst_id
    assert request.status == "claimed"
    assert request.level == 1
    assert {"tst_post", "assigned", "claimed"} <= kinds


async def test_triager_reassigns_claimed_request(driver, services):
    number = await claimed(driver, services)

    await driver.send(execute(TRIAGER, "assign", {"request": number, "tst": TST_2.aad_object_id}, TRIAGE))

    assert (await services.helpdesk.get(number)).owner_id == TST_2.aad_object_id


async def test_assign_refusals(driver, services):
    number = await filed_and_declined(driver, services)
    cases = [
        (TST, {"tst": TST_2.aad_object_id, "level": "1", "channel": "tst-remote"}, "Only a triager"),
        (TRIAGER, {"tst": TEACHER.aad_object_id, "level": "1", "channel": "tst-remote"}, "Pick a Technology Support Teacher"),
        (TRIAGER, {"tst": TST_2.aad_object_id}, "support level must be"),
    ]

    for sender, data, problem in cases:
        replies = await driver.send(execute(sender, "assign", {"request": number, **data}, TRIAGE))

        assert any(problem in text for text in texts(replies)), data
    assert (await services.helpdesk.get(number)).owner_id is None


async def test_escalate_needs_reason_and_lands_in_queue(driver, services):
    number = await claimed(driver, services)

    missing = await driver.send(execute(TST, "changeLevel", {"request": number, "level": "4", "reason": " "}, TST_THREAD))
    await driver.send(execute(TST, "changeLevel", {"request": number, "level": "4", "reason": "Needs hands-on help with the SMART board."}, TST_THREAD))
    request = await services.helpdesk.get(number)
    event = (await services.helpdesk.history(number))[-1]

    assert any("reason is missing" in text for text in texts(missing))
    assert request.level == 4
    assert request.queue == "site_visit"
    assert request.status == "escalated"
    assert request.owner_id is None
    assert event.type == "escalated"
    assert event.before["level"] == 1
    assert event.after["level"] == 4
    assert event.note == "Needs hands-on help with the SMART board."


async def test_de_escalate_back_to_remote(driver, services):
    number = await claimed(driver, services)
    await driver.send(execute(TST, "changeLevel", {"request": number, "level": "3", "reason": "A champion at the school could help."}, TST_THREAD))

    await driver.send(execute(TRIAGER, "changeLevel", {"request": number, "level": "1", "reason": "No champion is free this month."}, TST_THREAD))
    request = await services.helpdesk.get(number)

    assert request.level == 1
    assert request.status == "routed"
    assert (await services.helpdesk.history(number))[-1].type == "de_escalated"


async def test_other_tst_cannot_change_level(driver, services):
    number = await claimed(driver, services)

    replies = await driver.send(execute(TST_2, "changeLevel", {"request": number, "level": "5", "reason": "Why not"}, TST_THREAD))

    assert any("Only the owner" in text for text in texts(replies))
    assert (await services.helpdesk.get(number)).level == 1


async def test_escalated_request_can_be_claimed(driver, services):
    number = await claimed(driver, services)
    await driver.send(execute(TST, "changeLevel", {"request": number, "level": "5", "reason": "Team teaching fits best."}, TST_THREAD))

    await driver.send(execute(TST_2, "claim", {"request": number}, TST_THREAD))

    assert (await services.helpdesk.get(number)).owner_id == TST_2.aad_object_id


async def test_question_waits_and_reply_resumes(driver, services):
    number = await claimed(driver, services)

    await driver.send(execute(TST, "messageTeacher", {"request": number, "message": "Which laptop cart is it?", "waitForReply": "true"}, TST_THREAD))
    waiting = await services.helpdesk.get(number)
    await driver.send(execute(TEACHER, "replyToTst", {"request": number, "reply": "Cart B in the library."}))
    resumed = await services.helpdesk.get(number)
    kinds = [entry["kind"] for entry in await services.store.find("outbox", request=number)]
    notes = [(event.type, event.note) for event in await services.helpdesk.history(number)][-2:]

    assert waiting.status == "waiting_on_teacher"
    assert waiting.waiting_since
    assert resumed.status == "in_progress"
    assert "relay_to_teacher" in kinds
    assert "relay_to_thread" in kinds
    assert notes == [("question_to_teacher", "Which laptop cart is it?"), ("message_from_teacher", "Cart B in the library.")]


async def test_other_teacher_cannot_reply(driver, services):
    number = await claimed(driver, services)

    replies = await driver.send(execute(TEACHER_2, "replyToTst", {"request": number, "reply": "Hello"}))

    assert any("Only the teacher who filed" in text for text in texts(replies))


async def test_thread_message_reaches_teacher(driver, services):
    number = await claimed(driver, services)
    thread = channel_conversation(f"{TST_CHANNEL_ID};messageid=555")
    await services.store.apply([__import__("storage").Put("posts", f"{number}:tst", {"conversation_id": thread.id, "request": number, "channel": "tst-remote"})])

    replies = await driver.send(mention_message(TST, "ask: can you share your screen at 3?", thread))
    request = await services.helpdesk.get(number)

    assert any(f"Sent to the teacher of #{number}" in text for text in texts(replies))
    assert request.status == "waiting_on_teacher"
    assert (await services.helpdesk.history(number))[-1].note == "can you share your screen at 3?"


async def test_teacher_reopens_resolved_request(driver, services):
    number = await claimed(driver, services)
    await driver.send(execute(TST, "resolve", {"request": number, "resolution": "Showed how to share the notebook."}, TST_THREAD))

    await driver.send(execute(TEACHER, "reopen", {"request": number, "reason": "Students still cannot see it."}))
    request = await services.helpdesk.get(number)

    assert request.status == "awaiting_triage"
    assert request.owner_id is None
    assert request.resolution_note is None
    assert (await services.helpdesk.history(number))[-1].note == "Students still cannot see it."


async def test_reopen_refusals(driver, services):
    number = await claimed(driver, services)

    early = await driver.send(execute(TEACHER, "reopen", {"request": number, "reason": "again"}))
    await driver.send(execute(TST, "resolve", {"request": number, "resolution": "Done."}, TST_THREAD))
    stranger = await driver.send(execute(TEACHER_2, "reopen", {"request": number, "reason": "again"}))

    assert any("no longer applies" in text for text in texts(early))
    assert any("Only the teacher who filed" in text for text in texts(stranger))


async def test_merge_keeps_both_histories(driver, services):
    first = await filed_and_declined(driver, services, "merge-a")
    second = await filed_and_declined(driver, services, "merge-b")

    await driver.send(execute(TRIAGER, "merge", {"request": second, "other": first}, TRIAGE))
    duplicate = await services.helpdesk.get(second)
    primary = await services.helpdesk.get(first)

    assert duplicate.status == "closed"
    assert duplicate.merged_into == first
    assert primary.status == "awaiting_triage"
    assert (await services.helpdesk.history(second))[-1].type == "merged_into"
    assert (await services.helpdesk.history(first))[-1].type == "merged_from"


async def test_merge_refusals(driver, services):
    number = await filed_and_declined(driver, services, "merge-c")
    cases = [
        (TST, {"other": number + 1}, "Only a triager"),
        (TRIAGER, {"other": number}, "into itself"),
        (TRIAGER, {"other": 9999}, "#9999 was not found"),
        (TRIAGER, {"other": "two"}, "whole number"),
    ]

    for sender, data, problem in cases:
        replies = await driver.send(execute(sender, "merge", {"request": number, **data}, TRIAGE))

        assert any(problem in text for text in texts(replies)), data
    assert (await services.helpdesk.get(number)).status == "awaiting_triage"


async def test_link_marks_both_sides(driver, services):
    first = await filed_and_declined(driver, services, "link-a")
    second = await filed_and_declined(driver, services, "link-b")

    await driver.send(execute(TRIAGER, "link", {"request": first, "other": float(second)}, TRIAGE))
    again = await driver.send(execute(TRIAGER, "link", {"request": second, "other": first}, TRIAGE))

    assert (await services.helpdesk.get(first)).related == [second]
    assert (await services.helpdesk.get(second)).related == [first]
    assert any("already linked" in text for text in texts(again))


async def test_queue_and_mine_views(driver, services):
    number = await claimed(driver, services)

    queue = await driver.send(mention_message(TST_2, "queue", TST_CHANNEL))
    mine = await driver.send(mention_message(TST, "mine", TST_CHANNEL))
    others = await driver.send(mention_message(TST_2, "mine", TST_CHANNEL))
    teacher = await driver.send(mention_message(TEACHER, "queue", TST_CHANNEL))

    assert f"#{number}" in card_text(cards(queue)[0])
    assert "Adele Vance" in card_text(cards(queue)[0])
    assert f"#{number}" in card_text(cards(mine)[0])
    assert f"#{number}" not in card_text(cards(others)[0])
    assert cards(teacher) == []
    assert any("helpdesk team" in text for text in texts(teacher))


async def test_every_change_has_an_event(driver, services):
    number = await claimed(driver, services)
    await driver.send(execute(TST, "changeLevel", {"request": number, "level": "2", "reason": "Three teachers asked the same."}, TST_THREAD))
    await driver.send(execute(TST_2, "claim", {"request": number}, TST_THREAD))
    await driver.send(execute(TST_2, "resolve", {"request": number, "resolution": "Ran a session."}, TST_THREAD))

    request = await services.helpdesk.get(number)
    events = await services.helpdesk.history(number)

    assert [event.seq for event in events] == list(range(1, request.version + 1))
    assert all(event.at.endswith("Z") for event in events)
    assert all(event.actor_id for event in events)
    assert invoke_body(await driver.send(execute(TST_2, "claim", {"request": number}, TST_THREAD))) is not None


async def test_chat_text_answers_waiting_request(driver, services):
    number = await claimed(driver, services)
    await driver.send(execute(TST, "messageTeacher", {"request": number, "message": "Which period works?", "waitForReply": "true"}, TST_THREAD))

    replies = await driver.send(message(TEACHER, "Period 3 on Tuesday"))
    request = await services.helpdesk.get(number)
    last = (await services.helpdesk.history(number))[-1]

    assert any(f"answer about #{number}" in text for text in texts(replies))
    assert cards(replies) == []
    assert request.status == "in_progress"
    assert (last.type, last.note) == ("message_from_teacher", "Period 3 on Tuesday")


async def test_chat_text_opens_form_when_nothing_waits(driver, services):
    await claimed(driver, services)

    replies = await driver.send(message(TEACHER, "How do I share a OneNote page?"))

    assert len(cards(replies)) == 1
    assert any("turn that into a request" in text for text in texts(replies))


async def test_routing_rule_sets_default_channel(services):
    from dialogs.staff_view import staff_card
    from tests.conftest import find_input

    number = await filed_and_declined(BotDriver(HelpdeskBot(services)), services)
    request = await services.helpdesk.get(number)
    secondary = ChannelSettings(key="tst-secondary", name="TST secondary", team_id="19:team", channel_id="19:secondary")
    services.settings = replace(
        services.settings,
        tst_channels=(*services.settings.tst_channels, secondary),
        routing={request.category: "tst-secondary"},
        default_tst_channel="tst-remote",
    )

    card = await staff_card(services, request, "triage")

    assert find_input(card, "channel")["value"] == "tst-secondary"
