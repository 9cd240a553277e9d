"""Champions and visits through the real app: a fake Bot Connector on 127.0.0.1, calendar files and the timed job."""

from datetime import datetime, timezone

import pytest

from bots.scheduler import build_scheduler
from tests.champions.helpers import JO, TEACHER_SCHOOL, Clock, actor, add_champions, champion, routed_request, use_clock
from tests.conftest import find_action
from tests.factories import TEACHER, TST, TST_CHANNEL_ID, channel_conversation, execute, installed, personal
from tests.sessions.test_sessions_over_http import App, cards_sent_to, running_app

# Before the visit proposed below, on Thursday December 3, 2026.
NOW = datetime(2026, 12, 1, 21, 0, tzinfo=timezone.utc)


@pytest.fixture
async def app(tmp_path):
    client, connector = await running_app(tmp_path, {"HELPDESK_PUBLIC_URL": "http://127.0.0.1:3978"})
    served = App(client, connector)
    use_clock(served.services, Clock(NOW))
    yield served
    await client.close()
    await connector.stop()


async def test_offer_reaches_champion_chat(app):
    await app.post(installed(TEACHER))
    await app.post(installed(JO))
    await add_champions(app.services, champion(JO, TEACHER_SCHOOL))
    request = await routed_request(app.services, 3)

    status, _ = await app.post(execute(TST, "offerChampion", {"request": request.number, "champion": JO.aad_object_id}, channel_conversation(f"{TST_CHANNEL_ID};messageid=500")))
    offers = [card for card in cards_sent_to(app.connector, personal(JO).id) if find_action(card, "acceptChampionOffer")]

    assert status == 200
    assert len(offers) == 1


async def test_visit_calendar_file_served_with_key(app):
    services = app.services
    request = await routed_request(services, 4)
    visit = await services.visits.propose(actor(services, TST), request.number, [("2026-12-03", "10:00")], "60")
    await services.visits.choose(actor(services, TEACHER), visit.id, "0")
    visit = await services.visits.get(visit.id)

    served = await app.client.get(f"/visits/{visit.id}/calendar.ics", params={"key": visit.calendar_key})
    refused = await app.client.get(f"/visits/{visit.id}/calendar.ics", params={"key": "guess"})

    assert served.status == 200
    assert served.content_type == "text/calendar"
    assert "DTSTART:20261203T170000Z" in await served.text()
    assert refused.status == 404
    assert services.visits.calendar_url(visit) == f"http://127.0.0.1:3978/visits/{visit.id}/calendar.ics?key={visit.calendar_key}"


class FlushCounter:
    def __init__(self, services):
        self.services = services
        self.flushes = 0

    async def flush(self) -> int:
        self.flushes += 1
        return 0


async def test_ladder_job_runs_checks_and_flushes(services, settings):
    clock = Clock(NOW)
    use_clock(services, clock)
    await routed_request(services, 3)
    notifier = FlushCounter(services)
    scheduler = build_scheduler(settings, reminders=None, notifier=notifier)
    job = scheduler.get_job("ladder-checks")

    await job.func()
    await job.func()

    assert notifier.flushes == 1
    assert len(await services.store.find("outbox", kind="champion_matches")) == 1
