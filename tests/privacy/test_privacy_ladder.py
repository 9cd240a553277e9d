"""Personal data beyond requests: sessions, champions, visits, drafts, outbox and inbound claims, through the real code paths."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from bot import open_services
from bots.dedupe import InboundDedupe
from bots.notifier import Notifier
from config import load_settings
from knowledge.drafts import ArticleDrafts
from privacy import FORMER_NAME, export_person, forget_person, pseudonym_for, purge_closed
from privacy.registry import COLLECTIONS
from storage import Put
from tests.champions.helpers import JO, TEACHER_SCHOOL, Clock, RecordingMessenger, add_champions, champion, routed_request, use_clock
from tests.conftest import REPO, BotDriver
from tests.factories import TEACHER, TEACHER_2, TRIAGER, TST, message, personal
from tests.graph.conftest import RecordedSleep, fake_graph, graph_certificate, graph_environ  # noqa: F401 (fixtures)
from tests.privacy.test_privacy import MARKER, resolved_request
from tests.sessions.helpers import PEOPLE_WITH_MAIL, group
from bots.helpdesk_bot import HelpdeskBot

# A Tuesday afternoon in Vancouver; the session and the visit are booked after it.
NOW = datetime(2026, 12, 1, 21, 0, tzinfo=timezone.utc)
AFTER_SESSION = datetime(2027, 1, 15, 18, 0, tzinfo=timezone.utc)
ALEX_MAIL = PEOPLE_WITH_MAIL[TEACHER.aad_object_id][1]
SAM_MAIL = PEOPLE_WITH_MAIL[TEACHER_2.aad_object_id][1]
JO_UPN = "jo.nakamura@district.example"
VISIT_NOTE = "I will bring the laptop cart."
OUTCOME_NOTE = "Set up the laptop cart with the class."


@dataclass
class Ladder:
    """The numbers and ids the scenario created for Alex (TEACHER); Sam (TEACHER_2) declined the session."""

    resolved: int
    session_requests: list[int]
    session_id: str
    champion_request: int
    offer_id: str
    visit_request: int
    visit_id: str


def actor(services, account):
    return services.roles.actor(account.aad_object_id, account.name)


@pytest.fixture
async def graph_services(tmp_path, fake_graph):
    """Services whose sessions and visits go through the fake Graph, so attendees have e-mail addresses."""
    settings = load_settings(environ={"HELPDESK_DATA_DIR": str(tmp_path / "data"), **graph_environ(fake_graph)}, config_path=REPO / "config" / "helpdesk.yaml")
    services = await open_services(settings)
    for user_id, (name, mail) in PEOPLE_WITH_MAIL.items():
        fake_graph.add_user(user_id, name, mail)
    clock = Clock(NOW)
    use_clock(services, clock)
    services.sessions.now = clock
    services.sessions.calendar.graph.sleep = RecordedSleep()
    services.visits.calendar.graph.sleep = RecordedSleep()
    services.clock = clock
    yield services
    await services.sessions.close()
    await services.store.close()


@pytest.fixture
async def ladder(graph_services) -> Ladder:
    """Run Alex through every support level, with a personal chat, a published article draft and delivered messages."""
    services = graph_services
    tst, alex, jo = actor(services, TST), actor(services, TEACHER), actor(services, JO)

    resolved = await resolved_request(services)
    # A message in the personal chat stores Alex's Teams contact and an inbound claim of its conversation.
    driver = BotDriver(HelpdeskBot(services))
    driver.adapter.use(InboundDedupe(services.store))
    await driver.send(message(TEACHER, "help"))

    drafts = ArticleDrafts(services.store)
    fields = {"articleTitle": "Reset Minecraft Education licences", "articleSummary": "Reassign the licences in the admin centre.", "articleUrl": "https://help.example.org/minecraft"}
    draft, _ = await drafts.draft(tst, await services.helpdesk.get(resolved), fields)
    await drafts.publish(actor(services, TRIAGER), draft.article.id)

    session_requests = await group(services, TEACHER.aad_object_id, TEACHER_2.aad_object_id)
    session = await services.sessions.schedule(tst, session_requests, "Sharing a class notebook", "2027-01-14", "15:30", "45")
    await services.sessions.respond(alex, session.id, True)
    await services.sessions.respond(actor(services, TEACHER_2), session.id, False)

    await add_champions(services, champion(JO, TEACHER_SCHOOL))
    champion_request = (await routed_request(services, 3, tag="form-champion")).number
    offer = await services.champions.offer(tst, champion_request, JO.aad_object_id)
    await services.champions.accept(jo, offer.id)
    await services.champions.mark_done(jo, offer.id, "Showed the sharing settings.")

    visit_request = (await routed_request(services, 4, tag="form-visit")).number
    visit = await services.visits.propose(tst, visit_request, [("2026-12-03", "10:00")], "60", VISIT_NOTE)
    await services.visits.choose(alex, visit.id, "0")

    services.clock.now = AFTER_SESSION
    await services.sessions.mark_attendance(tst, session.id, [session_requests[0]])
    await services.visits.record(tst, visit.id, "visit", OUTCOME_NOTE)
    await Notifier(services, RecordingMessenger()).flush()
    return Ladder(resolved, session_requests, session.id, champion_request, offer.id, visit_request, visit.id)


async def stored_text(store) -> str:
    """Return every stored document of every collection as one JSON text."""
    return json.dumps({name: await store.documents(name) for name in await store.collections()}, ensure_ascii=False)


async def test_ladder_writes_only_registered_collections(graph_services, ladder):
    written = set(await graph_services.store.collections())

    assert sorted(written - set(COLLECTIONS)) == []
    assert {"sessions", "champions", "champion_offers", "champion_matches", "visits", "inbound", "article_drafts", "posts"} <= written


async def test_export_teacher_covers_ladder(graph_services, ladder):
    exported = await export_person(graph_services.store, TEACHER.aad_object_id)
    [session] = exported["sessions"]
    [offer] = exported["champion_offers"]
    [visit] = exported["visits"]

    assert session["attendance"]["email"] == ALEX_MAIL
    assert session["attendance"]["attended"] is True
    assert [entry["action"] for entry in session["history"]] == ["accepted"]
    assert "attendees" not in session
    assert TEACHER_2.name not in json.dumps(exported["sessions"])
    assert SAM_MAIL not in json.dumps(exported["sessions"])
    assert offer["champion_name"] == JO.name
    assert visit["note"] == VISIT_NOTE
    assert "calendar_key" not in visit
    assert {form["form"] for form in exported["intake_forms"]} == {"form-1", "form-0", "form-champion", "form-visit"}
    assert exported["profile"]["contact"]["conversation"]["id"] == personal(TEACHER).id
    json.dumps(exported)


async def test_export_champion_and_tst(graph_services, ladder):
    champion_export = await export_person(graph_services.store, JO.aad_object_id)
    tst_export = await export_person(graph_services.store, TST.aad_object_id)
    [organised] = tst_export["sessions"]

    assert champion_export["champion"]["upn"] == JO_UPN
    assert [offer["id"] for offer in champion_export["champion_offers"]] == [ladder.offer_id]
    assert [match["request"] for match in champion_export["champion_matches"]] == [ladder.champion_request]
    assert [match["request"] for match in tst_export["champion_matches"]] == [ladder.champion_request]
    assert [visit["id"] for visit in tst_export["visits"]] == [ladder.visit_id]
    assert [item["response"] for item in organised["attendees"]] == ["accepted", "declined"]
    assert TEACHER.name not in json.dumps(organised["attendees"])


async def test_forget_teacher_leaves_no_trace(graph_services, ladder):
    store = graph_services.store
    touches_before = len(await store.find("touches"))

    summary = await forget_person(store, TEACHER.aad_object_id)
    stored = await stored_text(store)
    session = await graph_services.sessions.get(ladder.session_id)
    offer = await graph_services.champions.offer_of(ladder.offer_id)
    visit = await graph_services.visits.get(ladder.visit_id)
    pseudonym = summary["pseudonym"]

    for trace in (TEACHER.aad_object_id, TEACHER.name, TEACHER.id, personal(TEACHER).id, ALEX_MAIL, MARKER):
        assert trace not in stored, trace
    assert summary["deleted"]["people"] == 1
    assert summary["deleted"]["inbound"] >= 1
    assert [(attendee.teacher_id, attendee.teacher_name, attendee.email) for attendee in session.attendees] == [
        (pseudonym, FORMER_NAME, ""),
        (TEACHER_2.aad_object_id, TEACHER_2.name, SAM_MAIL),
    ]
    assert session.attendees[0].attended is True
    assert (offer.teacher_id, offer.teacher_name, offer.champion_name) == (pseudonym, FORMER_NAME, JO.name)
    assert (visit.teacher_id, visit.teacher_name, visit.outcome_note) == (pseudonym, FORMER_NAME, OUTCOME_NOTE)
    assert len(await store.find("touches")) == touches_before
    assert await store.get("champions", JO.aad_object_id) is not None


async def test_forget_champion_pseudonymises_offers(graph_services, ladder):
    store = graph_services.store

    summary = await forget_person(store, JO.aad_object_id)
    stored = await stored_text(store)
    offer = await graph_services.champions.offer_of(ladder.offer_id)
    match = await graph_services.champions.match(ladder.champion_request)

    for trace in (JO.aad_object_id, JO.name, JO_UPN):
        assert trace not in stored, trace
    assert await store.get("champions", JO.aad_object_id) is None
    assert (offer.champion_id, offer.champion_name, offer.champion_upn) == (summary["pseudonym"], FORMER_NAME, "")
    assert offer.teacher_name == TEACHER.name
    assert match.tried == [summary["pseudonym"]]
    assert (await graph_services.helpdesk.get(ladder.champion_request)).teacher_name == TEACHER.name


async def test_forget_organiser_blanks_their_notes(graph_services, ladder):
    store = graph_services.store

    summary = await forget_person(store, TST.aad_object_id)
    stored = await stored_text(store)
    session = await graph_services.sessions.get(ladder.session_id)
    visit = await graph_services.visits.get(ladder.visit_id)
    match = await graph_services.champions.match(ladder.champion_request)
    pseudonym = summary["pseudonym"]

    for trace in (TST.aad_object_id, TST.name, VISIT_NOTE):
        assert trace not in stored, trace
    assert (session.organizer_id, session.organizer_name) == (pseudonym, FORMER_NAME)
    assert all(entry["note"] == "" for entry in session.history if entry["by"] == pseudonym)
    assert (visit.organizer_id, visit.organizer_name, visit.note, visit.outcome_note) == (pseudonym, FORMER_NAME, "", OUTCOME_NOTE)
    assert (match.tst_id, match.tst_name) == (pseudonym, FORMER_NAME)
    assert [attendee.teacher_name for attendee in session.attendees] == [TEACHER.name, TEACHER_2.name]


async def close_and_age(services, numbers: list[int], when: datetime) -> None:
    """Rate each resolved request (which closes it), then move its last change back to `when`."""
    for number in numbers:
        if (await services.helpdesk.get(number)).status == "resolved":
            await services.helpdesk.rate(actor(services, TEACHER), number, 5)
        doc = await services.store.get("requests", str(number))
        version = doc.pop("_version")
        await services.store.apply([Put("requests", str(number), {**doc, "updated_at": when.isoformat().replace("+00:00", "Z")}, version)])


async def test_purge_removes_ladder_records(graph_services, ladder):
    store = graph_services.store
    # Three years back from here is June 2026, before the scenario ran, so only the aged requests qualify.
    now = datetime(2029, 6, 1, tzinfo=timezone.utc)
    numbers = [ladder.session_requests[0], ladder.champion_request, ladder.visit_request]
    await close_and_age(graph_services, numbers, now - timedelta(days=4 * 366))
    touches_before = len(await store.find("touches"))

    purged = await purge_closed(store, 3, now)
    session = await graph_services.sessions.get(ladder.session_id)
    pseudonym = await pseudonym_for(store, TEACHER.aad_object_id)

    assert purged == 3
    assert await store.find("visits", request=ladder.visit_request) == []
    assert await store.find("champion_offers", request=ladder.champion_request) == []
    assert await graph_services.champions.match(ladder.champion_request) is None
    assert [(attendee.teacher_id, attendee.email) for attendee in session.attendees] == [(pseudonym, ""), (TEACHER_2.aad_object_id, SAM_MAIL)]
    assert TEACHER.name not in json.dumps(session.to_doc())
    assert all(entry["by"] != TEACHER.aad_object_id for entry in session.history)
    assert len(await store.find("touches")) == touches_before
    assert await store.get("champions", JO.aad_object_id) is not None
