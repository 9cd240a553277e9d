"""Every card verb against every role, with hand-crafted payloads: who may act, and that a refusal changes nothing.

The verbs come from the bot's own tables, so a new verb fails this test until
it gets a row. Roles come from configuration only, so each payload also
carries fields that claim another identity or role, which must not matter.
"""

from datetime import datetime, timedelta, timezone

import pytest

from bots.helpdesk_bot import HelpdeskBot
from domain.clock import load_zone
from tests.conftest import ADAPTIVE_CARD, cards, invoke_body
from tests.factories import ADMIN, TEAM_ID, TST_CHANNEL_ID, channel_conversation, execute, personal
from tests.security.matrix import PEOPLE, open_case

TEACHER_OWNER, OTHER_TEACHER, TRIAGER, TST_OWNER, OTHER_TST, LEADER, ADMIN_ROLE = PEOPLE
EVERYONE = frozenset(PEOPLE)
READ_ONLY = {"newRequest", "myRequests"}
# Verbs that change nothing and return a card in the invoke response, or a message when refused.
READ_ONLY_CARDS = {"sessions", "planSession", "openSession", "refreshSession"}
# Any TST may plan and run a small-group session, not only the owner of a request in it.
TSTS = frozenset({TST_OWNER, OTHER_TST, ADMIN_ROLE})

# Fields a forged card might add to pass as someone else; the bot must read identity and roles from the activity only.
FORGED = {"teacherId": ADMIN.aad_object_id, "actorId": ADMIN.aad_object_id, "from": ADMIN.aad_object_id, "roles": ["admin", "triager", "tst"], "owner_id": "anyone"}


def payload(verb: str, numbers: dict[str, int], article: str) -> dict:
    """Return the card data of a click that is valid for an allowed role, aimed at the request state the verb needs."""
    data = {
        "newRequest": {},
        "myRequests": {},
        "submitIntake": {"intakeId": "matrix-form", "category": "minecraft", "description": "My students cannot join the Minecraft world.", "school": "Pinetree Secondary"},
        "articleHelpful": {"article": article, "helpful": True, "request": numbers["suggested"]},
        "draftArticle": {"request": numbers["resolved"], "articleTitle": "Reset Minecraft licences", "articleSummary": "Reset them in the admin centre.", "articleUrl": "https://example.org/help"},
        "publishArticle": {"article": f"kb-draft-{numbers['drafted']}"},
        "rejectArticle": {"article": f"kb-draft-{numbers['drafted']}"},
        "acceptSuggestion": {"request": numbers["suggested"], "article": article},
        "declineSuggestion": {"request": numbers["suggested"]},
        "rate": {"request": numbers["resolved"], "rating": "5"},
        "route": {"request": numbers["waiting"], "level": "1", "channel": "tst-remote"},
        "answer": {"request": numbers["waiting"], "article": article},
        "claim": {"request": numbers["routed"]},
        "unclaim": {"request": numbers["claimed"]},
        "addNote": {"request": numbers["claimed"], "note": "Checked the licences."},
        "resolve": {"request": numbers["claimed"], "resolution": "Reset the licences."},
        "assign": {"request": numbers["claimed"], "tst": PEOPLE[OTHER_TST].aad_object_id},
        "changeLevel": {"request": numbers["claimed"], "level": "4", "reason": "Needs a site visit."},
        "messageTeacher": {"request": numbers["claimed"], "message": "Can you share a screenshot?"},
        "replyToTst": {"request": numbers["claimed"], "reply": "Here it is."},
        "reopen": {"request": numbers["resolved"], "reason": "It broke again."},
        "merge": {"request": numbers["waiting"], "other": numbers["waiting_2"]},
        "link": {"request": numbers["waiting"], "other": numbers["waiting_2"]},
        "sessions": {},
        "planSession": {"category": "minecraft", "requests": [numbers["group_a"], numbers["group_b"]]},
        "scheduleSession": {
            "category": "minecraft", "members": f"{numbers['group_a']},{numbers['group_b']}", "topic": "Minecraft sign-in",
            "date": _days_ahead(10), "time": "15:30", "duration": "45",
        },
        "openSession": {"session": numbers["session"]},
        "rescheduleSession": {"session": numbers["session"], "date": _days_ahead(12), "time": "10:00", "duration": "60"},
        "cancelSession": {"session": numbers["session"], "comment": "The TST is away."},
        "markAttendance": {"session": numbers["session"], "attended": f"{numbers['in_session']},{numbers['in_session_2']}"},
        "refreshSession": {"session": numbers["session"]},
        "retrySession": {"session": numbers["stopped_session"]},
        "discardSession": {"session": numbers["stopped_session"]},
        "acceptSession": {"session": numbers["session"], "sequence": 0},
        "declineSession": {"session": numbers["session"], "sequence": 0},
        "sessionFollowUp": {"request": numbers["waiting_group"], "choice": "remote"},
        "offerChampion": {"request": numbers["champion_request"], "champion": PEOPLE[OTHER_TEACHER].aad_object_id},
        "acceptChampionOffer": {"offer": numbers["offer"]},
        "declineChampionOffer": {"offer": numbers["offer"]},
        "championDone": {"offer": numbers["connected_offer"], "note": "We met at lunch."},
        "proposeVisit": {"request": numbers["visit_request"], "date1": _days_ahead(10), "time1": "10:00", "duration": "60"},
        "chooseVisitTime": {"visit": numbers["visit_proposed_visit"], "option": "0"},
        "cancelVisit": {"visit": numbers["visit_booked_visit"], "reason": "The TST is away."},
        "recordVisit": {"visit": numbers["visit_started_visit"], "outcome": "visit", "note": "Set up the projector."},
    }[verb]
    return {**FORGED, **data}


# Who may use each verb. The TST who owns the request is the one who claimed it.
ALLOWED = {
    "newRequest": EVERYONE,
    "myRequests": EVERYONE,
    "submitIntake": EVERYONE,
    "articleHelpful": EVERYONE,
    "draftArticle": {TST_OWNER, ADMIN_ROLE},
    "publishArticle": {TRIAGER, ADMIN_ROLE},
    "rejectArticle": {TRIAGER, ADMIN_ROLE},
    "acceptSuggestion": {TEACHER_OWNER},
    "declineSuggestion": {TEACHER_OWNER},
    "rate": {TEACHER_OWNER},
    "route": {TRIAGER, ADMIN_ROLE},
    "answer": {TRIAGER, ADMIN_ROLE},
    "claim": {TST_OWNER, OTHER_TST, ADMIN_ROLE},
    "unclaim": {TST_OWNER, ADMIN_ROLE},
    "addNote": {TST_OWNER, ADMIN_ROLE},
    "resolve": {TST_OWNER, ADMIN_ROLE},
    "assign": {TRIAGER, ADMIN_ROLE},
    "changeLevel": {TST_OWNER, TRIAGER, ADMIN_ROLE},
    "messageTeacher": {TST_OWNER, OTHER_TST, TRIAGER, ADMIN_ROLE},
    "replyToTst": {TEACHER_OWNER},
    "reopen": {TEACHER_OWNER, TRIAGER, TST_OWNER, OTHER_TST, ADMIN_ROLE},
    "merge": {TRIAGER, ADMIN_ROLE},
    "link": {TRIAGER, TST_OWNER, OTHER_TST, ADMIN_ROLE},
    "sessions": TSTS,
    "planSession": TSTS,
    "scheduleSession": TSTS,
    "openSession": TSTS,
    "rescheduleSession": TSTS,
    "cancelSession": TSTS,
    "markAttendance": TSTS,
    "refreshSession": TSTS,
    "retrySession": TSTS,
    "discardSession": TSTS,
    "acceptSession": {TEACHER_OWNER},
    "declineSession": {TEACHER_OWNER},
    "sessionFollowUp": {TEACHER_OWNER},
    # The other teacher is the Technology Champion the offers were made to; nobody else may answer them.
    "offerChampion": {TST_OWNER, ADMIN_ROLE},
    "acceptChampionOffer": {OTHER_TEACHER},
    "declineChampionOffer": {OTHER_TEACHER},
    "championDone": {OTHER_TEACHER},
    "proposeVisit": {TST_OWNER, ADMIN_ROLE},
    "chooseVisitTime": {TEACHER_OWNER},
    "cancelVisit": {TST_OWNER, ADMIN_ROLE},
    "recordVisit": {TST_OWNER, ADMIN_ROLE},
}
STAFF_CONVERSATIONS = {"triage": channel_conversation(f"{TEAM_ID};messageid=1"), "tst": channel_conversation(f"{TST_CHANNEL_ID};messageid=2")}


def _days_ahead(days: int) -> str:
    """Return the local date `days` from now, after the matrix's clock, which runs two days ahead."""
    return (datetime.now(timezone.utc) + timedelta(days=days)).astimezone(load_zone("America/Vancouver")).date().isoformat()


def answered_with_card(replies) -> bool:
    return getattr(invoke_body(replies), "type", None) == ADAPTIVE_CARD


def bot_verbs(services) -> set[str]:
    bot = HelpdeskBot(services)
    return set(bot.general_verbs) | set(bot.request_verbs)


@pytest.fixture
async def knowledge(services):
    return services.knowledge


async def test_matrix_covers_every_verb(services):
    assert set(ALLOWED) == bot_verbs(services)


async def test_authorization_matrix(settings, knowledge, services, tmp_path, capsys):
    verbs = sorted(bot_verbs(services))
    mismatches: list[str] = []
    pairs = 0

    for verb in verbs:
        for role, account in PEOPLE.items():
            case = await open_case(settings, knowledge, tmp_path / f"{verb}-{pairs}")
            try:
                data = payload(verb, case.numbers, case.suggested_article)
                is_staff = role not in (TEACHER_OWNER, OTHER_TEACHER)
                conversation = STAFF_CONVERSATIONS["tst"] if is_staff else personal(account)
                before = await case.snapshot()
                replies = await case.driver.send(execute(account, verb, data, conversation))
                after = await case.snapshot()
                pairs += 1

                changed = before != after
                acted = changed or (verb in READ_ONLY and bool(cards(replies))) or (verb in READ_ONLY_CARDS and answered_with_card(replies))
                expected = role in ALLOWED[verb]
                if acted != expected:
                    mismatches.append(f"{verb} by {role}: {'acted' if acted else 'refused'}, expected {'allowed' if expected else 'denied'}")
                if changed:
                    # A forged identity in the data must never be recorded as the actor.
                    actors = {event["actor_id"] for event in after["events"]} - {event["actor_id"] for event in before["events"]}
                    assert actors <= {account.aad_object_id}, f"{verb} by {role} recorded {actors}"
            finally:
                await case.services.store.close()

    with capsys.disabled():
        print(f"\nauthorisation matrix: {pairs} role/action pairs ({len(verbs)} verbs x {len(PEOPLE)} roles)")
    assert mismatches == []
