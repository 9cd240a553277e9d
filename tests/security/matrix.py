"""Shared set-up for tests that run every card verb: people, request states and a fresh store per case."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from botbuilder.schema import ChannelAccount

from bots.helpdesk_bot import HelpdeskBot
from champions import Champion, ChampionMatcher
from dialogs.context import Services
from domain.clock import load_zone, to_iso
from domain.intake import IntakeForm
from domain.people import PeopleDirectory
from escalation import Helpdesk, Ladder, RoleDirectory
from knowledge import ArticleDrafts
from sessions import FileCalendar, SessionPlanner, SessionStatus
from storage import Put, TinyDBStore
from tests.conftest import BotDriver
from tests.factories import ADMIN, TEACHER, TEACHER_2, TRIAGER, TST, TST_2
from visits import FileVisitCalendar, VisitPlanner

LEADER = ChannelAccount(id="29:lynne", name="Lynne Robbins", aad_object_id="00000000-0000-0000-0000-0000000000025")
# A teacher outside the matrix, who shares small-group sessions with the teacher who owns the request.
CLASSMATE = ChannelAccount(id="29:jordan", name="Jordan Lee", aad_object_id="00000000-0000-0000-0000-0000000000098")

# Each role of the authorisation matrix and the Teams account that plays it.
PEOPLE = {
    "teacher who owns the request": TEACHER,
    "another teacher": TEACHER_2,
    "triager": TRIAGER,
    "TST who owns the request": TST,
    "another TST": TST_2,
    "leader": LEADER,
    "admin": ADMIN,
}

# The bookkeeping that any activity may write (who the sender is and how to reach them) is left out.
DOMAIN_COLLECTIONS = (
    "requests", "events", "touches", "outbox", "intakes", "counters", "posts",
    "articles", "article_drafts", "article_stats", "article_marks", "kb_gaps", "sessions", "session_members",
    "champions", "champion_offers", "champion_matches", "visits",
)

DESCRIPTION = "Students get a sign-in error when they open Minecraft Education on the library laptops."


@dataclass
class Case:
    """A fresh store with requests in the state a verb needs, and a bot driver over it."""

    services: Services
    driver: BotDriver
    numbers: dict[str, int]
    suggested_article: str

    async def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {name: sorted(await self.services.store.find(name), key=repr) for name in DOMAIN_COLLECTIONS}


async def open_case(settings, knowledge, folder: Path) -> Case:
    """Open a store in `folder` and file requests in each state the verbs act on."""
    store = TinyDBStore(folder)
    await store.open()
    helpdesk = Helpdesk(store, settings.catalogue, knowledge, [channel.key for channel in settings.tst_channels], settings.suggestion_count)
    roles = RoleDirectory(settings.roles)
    clock = {"now": datetime.now(timezone.utc)}
    planner = SessionPlanner(store, helpdesk, settings, FileCalendar(), now=lambda: clock["now"])
    champions = ChampionMatcher(store, helpdesk, settings, now=lambda: clock["now"])
    visits = VisitPlanner(store, helpdesk, settings, FileVisitCalendar(), now=lambda: clock["now"])
    services = Services(
        settings, store, helpdesk, PeopleDirectory(store), roles, knowledge, Ladder(helpdesk, sorted(settings.roles.tsts)), planner, champions, visits
    )

    def actor(account: ChannelAccount):
        return roles.actor(account.aad_object_id, account.name)

    teacher, triager, tst = actor(TEACHER), actor(TRIAGER), actor(TST)

    async def filed(tag: str) -> int:
        form = IntakeForm(tag, "minecraft", DESCRIPTION, "one_to_one", "Pinetree Secondary", "", "", "whenever", "")
        return (await helpdesk.open_request(teacher, form)).number

    numbers = {state: await filed(state) for state in ("suggested", "waiting", "waiting_2", "routed", "claimed", "resolved", "drafted")}
    for state in ("waiting", "waiting_2", "routed", "claimed", "resolved", "drafted"):
        await helpdesk.decline_suggestion(teacher, numbers[state])
    for state in ("routed", "claimed", "resolved", "drafted"):
        await helpdesk.route(triager, numbers[state], 1, "tst-remote")
    for state in ("claimed", "resolved", "drafted"):
        await helpdesk.claim(tst, numbers[state])
    for state in ("resolved", "drafted"):
        await helpdesk.resolve(tst, numbers[state], "Reset the licences in the admin centre.")
    drafted = await helpdesk.get(numbers["drafted"])
    fields = {"articleTitle": "Fix Minecraft sign-in errors", "articleSummary": "Reset the licences in the admin centre.", "articleUrl": "https://example.org/help"}
    await ArticleDrafts(store).draft(tst, drafted, fields)
    numbers.update(await _small_group_states(helpdesk, planner, actor, clock))
    numbers.update(await _ladder_states(services, actor, clock))
    suggested = await helpdesk.get(numbers["suggested"])
    return Case(services, BotDriver(HelpdeskBot(services)), numbers, suggested.suggested_articles[0])


async def _small_group_states(helpdesk: Helpdesk, planner: SessionPlanner, actor, clock: dict) -> dict[str, int]:
    """File level-2 requests for the session verbs: two to group, a session that has started, one stopped half-way, one waiting.

    The teacher who owns the request is invited with CLASSMATE; the other teacher is in no session.
    """
    triager, tst = actor(TRIAGER), actor(TST)
    numbers: dict[str, int] = {}
    for tag, account in (("group_a", TEACHER), ("group_b", CLASSMATE), ("in_session", TEACHER), ("in_session_2", CLASSMATE),
                         ("interrupted", TEACHER), ("interrupted_2", CLASSMATE), ("waiting_group", TEACHER)):
        form = IntakeForm(f"session-{tag}", "minecraft", DESCRIPTION, "small_group", "Pinetree Secondary", "", "", "whenever", "")
        request = await helpdesk.open_request(actor(account), form)
        if request.state.value == "suggested":
            await helpdesk.decline_suggestion(actor(account), request.number)
        await helpdesk.route(triager, request.number, 2, "tst-remote")
        numbers[tag] = request.number
    session = await planner.schedule(
        tst, [numbers["in_session"], numbers["in_session_2"]], "Minecraft sign-in", *_local(planner, clock["now"] + timedelta(days=1)), "45"
    )
    numbers["session"] = int(session.id)
    stopped = await planner.schedule(
        tst, [numbers["interrupted"], numbers["interrupted_2"]], "Minecraft worlds", *_local(planner, clock["now"] + timedelta(days=3)), "45"
    )
    # Make the second session look as if the bot stopped before storing it as scheduled.
    doc = await helpdesk.store.get("sessions", stopped.id)
    doc.update(status=SessionStatus.CREATING.value, busy=None, problem="The bot restarted.")
    await helpdesk.store.apply([Put("sessions", stopped.id, {k: v for k, v in doc.items() if k != "_version"}, doc["_version"])])
    numbers["stopped_session"] = int(stopped.id)
    # Two days on, the first session has started, so attendance can be recorded.
    clock["now"] += timedelta(days=2)
    return numbers


async def _ladder_states(services: Services, actor, clock: dict) -> dict[str, int]:
    """File requests for the champion and visit verbs; the other teacher is the Technology Champion.

    Each request is the teacher's and claimed by the TST: one at level 3 to
    offer, one offered to the champion, one the champion accepted; one at
    level 4 to propose times for, one with times proposed, one booked and one
    booked whose visit has started.
    """
    helpdesk, champions, visits = services.helpdesk, services.champions, services.visits
    triager, tst, champion = actor(TRIAGER), actor(TST), actor(TEACHER_2)
    await champions.directory.save_all([Champion(TEACHER_2.aad_object_id, TEACHER_2.name, "sam@district.example", "Pinetree Secondary", ("*",), 10)])
    numbers: dict[str, int] = {}
    for tag, level in (("champion_request", 3), ("champion_offered", 3), ("champion_connected", 3),
                       ("visit_request", 4), ("visit_proposed", 4), ("visit_booked", 4), ("visit_started", 4)):
        form = IntakeForm(f"ladder-{tag}", "minecraft", DESCRIPTION, "one_to_one", "Pinetree Secondary", "", "", "whenever", "")
        request = await helpdesk.open_request(actor(TEACHER), form)
        if request.state.value == "suggested":
            await helpdesk.decline_suggestion(actor(TEACHER), request.number)
        await helpdesk.route(triager, request.number, level, "tst-remote")
        await helpdesk.claim(tst, request.number)
        numbers[tag] = request.number
    numbers["offer"] = int((await champions.offer(tst, numbers["champion_offered"], champion.id)).id)
    connected = await champions.offer(tst, numbers["champion_connected"], champion.id)
    await champions.accept(champion, connected.id)
    numbers["connected_offer"] = int(connected.id)
    for tag in ("visit_proposed", "visit_booked", "visit_started"):
        visit = await visits.propose(tst, numbers[tag], [_local(visits, clock["now"] + timedelta(days=1))], "60")
        numbers[f"{tag}_visit"] = int(visit.id)
    for tag in ("visit_booked", "visit_started"):
        await visits.choose(actor(TEACHER), str(numbers[f"{tag}_visit"]), "0")
    # Make the last visit look as if it started an hour ago.
    started = await helpdesk.store.get("visits", str(numbers["visit_started_visit"]))
    started.update(start=to_iso(clock["now"] - timedelta(hours=1)), end=to_iso(clock["now"]))
    await helpdesk.store.apply([Put("visits", started["id"], {k: v for k, v in started.items() if k != "_version"}, started["_version"])])
    return numbers


def _local(planner, moment: datetime) -> tuple[str, str]:
    local = moment.astimezone(load_zone(planner.settings.timezone))
    return local.date().isoformat(), "15:30"
