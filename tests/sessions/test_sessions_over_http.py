"""Sessions over HTTP: the real app, a fake Bot Connector and a fake Graph, all on 127.0.0.1."""

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import SERVICES, build_app
from config import load_settings
from tests.conftest import REPO, card_text
from tests.factories import TEACHER, TEACHER_2, TST, TST_CHANNEL_ID, channel_conversation, execute, installed, message, personal
from tests.graph.conftest import RecordedSleep, graph_environ
from tests.integration.conftest import delivered
from tests.integration.fake_connector import FakeConnector
from tests.sessions.conftest import NOW
from tests.sessions.helpers import ALEX, PEOPLE_WITH_MAIL, SAM, group


class App:
    """The running app and its fakes; `post` sends an activity as the Bot Connector would."""

    def __init__(self, client: TestClient, connector: FakeConnector):
        self.client = client
        self.connector = connector

    @property
    def services(self):
        return self.client.server.app[SERVICES]

    async def post(self, activity):
        activity.service_url = self.connector.url
        response = await self.client.post("/api/messages", json=activity.serialize())
        body = await response.json() if response.content_length else None
        await delivered(self.client)
        return response.status, body


async def running_app(tmp_path, environ) -> tuple[TestClient, FakeConnector]:
    connector = FakeConnector()
    await connector.start()
    settings = load_settings(environ={"HELPDESK_DATA_DIR": str(tmp_path / "data"), **environ}, config_path=REPO / "config" / "helpdesk.yaml")
    client = TestClient(TestServer(build_app(settings), host="127.0.0.1"))
    await client.start_server()
    client.server.app[SERVICES].sessions.now = lambda: NOW
    return client, connector


@pytest.fixture
async def graph_app(tmp_path, fake_graph):
    for user_id, (name, mail) in PEOPLE_WITH_MAIL.items():
        fake_graph.add_user(user_id, name, mail)
    client, connector = await running_app(tmp_path, graph_environ(fake_graph))
    client.server.app[SERVICES].sessions.calendar.graph.sleep = RecordedSleep()
    yield App(client, connector)
    await client.close()
    await connector.stop()


@pytest.fixture
async def file_app(tmp_path):
    client, connector = await running_app(tmp_path, {"HELPDESK_PUBLIC_URL": "http://127.0.0.1:3978"})
    yield App(client, connector)
    await client.close()
    await connector.stop()


def cards_sent_to(connector: FakeConnector, conversation_id: str) -> list[dict]:
    return [call.body["attachments"][0]["content"] for call in connector.messages_to(conversation_id) if call.body.get("attachments")]


async def test_schedule_and_respond_over_http(graph_app, fake_graph):
    await graph_app.post(installed(TEACHER))
    await graph_app.post(installed(TEACHER_2))
    numbers = await group(graph_app.services, ALEX, SAM)
    thread = channel_conversation(f"{TST_CHANNEL_ID};messageid=400")

    # The bot matches commands after removing its own @mention, so a plain message takes the same path.
    status, _ = await graph_app.post(message(TST, "sessions", channel_conversation(TST_CHANNEL_ID)))
    [overview] = cards_sent_to(graph_app.connector, TST_CHANNEL_ID)
    assert status in (200, 201)
    assert "Plan this session" in card_text(overview)

    form = {"category": "onenote", "members": ",".join(map(str, numbers)), "topic": "Sharing a class notebook", "date": "2027-01-14", "time": "15:30", "duration": "45"}
    status, body = await graph_app.post(execute(TST, "scheduleSession", form, thread))
    assert status == 200
    assert "Scheduled and invited 2 teachers" in card_text(body["value"])
    [event] = fake_graph.events.values()
    assert event["start"] == {"dateTime": "2027-01-14T22:30:00.0000000", "timeZone": "UTC"}

    [invitation] = [card for card in cards_sent_to(graph_app.connector, personal(TEACHER).id) if "invited" in card_text(card)]
    join = next(action for action in invitation["actions"] if action["type"] == "Action.OpenUrl")
    assert join["url"] == event["onlineMeeting"]["joinUrl"]
    assert "Thu Jan 14, 2027, 3:30–4:15 PM (America/Vancouver)" in card_text(invitation)

    status, body = await graph_app.post(execute(TEACHER_2, "declineSession", {"session": "1", "sequence": 0}))
    assert "You declined" in card_text(body["value"])
    assert [item["emailAddress"]["address"] for item in fake_graph.event(event["id"])["attendees"]] == ["alex@district.example"]
    # Adele has no personal chat with the bot, so the response goes to the TST channel.
    assert "Sam Patel declined your small-group session" in card_text(graph_app.connector.threads_in(TST_CHANNEL_ID)[-1].body["activity"]["attachments"][0]["content"])

    status, body = await graph_app.post(execute(TST, "cancelSession", {"session": "1", "comment": "Snow day."}, thread))
    assert "Cancelled" in card_text(body["value"])
    cancelled = cards_sent_to(graph_app.connector, personal(TEACHER).id)[-1]
    assert "is cancelled" in card_text(cancelled)
    assert "Snow day." in card_text(cancelled)


async def test_graph_outage_shows_reason_on_form(graph_app, fake_graph):
    numbers = await group(graph_app.services, ALEX, SAM)
    fake_graph.fail_next(503, count=3, path_contains="/events")
    form = {"category": "onenote", "members": ",".join(map(str, numbers)), "topic": "Sharing a class notebook", "date": "2027-01-14", "time": "15:30", "duration": "45"}

    status, body = await graph_app.post(execute(TST, "scheduleSession", form, channel_conversation(f"{TST_CHANNEL_ID};messageid=401")))

    assert status == 200
    assert "Microsoft 365 did not respond (HTTP 503)" in card_text(body["value"])
    assert await graph_app.services.sessions.current() == []


async def test_calendar_file_is_served_with_its_key(file_app):
    numbers = await group(file_app.services, ALEX, SAM)
    planner = file_app.services.sessions
    session = await planner.schedule(file_app.services.roles.actor(TST.aad_object_id, TST.name), numbers, "Notebooks", "2027-01-14", "15:30", "45")

    served = await file_app.client.get(f"/sessions/{session.id}/calendar.ics", params={"key": session.calendar_key})
    refused = await file_app.client.get(f"/sessions/{session.id}/calendar.ics", params={"key": "guess"})
    missing = await file_app.client.get("/sessions/99/calendar.ics", params={"key": session.calendar_key})

    assert served.status == 200
    assert served.content_type == "text/calendar"
    assert "SUMMARY:Notebooks" in await served.text()
    assert planner.calendar_url(session) == f"http://127.0.0.1:3978/sessions/{session.id}/calendar.ics?key={session.calendar_key}"
    assert refused.status == 404
    assert missing.status == 404
