"""Triage and TST work on channel cards: routing, claims, notes, resolution and rating."""

import asyncio

from bots.helpdesk_bot import HelpdeskBot
from tests.conftest import BotDriver, card_text, find_action, invoke_body, texts
from tests.factories import (
    ADMIN,
    TEACHER,
    TEACHER_2,
    TEAM_ID,
    TRIAGER,
    TST,
    TST_2,
    TST_CHANNEL_ID,
    channel_conversation,
    execute,
)

TRIAGE = channel_conversation(f"{TEAM_ID};messageid=100")
TST_THREAD = channel_conversation(f"{TST_CHANNEL_ID};messageid=200")
FORM = {
    "category": "onenote",
    "description": "Our grade 4 team wants to set up a class notebook and share it with students in Teams.",
    "scope": "team",
    "school": "Anmore Elementary",
    "urgency": "whenever",
}


async def filed_and_declined(driver, services, intake_id="staff-form") -> int:
    await driver.send(execute(TEACHER, "submitIntake", {**FORM, "intakeId": intake_id}))
    number = (await services.helpdesk.requests_of(TEACHER.aad_object_id))[0].number
    await driver.send(execute(TEACHER, "declineSuggestion", {"request": number}))
    return number


async def routed(driver, services) -> int:
    number = await filed_and_declined(driver, services)
    await driver.send(execute(TRIAGER, "route", {"request": number, "level": "1", "channel": "tst-remote"}, TRIAGE))
    return number


async def test_triager_routes_request(driver, services):
    number = await filed_and_declined(driver, services)

    replies = await driver.send(execute(TRIAGER, "route", {"request": number, "level": "1", "channel": "tst-remote"}, TRIAGE))
    request = await services.helpdesk.get(number)
    kinds = [entry["kind"] for entry in await services.store.find("outbox", request=number)]

    assert request.status == "routed"
    assert request.level == 1
    assert request.channel == "tst-remote"
    assert "Waiting for a TST" in card_text(invoke_body(replies).value)
    assert "tst_post" in kinds
    assert "routed" in kinds


async def test_route_refused_without_triager_role(driver, services):
    number = await filed_and_declined(driver, services)

    for sender in (TEACHER, TEACHER_2, TST):
        replies = await driver.send(execute(sender, "route", {"request": number, "level": "1", "channel": "tst-remote"}, TRIAGE))

        assert any("Only a triager" in text for text in texts(replies)), sender.name
    assert (await services.helpdesk.get(number)).status == "awaiting_triage"


async def test_route_rejects_bad_level_and_channel(driver, services):
    number = await filed_and_declined(driver, services)
    cases = [({"level": "9"}, "from 0 to 5"), ({"level": "high"}, "whole number"), ({"level": "0"}, "level 0"), ({"channel": "nowhere"}, "not a configured TST channel")]

    for change, problem in cases:
        data = {"request": number, "level": "1", "channel": "tst-remote", **change}
        replies = await driver.send(execute(TRIAGER, "route", data, TRIAGE))

        assert any(problem in text for text in texts(replies)), change
    assert (await services.helpdesk.get(number)).status == "awaiting_triage"


async def test_triager_answers_with_article(driver, services):
    number = await filed_and_declined(driver, services)
    article = services.knowledge.articles[0]

    await driver.send(execute(TRIAGER, "answer", {"request": number, "article": article.id}, TRIAGE))
    request = await services.helpdesk.get(number)

    assert request.status == "resolved"
    assert request.level == 0
    assert request.resolved_article == article.id
    assert len(await services.store.find("touches", request=number)) == 1


async def test_answer_with_unknown_article_is_refused(driver, services):
    number = await filed_and_declined(driver, services)

    replies = await driver.send(execute(TRIAGER, "answer", {"request": number, "article": "kb-does-not-exist"}, TRIAGE))

    assert any("was not found" in text for text in texts(replies))
    assert (await services.helpdesk.get(number)).status == "awaiting_triage"


async def test_tst_claims_and_card_shows_owner(driver, services):
    number = await routed(driver, services)

    replies = await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))
    card = invoke_body(replies).value
    request = await services.helpdesk.get(number)

    assert request.owner_name == "Adele Vance"
    assert request.status == "claimed"
    assert "Adele Vance" in card_text(card)
    assert find_action(card, "claim") is None
    assert find_action(card, "resolve") is not None


async def test_teacher_cannot_claim(driver, services):
    number = await routed(driver, services)

    replies = await driver.send(execute(TEACHER, "claim", {"request": number}, TST_THREAD))

    assert any("Only a Technology Support Teacher" in text for text in texts(replies))
    assert (await services.helpdesk.get(number)).owner_id is None


async def test_simultaneous_claims_have_one_winner(driver, services):
    number = await routed(driver, services)
    first, second = BotDriver(HelpdeskBot(services)), BotDriver(HelpdeskBot(services))

    results = await asyncio.gather(
        first.send(execute(TST, "claim", {"request": number}, TST_THREAD)),
        second.send(execute(TST_2, "claim", {"request": number}, TST_THREAD)),
    )
    request = await services.helpdesk.get(number)
    loser_texts = texts(results[1]) if request.owner_name == "Adele Vance" else texts(results[0])
    claims = [event for event in await services.helpdesk.history(number) if event.type == "claimed"]

    assert request.owner_name in ("Adele Vance", "Isaiah Langer")
    assert len(claims) == 1
    assert any(f"{request.owner_name} has already claimed" in text for text in loser_texts)


async def test_replayed_claim_changes_nothing(driver, services):
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))
    before = await services.helpdesk.get(number)

    replies = await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))

    assert any("You already own" in text for text in texts(replies))
    assert (await services.helpdesk.get(number)).version == before.version


async def test_note_then_resolve_then_rate(driver, services):
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))

    await driver.send(execute(TST, "addNote", {"request": number, "note": "Booked a Teams call for Tuesday."}, TST_THREAD))
    noted = await services.helpdesk.get(number)
    await driver.send(execute(TST, "resolve", {"request": number, "resolution": "Set up the notebook together."}, TST_THREAD))
    resolved = await services.helpdesk.get(number)
    await driver.send(execute(TEACHER, "rate", {"request": number, "rating": "5", "comment": "Thanks!"}))
    closed = await services.helpdesk.get(number)
    touches = await services.store.find("touches", request=number)
    history = [event.type for event in await services.helpdesk.history(number)]

    assert noted.status == "in_progress"
    assert resolved.status == "resolved"
    assert resolved.resolution_note == "Set up the notebook together."
    assert closed.status == "closed"
    assert closed.rating == 5
    assert [touch["kind"] for touch in touches] == ["remote"]
    assert history == ["created", "self_help_declined", "routed", "claimed", "note", "resolved", "rated"]


async def test_resolve_needs_a_note(driver, services):
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))

    for note in ("", "   ", None, 17):
        replies = await driver.send(execute(TST, "resolve", {"request": number, "resolution": note}, TST_THREAD))

        assert any("resolution note" in text for text in texts(replies)), note
    assert (await services.helpdesk.get(number)).status == "claimed"


async def test_only_owner_resolves_or_unclaims(driver, services):
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))

    resolve = await driver.send(execute(TST_2, "resolve", {"request": number, "resolution": "Done"}, TST_THREAD))
    unclaim = await driver.send(execute(TST_2, "unclaim", {"request": number}, TST_THREAD))

    assert any("Only the owner" in text for text in texts(resolve))
    assert any("Only the owner" in text for text in texts(unclaim))
    assert (await services.helpdesk.get(number)).owner_name == "Adele Vance"


async def test_unclaim_returns_to_queue(driver, services):
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))

    replies = await driver.send(execute(TST, "unclaim", {"request": number}, TST_THREAD))
    request = await services.helpdesk.get(number)

    assert request.status == "routed"
    assert request.owner_id is None
    assert find_action(invoke_body(replies).value, "claim") is not None


async def test_admin_can_resolve_for_owner(driver, services):
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))

    await driver.send(execute(ADMIN, "resolve", {"request": number, "resolution": "Closed on Adele's behalf."}, TST_THREAD))

    assert (await services.helpdesk.get(number)).status == "resolved"


async def test_rating_checks(driver, services):
    number = await routed(driver, services)
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))

    early = await driver.send(execute(TEACHER, "rate", {"request": number, "rating": "4"}))
    await driver.send(execute(TST, "resolve", {"request": number, "resolution": "Done together."}, TST_THREAD))
    bad = await driver.send(execute(TEACHER, "rate", {"request": number, "rating": "11"}))
    other = await driver.send(execute(TEACHER_2, "rate", {"request": number, "rating": "4"}))
    await driver.send(execute(TEACHER, "rate", {"request": number, "rating": "4"}))
    twice = await driver.send(execute(TEACHER, "rate", {"request": number, "rating": "2"}))

    assert any("no longer applies" in text for text in texts(early))
    assert any("from 1 to 5" in text for text in texts(bad))
    assert any("Only the teacher" in text for text in texts(other))
    assert any("already rated" in text for text in texts(twice))
    assert (await services.helpdesk.get(number)).rating == 4


async def test_unknown_request_is_reported(driver):
    replies = await driver.send(execute(TST, "claim", {"request": 999}, TST_THREAD))

    assert any("#999 was not found" in text for text in texts(replies))
