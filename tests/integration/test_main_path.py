"""The main path over HTTP: the real app, the real adapter and a fake Bot Connector."""

from bot import BOT
from tests.conftest import card_text
from tests.factories import TEACHER, TEAM_ID, TRIAGER, TST, TST_2, TST_CHANNEL_ID, channel_conversation, execute, installed, personal

FORM = {
    "intakeId": "http-form",
    "category": "minecraft",
    "description": "Students get a sign-in error when they open Minecraft Education on the library laptops.",
    "scope": "small_group",
    "school": "Pinetree Secondary",
    "grade": "Grade 9",
    "subject": "ADST",
    "urgency": "urgent",
}


def card_of(call) -> dict:
    return call.body["attachments"][0]["content"]


async def test_main_path_over_http(bot_client, connector):
    teacher_chat = personal(TEACHER).id

    status, _ = await bot_client.post(installed(TEACHER))
    assert status in (200, 201)
    assert "Pedagogical Helpdesk" in card_text(card_of(connector.messages_to(teacher_chat)[0]))

    status, body = await bot_client.post(execute(TEACHER, "submitIntake", FORM))
    assert status == 200
    assert "Did this solve it?" in card_text(body["value"])
    number = body["value"]["actions"][0]["data"]["request"]

    await bot_client.post(execute(TEACHER, "declineSuggestion", {"request": number}))
    triage_threads = connector.threads_in(TEAM_ID)
    assert len(triage_threads) == 1
    assert f"Request #{number}" in card_text(triage_threads[0].body["activity"]["attachments"][0]["content"])

    triage_thread = channel_conversation(triage_threads[0].conversation_id)
    await bot_client.post(execute(TRIAGER, "route", {"request": number, "level": "1", "channel": "tst-remote"}, triage_thread))
    tst_threads = connector.threads_in(TST_CHANNEL_ID)
    assert len(tst_threads) == 1
    assert "Claim" in card_text(tst_threads[0].body["activity"]["attachments"][0]["content"])
    assert "on its way" in card_text(card_of(connector.messages_to(teacher_chat)[-1]))

    tst_thread = channel_conversation(tst_threads[0].conversation_id)
    status, body = await bot_client.post(execute(TST, "claim", {"request": number}, tst_thread))
    assert "Adele Vance" in card_text(body["value"])
    assert "Adele Vance claimed your request" in card_text(card_of(connector.messages_to(teacher_chat)[-1]))
    refreshed = [call for call in connector.updates() if call.activity_id == tst_threads[0].activity_id]
    assert refreshed and "Adele Vance" in card_text(card_of(refreshed[-1]))

    status, body = await bot_client.post(execute(TST_2, "claim", {"request": number}, tst_thread))
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert body["value"] == "Adele Vance has already claimed #1."

    await bot_client.post(execute(TST, "resolve", {"request": number, "resolution": "Reset the licences in the admin centre."}, tst_thread))
    resolved_message = card_of(connector.messages_to(teacher_chat)[-1])
    assert "is resolved" in card_text(resolved_message)
    assert "Reset the licences" in card_text(resolved_message)
    assert any(action.get("verb") == "rate" for action in resolved_message["actions"])

    status, body = await bot_client.post(execute(TEACHER, "rate", {"request": number, "rating": "5"}))
    assert "Thank you" in card_text(body["value"])


async def test_health_endpoints(bot_client):
    health = await bot_client.client.get("/healthz")
    ready = await bot_client.client.get("/readyz")

    assert health.status == 200
    assert ready.status == 200
    assert (await ready.json())["status"] == "ready"


async def test_button_without_card_answers_200(bot_client, connector):
    status, body = await bot_client.post(execute(TEACHER, "newRequest", {}))

    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert any("submitIntake" in str(call.body) for call in connector.messages_to(personal(TEACHER).id))


async def test_reply_does_not_wait_for_throttled_delivery(bot_client, connector):
    notifier = bot_client.client.app[BOT].notifier
    await bot_client.post(installed(TEACHER))
    status, body = await bot_client.post(execute(TEACHER, "submitIntake", {**FORM, "intakeId": "throttled"}))
    number = body["value"]["actions"][0]["data"]["request"]
    connector.fail_next(429, count=1, headers={"Retry-After": "1"})

    decline = execute(TEACHER, "declineSuggestion", {"request": number})
    decline.service_url = connector.url
    response = await bot_client.client.post("/api/messages", json=decline.serialize())
    still_delivering = not notifier._task.done()
    await notifier.idle()

    assert response.status == 200
    assert still_delivering
    assert len(connector.threads_in(TEAM_ID)) == 1
