"""The Graph client against the contract fake: request shapes, the token cache, and each error status."""

import socket
from datetime import datetime, timedelta, timezone

import pytest

from graph import (
    GraphAuthenticationError,
    GraphClient,
    GraphNotFound,
    GraphPermissionError,
    GraphRequestError,
    GraphThrottled,
    GraphUnavailable,
    parse_graph_time,
)
from tests.graph.conftest import RecordedSleep, graph_settings

ORGANIZER = "00000000-0000-0000-0000-0000000000022"
START = datetime(2027, 1, 14, 23, 30, tzinfo=timezone.utc)
END = START + timedelta(minutes=45)
ATTENDEES = [("alex@district.example", "Alex Wilber"), ("sam@district.example", "Sam Patel")]


@pytest.fixture
async def client(fake_graph):
    fake_graph.add_user(ORGANIZER, "Adele Vance", "adele@district.example")
    sleep = RecordedSleep()
    graph = GraphClient(graph_settings(fake_graph), sleep=sleep)
    graph.recorded_sleep = sleep
    yield graph
    await graph.close()


async def create(client, transaction_id: str = "tx-1") -> dict:
    return await client.create_meeting(ORGANIZER, "Sharing a class notebook", "Bring your questions.", START, END, ATTENDEES, transaction_id)


async def test_create_sends_teams_meeting_in_utc(client, fake_graph):
    event = await create(client)
    [call] = fake_graph.graph_calls("POST")

    assert call.path == f"/v1.0/users/{ORGANIZER}/events"
    assert call.body["start"] == {"dateTime": "2027-01-14T23:30:00", "timeZone": "UTC"}
    assert call.body["end"] == {"dateTime": "2027-01-15T00:15:00", "timeZone": "UTC"}
    assert call.body["isOnlineMeeting"] is True
    assert call.body["onlineMeetingProvider"] == "teamsForBusiness"
    assert call.body["transactionId"] == "tx-1"
    assert [item["emailAddress"]["address"] for item in call.body["attendees"]] == ["alex@district.example", "sam@district.example"]
    assert call.headers["Prefer"] == 'outlook.timezone="UTC"'
    assert event["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert parse_graph_time(event["start"]) == START


async def test_repeated_transaction_id_creates_one_event(client, fake_graph):
    first = await create(client, "tx-same")
    second = await create(client, "tx-same")

    assert first["id"] == second["id"]
    assert len(fake_graph.events) == 1


async def test_event_id_with_slash_is_escaped(client, fake_graph):
    event = await create(client)

    fetched = await client.get_event(ORGANIZER, event["id"])

    assert "/" in event["id"]
    assert fetched["id"] == event["id"]


async def test_token_is_cached_between_calls(client, fake_graph):
    event = await create(client)
    await client.get_event(ORGANIZER, event["id"])
    await client.reschedule(ORGANIZER, event["id"], START + timedelta(days=1), END + timedelta(days=1))

    assert len(fake_graph.token_requests) == 1
    assert fake_graph.token_requests[0]["grant_type"] == "client_credentials"
    assert fake_graph.token_requests[0]["scope"] == "https://graph.microsoft.com/.default"


async def test_expired_token_is_refreshed_once(client, fake_graph):
    event = await create(client)
    fake_graph.expire_tokens()

    fetched = await client.get_event(ORGANIZER, event["id"])

    assert fetched["id"] == event["id"]
    assert len(fake_graph.token_requests) == 2
    assert [call.method for call in fake_graph.graph_calls()] == ["POST", "GET", "GET"]


async def test_second_401_raises_authentication_error(client, fake_graph):
    fake_graph.fail_next(401, count=2)

    with pytest.raises(GraphAuthenticationError, match="did not accept the helpdesk's sign-in"):
        await create(client)

    assert len(fake_graph.token_requests) == 2
    assert len(fake_graph.graph_calls()) == 2


async def test_403_names_permission_and_policy(client, fake_graph):
    fake_graph.fail_next(403)

    with pytest.raises(GraphPermissionError) as caught:
        await create(client)

    assert "Calendars.ReadWrite" in str(caught.value)
    assert "application access policy" in str(caught.value)
    assert caught.value.code == "ErrorAccessDenied"
    assert len(fake_graph.graph_calls()) == 1


async def test_404_raises_not_found(client):
    with pytest.raises(GraphNotFound, match="may have been deleted in Outlook"):
        await client.get_event(ORGANIZER, "AAMkAGI2TG93AAA=missing")


async def test_429_waits_retry_after_then_succeeds(client, fake_graph):
    fake_graph.fail_next(429, headers={"Retry-After": "3"})

    event = await create(client)

    assert event["id"]
    assert client.recorded_sleep.waits == [3.0]


async def test_429_beyond_wait_budget_raises_at_once(client, fake_graph):
    fake_graph.fail_next(429, headers={"Retry-After": "30"})

    with pytest.raises(GraphThrottled, match="wait 30 seconds") as caught:
        await create(client)

    assert caught.value.retry_after == 30.0
    assert client.recorded_sleep.waits == []
    assert fake_graph.events == {}


async def test_5xx_retries_with_backoff(client, fake_graph):
    fake_graph.fail_next(503)
    fake_graph.fail_next(504)

    event = await create(client)

    assert event["id"]
    assert client.recorded_sleep.waits == [0.5, 1.0]


async def test_5xx_on_every_try_raises_unavailable(client, fake_graph):
    fake_graph.fail_next(500, count=5)

    with pytest.raises(GraphUnavailable, match=r"HTTP 500"):
        await create(client)

    assert len(fake_graph.graph_calls()) == 3
    assert client.recorded_sleep.waits == [0.5, 1.0]


async def test_400_is_not_retried(client, fake_graph):
    fake_graph.fail_next(400)

    with pytest.raises(GraphRequestError, match="ErrorInvalidRequest"):
        await create(client)

    assert len(fake_graph.graph_calls()) == 1


async def test_cancel_answers_202_and_removes_event(client, fake_graph):
    event = await create(client)

    await client.cancel_event(ORGANIZER, event["id"], "The TST is ill.")

    assert event["id"] not in fake_graph.events
    assert fake_graph.events[f"deleted:{event['id']}"]["cancelComment"] == "The TST is ill."


async def test_set_attendees_keeps_answers_of_those_left(client, fake_graph):
    event = await create(client)
    fake_graph.event(event["id"])["attendees"][0]["status"]["response"] = "accepted"

    updated = await client.set_attendees(ORGANIZER, event["id"], ATTENDEES[:1])

    assert [item["emailAddress"]["address"] for item in updated["attendees"]] == ["alex@district.example"]
    assert updated["attendees"][0]["status"]["response"] == "accepted"


async def test_wrong_secret_raises_without_secret_in_message(fake_graph):
    graph = GraphClient(graph_settings(fake_graph, client_secret="not-the-secret"), sleep=RecordedSleep())
    try:
        with pytest.raises(GraphAuthenticationError, match="invalid_client") as caught:
            await graph.get_user(ORGANIZER)
    finally:
        await graph.close()

    assert "not-the-secret" not in str(caught.value)
    assert fake_graph.graph_calls() == []


async def test_refused_connection_raises_unavailable(fake_graph):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sleep = RecordedSleep()
    graph = GraphClient(graph_settings(fake_graph, base_url=f"https://127.0.0.1:{closed_port}/v1.0"), sleep=sleep)
    try:
        with pytest.raises(GraphUnavailable, match="ClientConnectorError"):
            await graph.get_user(ORGANIZER)
    finally:
        await graph.close()

    assert sleep.waits == [0.5, 1.0]


async def test_get_user_selects_address_fields(client, fake_graph):
    fake_graph.add_user("teacher-1", "Alex Wilber", "alex@district.example")

    user = await client.get_user("teacher-1")

    assert user == {"id": "teacher-1", "displayName": "Alex Wilber", "mail": "alex@district.example", "userPrincipalName": "er-1@district.example"}


def test_parse_graph_time_rejects_other_zones():
    with pytest.raises(Exception, match="instead of UTC"):
        parse_graph_time({"dateTime": "2027-01-14T15:30:00.0000000", "timeZone": "Pacific Standard Time"})
