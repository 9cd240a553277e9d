"""Intake in the personal chat: the form, answers first, and "Did this solve it?"."""

import asyncio

from tests.conftest import card_text, cards, find_action, find_input, invoke_body, texts
from tests.factories import TEACHER, TEACHER_2, execute, message, submit

FORM = {
    "category": "forms",
    "description": "How do I make a self-marking quiz in Forms for my grade 7 science class?",
    "scope": "one_to_one",
    "school": "Pinetree Secondary",
    "grade": "Grade 7",
    "subject": "Science",
    "urgency": "this_week",
    "preferredDates": "",
}


async def open_form(driver, text="new request"):
    replies = await driver.send(message(TEACHER, text))
    form = cards(replies)[-1]
    return form, find_action(form, "submitIntake")["data"]["intakeId"]


async def test_new_request_opens_form(driver):
    form, intake_id = await open_form(driver)

    assert find_input(form, "category") is not None
    assert find_input(form, "school")["isRequired"] is True
    assert len(intake_id) == 32


async def test_free_text_prefills_form(driver):
    replies = await driver.send(message(TEACHER, "my students can't find the class notebook tab in teams"))
    form = cards(replies)[-1]

    assert "request" in texts(replies)[0].lower()
    assert find_input(form, "description")["value"] == "my students can't find the class notebook tab in teams"
    assert find_input(form, "category")["value"] == "onenote"


async def test_submit_shows_suggestions(driver, services):
    _, intake_id = await open_form(driver)

    replies = await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": intake_id}))
    body = invoke_body(replies)
    request = (await services.helpdesk.requests_of(TEACHER.aad_object_id))[0]

    assert body.type == "application/vnd.microsoft.card.adaptive"
    assert "Did this solve it?" in card_text(body.value)
    assert request.status == "suggested"
    assert request.suggested_articles
    assert find_action(body.value, "acceptSuggestion")["data"]["request"] == request.number


async def test_accept_resolves_at_level_zero(driver, services):
    _, intake_id = await open_form(driver)
    await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": intake_id}))
    number = (await services.helpdesk.requests_of(TEACHER.aad_object_id))[0].number

    replies = await driver.send(execute(TEACHER, "acceptSuggestion", {"request": number}))
    request = await services.helpdesk.get(number)
    touches = await services.store.find("touches", request=number)

    assert "solved" in card_text(invoke_body(replies).value)
    assert request.status == "resolved"
    assert request.level == 0
    assert len(touches) == 1
    assert touches[0]["kind"] == "self_help"


async def test_decline_sends_to_triage(driver, services):
    _, intake_id = await open_form(driver)
    await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": intake_id}))
    number = (await services.helpdesk.requests_of(TEACHER.aad_object_id))[0].number

    replies = await driver.send(execute(TEACHER, "declineSuggestion", {"request": number}))
    request = await services.helpdesk.get(number)
    outbox = await services.store.find("outbox", request=number)

    assert "helpdesk team" in card_text(invoke_body(replies).value)
    assert request.status == "awaiting_triage"
    assert [entry["kind"] for entry in outbox] == ["triage_post"]


async def test_submit_twice_files_once(driver, services):
    _, intake_id = await open_form(driver)
    click = execute(TEACHER, "submitIntake", {**FORM, "intakeId": intake_id})

    await driver.send(click)
    await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": intake_id}))

    assert len(await services.helpdesk.requests_of(TEACHER.aad_object_id)) == 1


async def test_concurrent_double_click_files_once(services):
    from bots.helpdesk_bot import HelpdeskBot
    from tests.conftest import BotDriver

    first, second = BotDriver(HelpdeskBot(services)), BotDriver(HelpdeskBot(services))
    data = {**FORM, "intakeId": "double-click-form"}
    await asyncio.gather(first.send(execute(TEACHER, "submitIntake", data)), second.send(execute(TEACHER, "submitIntake", data)))

    assert len(await services.helpdesk.requests_of(TEACHER.aad_object_id)) == 1


BAD_FORMS = [
    ({"category": "knitting"}, "not in the service catalogue"),
    ({"category": ""}, "Category is missing"),
    ({"school": "Hogwarts"}, "not in the school directory"),
    ({"school": None}, "School is missing"),
    ({"description": "help"}, "too short"),
    ({"description": "x" * 4001}, "the limit is 4,000"),
    ({"description": 42}, "must be text"),
    ({"scope": "whole_district"}, "not a scope of delivery"),
    ({"urgency": ["urgent"]}, "must be text"),
    ({"intakeId": ""}, "form id is missing"),
]


async def test_bad_forms_are_refused(driver, services):
    for change, problem in BAD_FORMS:
        replies = await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": "bad-form", **change}))
        card = invoke_body(replies).value

        assert problem in card_text(card), change
        assert find_input(card, "description") is not None, change
    assert await services.helpdesk.requests_of(TEACHER.aad_object_id) == []


async def test_bad_form_keeps_typed_values(driver):
    replies = await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": "keep", "school": "Nowhere"}))
    card = invoke_body(replies).value

    assert find_input(card, "description")["value"] == FORM["description"]
    assert find_action(card, "submitIntake")["data"]["intakeId"] == "keep"


async def test_extra_fields_are_ignored(driver, services):
    data = {**FORM, "intakeId": "extra", "status": "resolved", "owner_id": "someone", "level": 5}
    await driver.send(execute(TEACHER, "submitIntake", data))
    request = (await services.helpdesk.requests_of(TEACHER.aad_object_id))[0]

    assert request.status == "suggested"
    assert request.owner_id is None
    assert request.level is None


async def test_other_teacher_cannot_accept(driver, services):
    await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": "mine"}))
    number = (await services.helpdesk.requests_of(TEACHER.aad_object_id))[0].number

    replies = await driver.send(execute(TEACHER_2, "acceptSuggestion", {"request": number}))

    assert any("Only the teacher who filed" in text for text in texts(replies))
    assert (await services.helpdesk.get(number)).status == "suggested"


async def test_submit_fallback_updates_card(driver, services):
    replies = await driver.send(submit(TEACHER, {"verb": "submitIntake", **FORM, "intakeId": "fallback"}, reply_to_id="card-1"))

    updated = driver.adapter.updated_activities
    assert replies == [] or all(reply.type != "invokeResponse" for reply in replies)
    assert len(updated) == 1
    assert updated[0].id == "card-1"
    assert "Did this solve it?" in card_text(updated[0].attachments[0].content)
    assert len(await services.helpdesk.requests_of(TEACHER.aad_object_id)) == 1


async def test_school_is_remembered(driver):
    await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": "first"}))

    form, _ = await open_form(driver)

    assert find_input(form, "school")["value"] == "Pinetree Secondary"
    assert find_input(form, "grade")["value"] == "Grade 7"


async def test_unknown_verb_is_explained(driver):
    replies = await driver.send(execute(TEACHER, "launchRockets", {}))

    assert "I don't know the button" in invoke_body(replies).value or any("I don't know" in t for t in texts(replies))


async def test_invalid_request_number_is_refused(driver):
    for bad in ("abc", -3, True, 10**12, 1.5):
        replies = await driver.send(execute(TEACHER, "acceptSuggestion", {"request": bad}))

        assert "invalid request number" in str(invoke_body(replies).value), bad


async def test_my_requests_lists_status(driver):
    await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": "one"}))

    replies = await driver.send(message(TEACHER, "my requests"))
    text = card_text(cards(replies)[0])

    assert "#1" in text
    assert "Answers suggested" in text
    assert "Microsoft Forms" in text
