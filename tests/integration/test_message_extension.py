"""The knowledge-base message extension over HTTP: `composeExtension/query` invokes posted to the real app."""

import json
from typing import Any

import jsonschema
import pytest
from botbuilder.schema import Activity

from bot import SERVICES
from knowledge import ArticleStats
from tests.conftest import REPO
from tests.factories import BOT, TEACHER, personal

SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "adaptive-cards" / "1.5.0" / "adaptive-card.json"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
THUMBNAIL_CARD = "application/vnd.microsoft.card.thumbnail"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft6Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = {"type": "object"}
    return jsonschema.Draft6Validator(schema)


def search_query(text: str | None = None, skip: int = 0, initial_run: bool = False) -> Activity:
    """A message-extension search as Teams sends it when a teacher types in the compose box."""
    parameters: list[dict[str, Any]] = []
    if text is not None:
        parameters.append({"name": "searchQuery", "value": text})
    if initial_run:
        parameters.append({"name": "initialRun", "value": "true"})
    return Activity(
        type="invoke",
        name="composeExtension/query",
        channel_id="msteams",
        from_property=TEACHER,
        recipient=BOT,
        conversation=personal(TEACHER),
        channel_data={"tenant": {"id": personal(TEACHER).tenant_id}, "source": {"name": "compose"}},
        value={"commandId": "searchArticles", "parameters": parameters, "queryOptions": {"skip": skip, "count": 25}},
    )


def open_urls(body: dict[str, Any]) -> list[str]:
    return [attachment["content"]["actions"][0]["url"] for attachment in body["composeExtension"]["attachments"]]


async def test_search_returns_article_list(bot_client, validator):
    status, body = await bot_client.post(search_query("how do kids see the quiz results"))
    services = bot_client.client.server.app[SERVICES]
    result = body["composeExtension"]

    assert status == 200
    assert result["type"] == "result"
    assert result["attachmentLayout"] == "list"
    assert 1 <= len(result["attachments"]) <= 10
    assert open_urls(body)[0] == services.knowledge.get("kb-forms-quiz-results").url
    for attachment in result["attachments"]:
        card = attachment["content"]
        assert attachment["contentType"] == ADAPTIVE_CARD
        assert [error.message for error in validator.iter_errors(card)] == []
        assert card["body"][0]["inlines"][0]["type"] == "TextRun"
        assert card["actions"][0]["type"] == "Action.OpenUrl"
        assert attachment["preview"]["contentType"] == THUMBNAIL_CARD
        assert attachment["preview"]["content"]["title"]


async def test_empty_search_lists_most_deflecting_first(bot_client):
    services = bot_client.client.server.app[SERVICES]
    favourite = services.knowledge.articles[20]
    stats = ArticleStats(services.store)
    for number in (1, 2, 3):
        await stats.record_deflection(number, favourite.id)

    status, body = await bot_client.post(search_query(""))

    assert status == 200
    assert len(body["composeExtension"]["attachments"]) == 10
    assert open_urls(body)[0] == favourite.url


async def test_first_open_lists_articles(bot_client):
    status, body = await bot_client.post(search_query(initial_run=True))

    assert status == 200
    assert body["composeExtension"]["type"] == "result"
    assert len(body["composeExtension"]["attachments"]) == 10


async def test_empty_search_pages(bot_client):
    _, first = await bot_client.post(search_query(""))
    _, second = await bot_client.post(search_query("", skip=10))
    _, beyond = await bot_client.post(search_query("", skip=5000))

    first_titles = [attachment["preview"]["content"]["title"] for attachment in first["composeExtension"]["attachments"]]
    second_titles = [attachment["preview"]["content"]["title"] for attachment in second["composeExtension"]["attachments"]]
    assert len(second_titles) == 10
    assert not set(first_titles) & set(second_titles)
    assert beyond["composeExtension"]["attachments"] == []


async def test_huge_search_is_cut(bot_client):
    status, body = await bot_client.post(search_query("breakout rooms " * 20_000))

    assert status == 200
    assert body["composeExtension"]["type"] == "result"
    assert 1 <= len(body["composeExtension"]["attachments"]) <= 10


async def test_unmatched_search_returns_no_items(bot_client):
    status, body = await bot_client.post(search_query("asdf qwerty"))

    assert status == 200
    assert body["composeExtension"] == {"attachmentLayout": "list", "type": "result", "attachments": []}
