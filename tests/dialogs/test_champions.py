"""Technology Champion matches through the bot: ranking in the thread, offers, fallbacks, introductions and recognition."""

from datetime import timedelta

import pytest

from bots.notifier import Notifier
from champions import MatchState, OfferState
from storage import Put
from tests.champions.helpers import (
    DISTRICT_SCHOOL,
    JO,
    KIM,
    LEE,
    NOW,
    RAE,
    SAME_COMMUNITY_SCHOOL,
    TEACHER_SCHOOL,
    Clock,
    RecordingMessenger,
    actor,
    add_champions,
    champion,
    remember_contact,
    routed_request,
    use_clock,
)
from tests.conftest import card_text, find_action, invoke_body, texts, walk
from tests.factories import TEACHER, TEACHER_2, TRIAGER, TST, TST_2, TST_CHANNEL_ID, channel_conversation, execute, mention_message, message

TST_THREAD = channel_conversation(f"{TST_CHANNEL_ID};messageid=300")


@pytest.fixture
def clock(services):
    clock = Clock(NOW)
    use_clock(services, clock)
    return clock


@pytest.fixture
async def level_three(services, clock):
    """A level-3 request from Alex at Anmore Elementary, posted in the TST channel, and four champions."""
    await add_champions(
        services,
        champion(LEE, DISTRICT_SCHOOL),
        champion(KIM, SAME_COMMUNITY_SCHOOL),
        champion(JO, TEACHER_SCHOOL),
        champion(RAE, TEACHER_SCHOOL, available=False),
    )
    request = await routed_request(services, 3)
    post = {"conversation_id": TST_THREAD.id, "activity_id": "300", "service_url": "http://127.0.0.1:9/", "bot_id": "28:bot", "channel": "tst-remote", "request": request.number, "place": "tst"}
    await services.store.apply([Put("posts", f"{request.number}:tst", post)])
    return request.number


async def offer_to(driver, number: int, account) -> dict:
    replies = await driver.send(execute(TST, "offerChampion", {"request": number, "champion": account.aad_object_id}, TST_THREAD))
    return invoke_body(replies).value


async def current_offer(services, number: int):
    match = await services.champions.match(number)
    return await services.champions.offer_of(match.offer)


async def deliver(services, messenger: RecordingMessenger) -> None:
    for account in (TEACHER, JO, KIM, LEE):
        await remember_contact(services, account)
    await Notifier(services, messenger).flush()


def offer_buttons(card: dict) -> list[str]:
    return [node["title"] for node in _actions(card) if node.get("verb") == "offerChampion"]


def _actions(card):
    return [node for node in walk(card) if node.get("type") == "Action.Execute"]


async def test_thread_lists_ranked_champions(driver, services, level_three):
    replies = await driver.send(mention_message(TST, "champions", TST_THREAD))
    card = [item.content for reply in replies for item in (reply.attachments or [])][0]

    assert offer_buttons(card) == [f"Offer to {JO.name}", f"Offer to {KIM.name}", f"Offer to {LEE.name}"]
    assert "Same school (Anmore Elementary)" in card_text(card)
    assert "Same community (Anmore): Eagle Mountain Middle" in card_text(card)
    assert RAE.name not in card_text(card)


async def test_teacher_cannot_see_or_offer_matches(driver, services, level_three):
    seen = await driver.send(mention_message(TEACHER, "champions", TST_THREAD))
    offered = await driver.send(execute(TEACHER, "offerChampion", {"request": level_three, "champion": JO.aad_object_id}, TST_THREAD))

    assert any("chosen by the Technology Support Teachers" in text for text in texts(seen))
    assert any("Only a Technology Support Teacher" in text for text in texts(offered))
    assert await services.store.find("champion_offers") == []


async def test_offer_goes_to_champion(driver, services, level_three):
    card = await offer_to(driver, level_three, JO)
    request = await services.helpdesk.get(level_three)
    offer = await current_offer(services, level_three)
    messenger = RecordingMessenger()
    await deliver(services, messenger)
    (sent,) = messenger.cards_for(JO)

    assert "Offered to Jo Nakamura" in card_text(card)
    assert offer_buttons(card) == []
    assert request.owner_id == TST.aad_object_id
    assert request.status == "in_progress"
    assert (await services.helpdesk.history(level_three))[-1].type == "champion_offered"
    assert offer.champion_id == JO.aad_object_id
    assert find_action(sent, "acceptChampionOffer")["data"]["offer"] == offer.id
    assert find_action(sent, "declineChampionOffer") is not None


async def test_offer_refused_for_unavailable_champion(driver, services, level_three):
    replies = await driver.send(execute(TST, "offerChampion", {"request": level_three, "champion": RAE.aad_object_id}, TST_THREAD))

    assert any("cannot take this request now" in text for text in texts(replies))
    assert await services.champions.match(level_three) is None


async def test_another_tst_cannot_offer_owned_request(driver, services, level_three):
    await driver.send(execute(TST, "claim", {"request": level_three}, TST_THREAD))

    replies = await driver.send(execute(TST_2, "offerChampion", {"request": level_three, "champion": JO.aad_object_id}, TST_THREAD))

    assert any("is owned by Adele Vance" in text for text in texts(replies))
    assert await services.champions.match(level_three) is None


async def test_only_offered_champion_can_answer(driver, services, level_three):
    await offer_to(driver, level_three, JO)
    offer = await current_offer(services, level_three)

    other_champion = await driver.send(execute(KIM, "acceptChampionOffer", {"offer": offer.id}))
    not_champion = await driver.send(execute(TEACHER_2, "acceptChampionOffer", {"offer": offer.id}))
    forged = await driver.send(execute(TST, "declineChampionOffer", {"offer": offer.id, "champion": JO.aad_object_id}))

    assert any("made to another champion" in text for text in texts(other_champion))
    assert any("Only Technology Champions" in text for text in texts(not_champion))
    assert any("Only Technology Champions" in text for text in texts(forged))
    assert (await services.champions.offer_of(offer.id)).state == "offered"


async def test_declines_pass_to_next_then_back_to_tst(driver, services, level_three):
    await offer_to(driver, level_three, JO)

    await driver.send(execute(JO, "declineChampionOffer", {"offer": (await current_offer(services, level_three)).id}))
    second = await current_offer(services, level_three)
    await driver.send(execute(KIM, "declineChampionOffer", {"offer": second.id}))
    third = await current_offer(services, level_three)
    await driver.send(execute(LEE, "declineChampionOffer", {"offer": third.id}))
    match = await services.champions.match(level_three)
    events = [event.type for event in await services.helpdesk.history(level_three)]
    returned = [entry for entry in await services.store.find("outbox", kind="champion_matches") if entry["request"] == level_three]

    assert second.champion_id == KIM.aad_object_id
    assert second.offered_by == "helpdesk-bot"
    assert third.champion_id == LEE.aad_object_id
    assert match.status is MatchState.RETURNED
    assert match.offer is None
    assert events.count("champion_declined") == 3
    assert len(returned) == 1
    assert "back with the TST" in returned[0]["notice"]


async def test_tst_offers_again_after_return(driver, services, level_three):
    await offer_to(driver, level_three, LEE)
    while (await services.champions.match(level_three)).status is MatchState.OFFERING:
        waiting = await current_offer(services, level_three)
        account = next(item for item in (JO, KIM, LEE) if item.aad_object_id == waiting.champion_id)
        await driver.send(execute(account, "declineChampionOffer", {"offer": waiting.id}))

    card = await offer_to(driver, level_three, JO)

    assert "Offered to Jo Nakamura" in card_text(card)
    assert (await services.champions.match(level_three)).tried == [JO.aad_object_id]


async def test_unanswered_offer_times_out_to_next_then_tst(driver, services, level_three, clock):
    await offer_to(driver, level_three, JO)
    hours = services.settings.champions.offer_hours

    clock.now += timedelta(hours=hours - 1)
    early = await services.champions.expire_due()
    clock.now += timedelta(hours=2)
    first = await services.champions.expire_due()
    again = await services.champions.expire_due()
    second = await current_offer(services, level_three)
    clock.now += timedelta(hours=hours + 1)
    await services.champions.expire_due()
    clock.now += timedelta(hours=hours + 1)
    await services.champions.expire_due()
    match = await services.champions.match(level_three)
    states = sorted(doc["state"] for doc in await services.store.find("champion_offers"))
    claims = await services.store.find("jobs")

    assert (early, first, again) == (0, 1, 0)
    assert second.champion_id == KIM.aad_object_id
    assert match.status is MatchState.RETURNED
    assert states == ["expired", "expired", "expired"]
    assert len(claims) == 3


async def test_late_answer_to_lapsed_offer_refused(driver, services, level_three, clock):
    await offer_to(driver, level_three, JO)
    offer = await current_offer(services, level_three)
    clock.now += timedelta(hours=services.settings.champions.offer_hours + 1)

    replies = await driver.send(execute(JO, "acceptChampionOffer", {"offer": offer.id}))

    assert any("lapsed" in text for text in texts(replies))
    assert (await services.champions.offer_of(offer.id)).status is OfferState.OFFERED


async def test_accept_introduces_then_done_counts_touch(driver, services, level_three):
    await offer_to(driver, level_three, JO)
    offer = await current_offer(services, level_three)

    accepted = await driver.send(execute(JO, "acceptChampionOffer", {"offer": offer.id}))
    messenger = RecordingMessenger()
    await deliver(services, messenger)
    teacher_card = messenger.cards_for(TEACHER)[-1]
    champion_card = messenger.cards_for(JO)[-1]
    done = await driver.send(execute(JO, "championDone", {"offer": offer.id, "note": "We set up the notebook together."}))
    request = await services.helpdesk.get(level_three)
    touches = await services.store.find("touches", request=level_three)
    thread_texts = [card_text(card) for _, card in messenger.thread]

    assert "You accepted" in card_text(invoke_body(accepted).value)
    assert (await services.champions.match(level_three)).status is MatchState.DONE
    chat = next(node for node in walk(teacher_card) if node.get("type") == "Action.OpenUrl")
    assert chat["url"].startswith("https://teams.microsoft.com/l/chat/0/0?users=jo.nakamura@district.example&message=")
    assert "Meet your Technology Champion" in card_text(teacher_card)
    assert find_action(champion_card, "championDone")["data"]["offer"] == offer.id
    assert any("accepted request" in text for text in thread_texts)
    assert "Marked done" in card_text(invoke_body(done).value)
    assert request.status == "resolved"
    assert "We set up the notebook together." in request.resolution_note
    assert len(touches) == 1
    assert touches[0]["kind"] == "champion"
    assert touches[0]["by_id"] == JO.aad_object_id
    assert touches[0]["teacher_id"] == TEACHER.aad_object_id


async def test_done_only_by_connected_champion(driver, services, level_three):
    await offer_to(driver, level_three, JO)
    offer = await current_offer(services, level_three)
    await driver.send(execute(JO, "acceptChampionOffer", {"offer": offer.id}))

    replies = await driver.send(execute(KIM, "championDone", {"offer": offer.id}))

    assert any("made to another champion" in text for text in texts(replies))
    assert (await services.helpdesk.get(level_three)).status == "in_progress"


async def test_full_champion_left_out_this_month(driver, services, level_three):
    await add_champions(services, champion(JO, TEACHER_SCHOOL, capacity=1))
    await offer_to(driver, level_three, JO)
    await driver.send(execute(JO, "acceptChampionOffer", {"offer": (await current_offer(services, level_three)).id}))
    second = await routed_request(services, 3, teacher=TEACHER_2, tag="form-2")

    ranked = await services.champions.candidates(second)

    assert JO.aad_object_id not in [candidate.champion.id for candidate in ranked]
    assert (await services.champions.loads())[JO.aad_object_id] == 1


async def test_unavailable_and_available_commands(driver, services, level_three):
    away = await driver.send(message(JO, "unavailable"))
    while_away = await services.champions.candidates(await services.helpdesk.get(level_three))
    back = await driver.send(message(JO, "available"))
    stranger = await driver.send(message(TEACHER_2, "unavailable"))

    assert "You are now unavailable" in texts(away)[0]
    assert JO.aad_object_id not in [candidate.champion.id for candidate in while_away]
    assert "available again" in texts(back)[0]
    assert (await services.champions.directory.get(JO.aad_object_id)).available is True
    assert "Only Technology Champions" in texts(stranger)[0]


async def test_my_impact_counts_teachers(driver, services, level_three):
    before = await driver.send(message(JO, "my impact"))
    await offer_to(driver, level_three, JO)
    offer = await current_offer(services, level_three)
    await driver.send(execute(JO, "acceptChampionOffer", {"offer": offer.id}))
    await driver.send(execute(JO, "championDone", {"offer": offer.id}))

    after = await driver.send(message(JO, "my impact"))

    assert "not marked a connection done yet" in texts(before)[0]
    assert "helped **1** teacher" in texts(after)[0]
    assert "accepted 1 of your 3 matches" in texts(after)[0]


async def test_new_level_three_request_posts_matches_once(services, level_three):
    first = await services.champions.prompt_new()
    again = await services.champions.prompt_new()
    messenger = RecordingMessenger()
    await deliver(services, messenger)

    match_cards = [card for _, card in messenger.thread if offer_buttons(card)]

    assert (first, again) == (1, 0)
    assert len(match_cards) == 1
    assert offer_buttons(match_cards[0])[0] == f"Offer to {JO.name}"


async def test_offer_closed_when_request_leaves_level(driver, services, level_three, clock):
    await offer_to(driver, level_three, JO)
    await services.ladder.change_level(actor(services, TST), level_three, 4, "Needs a visit instead.")
    clock.now += timedelta(hours=services.settings.champions.offer_hours + 1)

    passed = await services.champions.expire_due()
    match = await services.champions.match(level_three)

    assert passed == 1
    assert match.status is MatchState.RETURNED
    assert [entry for entry in await services.store.find("outbox", kind="champion_matches") if entry["request"] == level_three] == []



async def test_reopened_request_can_be_offered_again(driver, services, level_three, clock):
    await offer_to(driver, level_three, JO)
    await driver.send(execute(JO, "acceptChampionOffer", {"offer": (await current_offer(services, level_three)).id}))
    clock.now += timedelta(minutes=5)
    await services.helpdesk.resolve(actor(services, TST), level_three, "Solved it remotely after all.")
    await services.ladder.reopen(actor(services, TEACHER), level_three, "It stopped working again.")
    await services.helpdesk.route(actor(services, TRIAGER), level_three, 3, "tst-remote")

    card = await offer_to(driver, level_three, KIM)

    assert "Offered to Kim Osei" in card_text(card)
    assert (await services.champions.match(level_three)).tried == [KIM.aad_object_id]
