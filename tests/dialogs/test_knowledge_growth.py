"""The knowledge base growing from use: counters, votes, gaps, drafts from resolutions and their review."""

import dataclasses
import json
import logging
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest

from bots.notifier import Notifier
from bots.scheduler import build_scheduler
from cards import article_draft_card, article_preview, article_result_card, suggestions_card, teacher_update_card
from dialogs.staff_view import staff_card
from domain.request import Request
from knowledge import Article, ArticleDraft, ArticleDrafts, ArticleStats, DraftState
from knowledge.gaps import GAPS_COLLECTION
from storage import Put, StorageError
from tests.conftest import REPO, card_text, find_action, find_input, invoke_body, texts, walk
from tests.factories import ADMIN, TEACHER, TEACHER_2, TEAM_ID, TRIAGER, TST, TST_2, TST_CHANNEL_ID, channel_conversation, execute

SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "adaptive-cards" / "1.5.0" / "adaptive-card.json"
TRIAGE = channel_conversation(f"{TEAM_ID};messageid=100")
TST_THREAD = channel_conversation(f"{TST_CHANNEL_ID};messageid=200")

QUIZ_FORM = {
    "category": "forms",
    "description": "How do I make a self-marking quiz in Forms for my grade 7 science class?",
    "scope": "one_to_one",
    "school": "Pinetree Secondary",
    "urgency": "this_week",
}
UNMATCHED_FORM = {
    "category": "general-o365",
    "description": "The document camera in room 12 flickers whenever the ceiling projector warms up.",
    "scope": "one_to_one",
    "school": "Eagle Mountain Middle",
    "urgency": "whenever",
}
DRAFT = {
    "articleTitle": "Stop the document camera flickering on a warm projector",
    "articleSummary": "Set the document camera to 50 Hz in its menu, then restart the projector input.",
    "articleUrl": "https://support.example.org/document-camera",
}
# Markdown and HTML that would become a link, bold text or a mention if Teams rendered it.
MARKUP = '**Bold** <a href="http://evil.example">site</a> [click](http://evil.example) <at>Someone</at>'


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft6Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # Teams adds the root property msteams, which the official schema does not list.
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = {"type": "object"}
    return jsonschema.Draft6Validator(schema)


def schema_errors(validator: jsonschema.Draft6Validator, card: dict[str, Any]) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message[:200]}" for error in validator.iter_errors(card)]


def nodes(card: Any) -> list[dict[str, Any]]:
    return list(walk(card))


def markdown_texts(card: dict[str, Any]) -> list[str]:
    """Return every text Teams renders as markdown: TextBlock text, FactSet titles and values, action titles."""
    found = []
    for node in nodes(card):
        if node.get("type") == "TextBlock":
            found.append(node.get("text", ""))
        if node.get("type") == "FactSet":
            found.extend(f"{fact.get('title', '')} {fact.get('value', '')}" for fact in node.get("facts", []))
    return found


def text_runs(card: dict[str, Any]) -> list[str]:
    return [node.get("text", "") for node in nodes(card) if node.get("type") == "TextRun"]


async def filed(driver, services, form=QUIZ_FORM, intake_id="kb-form", sender=TEACHER) -> int:
    await driver.send(execute(sender, "submitIntake", {**form, "intakeId": intake_id}))
    return (await services.helpdesk.requests_of(sender.aad_object_id))[0].number


async def resolved_by_tst(driver, services, form=UNMATCHED_FORM) -> int:
    """File a request, send it to a TST, claim and resolve it; return its number."""
    number = await filed(driver, services, form, intake_id="tst-form")
    if (await services.helpdesk.get(number)).status == "suggested":
        await driver.send(execute(TEACHER, "declineSuggestion", {"request": number}))
    await driver.send(execute(TRIAGER, "route", {"request": number, "level": "1", "channel": "tst-remote"}, TRIAGE))
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))
    resolution = "Switched the document camera to 50 Hz and restarted the projector input; the flicker stopped."
    await driver.send(execute(TST, "resolve", {"request": number, "resolution": resolution}, TST_THREAD))
    return number


async def drafted(driver, services) -> tuple[int, str]:
    number = await resolved_by_tst(driver, services)
    await driver.send(execute(TST, "draftArticle", {"request": number, **DRAFT}, TST_THREAD))
    return number, f"kb-draft-{number}"


# Views, deflections and gaps


async def test_suggestions_count_views_once(driver, services):
    number = await filed(driver, services)
    request = await services.helpdesk.get(number)

    await driver.send(execute(TEACHER, "submitIntake", {**QUIZ_FORM, "intakeId": "kb-form"}))
    counts = [await ArticleStats(services.store).get(article_id) for article_id in request.suggested_articles]

    assert request.suggested_articles
    assert [item.views for item in counts] == [1] * len(request.suggested_articles)


async def test_accepted_suggestion_counts_deflection(driver, services):
    number = await filed(driver, services)
    first = (await services.helpdesk.get(number)).suggested_articles[0]

    await driver.send(execute(TEACHER, "acceptSuggestion", {"request": number, "article": first}))
    await driver.send(execute(TEACHER, "acceptSuggestion", {"request": number, "article": first}))

    assert (await ArticleStats(services.store).get(first)).deflections == 1


async def test_triager_answer_counts_deflection(driver, services):
    number = await filed(driver, services, UNMATCHED_FORM)
    article = services.knowledge.articles[0]

    await driver.send(execute(TRIAGER, "answer", {"request": number, "article": article.id}, TRIAGE))

    assert (await ArticleStats(services.store).get(article.id)).deflections == 1


async def test_unmatched_description_records_gap(driver, services):
    number = await filed(driver, services, UNMATCHED_FORM)
    await driver.send(execute(TEACHER, "submitIntake", {**UNMATCHED_FORM, "intakeId": "kb-form"}))

    gaps = await services.store.find(GAPS_COLLECTION)

    assert (await services.helpdesk.get(number)).status == "awaiting_triage"
    assert len(gaps) == 1
    assert gaps[0]["text"].startswith("the document camera in room 12 flickers")
    assert gaps[0]["category"] == "general-o365"
    assert gaps[0]["school_level"] == "middle"
    assert TEACHER.aad_object_id not in json.dumps(gaps)


async def test_matched_description_records_no_gap(driver, services):
    await filed(driver, services)

    assert await services.store.find(GAPS_COLLECTION) == []


async def test_counter_failure_does_not_block_request(driver, services, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise StorageError("disk full")

    monkeypatch.setattr(ArticleStats, "record_views", broken)
    with caplog.at_level(logging.ERROR, logger="dialogs.knowledge_actions"):
        replies = await driver.send(execute(TEACHER, "submitIntake", {**QUIZ_FORM, "intakeId": "broken-stats"}))
    number = (await services.helpdesk.requests_of(TEACHER.aad_object_id))[0].number

    assert "Did this solve it?" in card_text(invoke_body(replies).value)
    assert f"request {number}" in caplog.text
    assert "disk full" in caplog.text


# Votes


async def test_vote_on_suggestions_card(driver, services, validator):
    number = await filed(driver, services)
    article_id = (await services.helpdesk.get(number)).suggested_articles[0]

    replies = await driver.send(execute(TEACHER, "articleHelpful", {"article": article_id, "helpful": True, "request": number}))
    card = invoke_body(replies).value
    counts = await ArticleStats(services.store).get(article_id)

    assert counts.helpful == 1
    assert "You found this helpful." in card_text(card)
    assert find_action(card, "acceptSuggestion") is not None
    assert schema_errors(validator, card) == []


async def test_replayed_vote_changes_nothing(driver, services):
    number = await filed(driver, services)
    article_id = (await services.helpdesk.get(number)).suggested_articles[0]
    vote = {"article": article_id, "helpful": False, "request": number}

    await driver.send(execute(TEACHER, "articleHelpful", vote))
    await driver.send(execute(TEACHER, "articleHelpful", vote))
    await driver.send(execute(TEACHER, "articleHelpful", {**vote, "helpful": True}))
    counts = await ArticleStats(services.store).get(article_id)

    assert counts.not_helpful == 1
    assert counts.helpful == 0


async def test_vote_without_suggestions_card_replies(driver, services):
    article = services.knowledge.articles[0]

    first = await driver.send(execute(TEACHER_2, "articleHelpful", {"article": article.id, "helpful": "true"}))
    again = await driver.send(execute(TEACHER_2, "articleHelpful", {"article": article.id, "helpful": "false"}))

    assert any("Thanks!" in text for text in texts(first))
    assert any("Only your first vote counts" in text for text in texts(again))
    assert (await ArticleStats(services.store).get(article.id)).helpful == 1


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"article": "kb-not-there", "helpful": True}, "no longer in the knowledge base"),
        ({"article": None, "helpful": True}, "no longer in the knowledge base"),
        ({"helpful": "maybe"}, "true or false"),
        ({"helpful": 1}, "true or false"),
    ],
)
async def test_invalid_vote_rejected(driver, services, data, problem):
    data = {"article": services.knowledge.articles[0].id, **data}

    replies = await driver.send(execute(TEACHER, "articleHelpful", data))

    assert any(problem in text for text in texts(replies))
    assert await ArticleStats(services.store).all() == []


async def test_resolved_message_offers_vote(services, driver, validator):
    number = await filed(driver, services, UNMATCHED_FORM)
    article = services.knowledge.articles[0]
    await driver.send(execute(TRIAGER, "answer", {"request": number, "article": article.id}, TRIAGE))
    request = await services.helpdesk.get(number)

    card = teacher_update_card("Request is resolved", "Here is what was done.", request, services.settings.catalogue, True, article)
    helpful = find_action(card, "articleHelpful")

    assert helpful["data"] == {"verb": "articleHelpful", "article": article.id, "helpful": True, "request": number}
    assert helpful["associatedInputs"] == "none"
    assert helpful["fallback"]["associatedInputs"] == "none"
    assert schema_errors(validator, card) == []


# Drafts from resolutions


async def test_resolved_card_offers_draft(driver, services, validator):
    number = await resolved_by_tst(driver, services)
    request = await services.helpdesk.get(number)

    card = await staff_card(services, request, "tst")

    assert find_action(card, "draftArticle")["data"]["request"] == number
    assert find_input(card, "articleTitle")["value"] == "The document camera in room 12 flickers whenever the ceiling projector warms up."
    assert find_input(card, "articleSummary")["value"] == request.resolution_note
    assert find_input(card, "articleUrl")["value"].startswith("https://")
    assert schema_errors(validator, card) == []


async def test_draft_link_uses_help_url(driver, services):
    number = await resolved_by_tst(driver, services)
    request = await services.helpdesk.get(number)

    form = await ArticleDrafts(services.store).form_for(request, services.knowledge, "https://help.example.org/")

    assert form.url == "https://help.example.org/"


async def test_owner_drafts_article(driver, services, validator):
    number, article_id = await drafted(driver, services)

    stored = await services.store.get("articles", article_id)
    draft = await ArticleDrafts(services.store).get(article_id)
    outbox = [entry for entry in await services.store.find("outbox", request=number) if entry["kind"] == "draft_post"]
    card = await _tst_card(services, number)

    assert stored["status"] == "draft"
    assert stored["category"] == "general-o365"
    assert stored["url"] == DRAFT["articleUrl"]
    assert draft.state is DraftState.PENDING
    assert draft.author_name == "Adele Vance"
    assert [entry["article"] for entry in outbox] == [article_id]
    assert find_action(card, "draftArticle") is None
    assert "waiting for a triager's review" in card_text(card)
    assert schema_errors(validator, card) == []
    assert all(result.article.id != article_id for result in services.knowledge.search(DRAFT["articleTitle"]))


async def test_replayed_draft_changes_nothing(driver, services):
    number, article_id = await drafted(driver, services)
    before = await services.store.get("article_drafts", article_id)

    await driver.send(execute(TST, "draftArticle", {"request": number, **DRAFT, "articleTitle": "Another title"}, TST_THREAD))

    assert await services.store.get("article_drafts", article_id) == before
    assert (await services.store.get("articles", article_id))["title"] == DRAFT["articleTitle"]
    assert len([entry for entry in await services.store.find("outbox", request=number) if entry["kind"] == "draft_post"]) == 1


async def test_other_tst_cannot_draft(driver, services):
    number = await resolved_by_tst(driver, services)

    replies = await driver.send(execute(TST_2, "draftArticle", {"request": number, **DRAFT}, TST_THREAD))

    assert any("Only the owner of" in text for text in texts(replies))
    assert invoke_body(replies).type == "application/vnd.microsoft.activity.message"
    assert await services.store.find("article_drafts") == []


async def test_draft_needs_resolved_request(driver, services):
    number = await filed(driver, services, UNMATCHED_FORM)
    await driver.send(execute(TRIAGER, "route", {"request": number, "level": "1", "channel": "tst-remote"}, TRIAGE))
    await driver.send(execute(TST, "claim", {"request": number}, TST_THREAD))

    replies = await driver.send(execute(TST, "draftArticle", {"request": number, **DRAFT}, TST_THREAD))

    assert any("once it is resolved" in text for text in texts(replies))
    assert await services.store.find("article_drafts") == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"articleUrl": "ftp://files.example.org"}, "The article link is invalid"),
        ({"articleUrl": ""}, "The article link is invalid"),
        ({"articleTitle": "   "}, "The article title is invalid"),
        ({"articleSummary": "x" * 2001}, "at most 2,000 characters"),
    ],
)
async def test_invalid_draft_rejected(driver, services, change, problem):
    number = await resolved_by_tst(driver, services)

    replies = await driver.send(execute(TST, "draftArticle", {"request": number, **DRAFT, **change}, TST_THREAD))

    assert any(problem in text for text in texts(replies))
    assert await services.store.find("article_drafts") == []


async def test_draft_posted_to_triage_channel(driver, services):
    number, article_id = await drafted(driver, services)
    messenger = RecordingMessenger()

    await Notifier(services, messenger).flush()
    posts = [(channel.key, card) for channel, card in messenger.posts if find_action(card, "publishArticle")]
    entry = next(entry for entry in await services.store.find("outbox", request=number) if entry["kind"] == "draft_post")

    assert len(posts) == 1
    assert posts[0][0] == "triage"
    assert find_action(posts[0][1], "publishArticle")["data"]["article"] == article_id
    assert entry["state"] == "sent"


# Review by the triager


async def test_publish_makes_article_searchable(driver, services, validator):
    number, article_id = await drafted(driver, services)

    replies = await driver.send(execute(TRIAGER, "publishArticle", {"article": article_id}, TRIAGE))
    card = invoke_body(replies).value
    found = [result.article.id for result in services.knowledge.search("document camera flickers on the projector")]
    suggested = [result.article.id for result in services.helpdesk.suggester.search("document camera flickering projector")]
    stored = await services.store.get("articles", article_id)

    assert stored["status"] == "published"
    assert article_id in found
    assert article_id in suggested
    assert "Published by Megan Bowen" in card_text(card)
    assert find_action(card, "publishArticle") is None
    assert schema_errors(validator, card) == []


async def test_published_article_suggested_to_teachers(driver, services):
    _, article_id = await drafted(driver, services)
    await driver.send(execute(TRIAGER, "publishArticle", {"article": article_id}, TRIAGE))

    number = await filed(driver, services, {**UNMATCHED_FORM, "description": "My document camera flickers when the projector is on."}, "after-publish", TEACHER_2)

    assert article_id in (await services.helpdesk.get(number)).suggested_articles


async def test_other_process_syncs_published_article(driver, services):
    # A second bot process on the same store: its own index, built before the publish.
    _, article_id = await drafted(driver, services)
    other_process = dataclasses.replace(services)
    before = other_process.knowledge

    await driver.send(execute(TRIAGER, "publishArticle", {"article": article_id}, TRIAGE))
    stale = [result.article.id for result in other_process.knowledge.search("document camera flickers on the projector")]
    synced = await other_process.sync_knowledge()
    found = [result.article.id for result in other_process.knowledge.search("document camera flickers on the projector")]
    synced_again = await other_process.sync_knowledge()

    assert article_id not in stale
    assert synced is True
    assert other_process.knowledge is not before
    assert article_id in found
    assert synced_again is False
    assert other_process.knowledge_revision == services.knowledge_revision


async def test_sync_without_publish_keeps_index(services):
    knowledge = services.knowledge

    synced = await services.sync_knowledge()

    assert synced is False
    assert services.knowledge is knowledge


async def test_replayed_publish_changes_nothing(driver, services):
    _, article_id = await drafted(driver, services)
    await driver.send(execute(TRIAGER, "publishArticle", {"article": article_id}, TRIAGE))
    before = await services.store.get("article_drafts", article_id)
    knowledge = services.knowledge

    replies = await driver.send(execute(TRIAGER, "publishArticle", {"article": article_id}, TRIAGE))

    assert await services.store.get("article_drafts", article_id) == before
    assert services.knowledge is knowledge
    assert "Published by Megan Bowen" in card_text(invoke_body(replies).value)


async def test_reject_deletes_draft(driver, services, validator):
    number, article_id = await drafted(driver, services)

    replies = await driver.send(execute(TRIAGER, "rejectArticle", {"article": article_id}, TRIAGE))
    again = await driver.send(execute(TRIAGER, "rejectArticle", {"article": article_id}, TRIAGE))
    draft = await ArticleDrafts(services.store).get(article_id)
    card = invoke_body(replies).value

    assert await services.store.get("articles", article_id) is None
    assert draft.state is DraftState.REJECTED
    assert draft.article.title == DRAFT["articleTitle"]
    assert "Rejected by Megan Bowen" in card_text(card)
    assert "Rejected by Megan Bowen" in card_text(invoke_body(again).value)
    assert schema_errors(validator, card) == []
    assert find_action(await _tst_card(services, number), "draftArticle") is not None


async def test_redraft_after_reject(driver, services):
    number, article_id = await drafted(driver, services)
    await driver.send(execute(TRIAGER, "rejectArticle", {"article": article_id}, TRIAGE))

    await driver.send(execute(TST, "draftArticle", {"request": number, **DRAFT, "articleTitle": "Fix a flickering document camera"}, TST_THREAD))
    draft = await ArticleDrafts(services.store).get(article_id)

    assert draft.state is DraftState.PENDING
    assert draft.article.title == "Fix a flickering document camera"
    assert len([entry for entry in await services.store.find("outbox", request=number) if entry["kind"] == "draft_post"]) == 2


async def test_publish_after_reject_refused(driver, services):
    _, article_id = await drafted(driver, services)
    await driver.send(execute(TRIAGER, "rejectArticle", {"article": article_id}, TRIAGE))

    replies = await driver.send(execute(TRIAGER, "publishArticle", {"article": article_id}, TRIAGE))

    assert any("already rejected by Megan Bowen" in text for text in texts(replies))
    assert await services.store.get("articles", article_id) is None


@pytest.mark.parametrize("verb", ["publishArticle", "rejectArticle"])
@pytest.mark.parametrize("sender", [TEACHER, TST], ids=["teacher", "tst"])
async def test_only_triager_reviews(driver, services, verb, sender):
    _, article_id = await drafted(driver, services)

    replies = await driver.send(execute(sender, verb, {"article": article_id}, TRIAGE))

    assert any("Only a triager can" in text for text in texts(replies))
    assert "Only a triager can" in card_text(invoke_body(replies).value)
    assert (await ArticleDrafts(services.store).get(article_id)).state is DraftState.PENDING
    assert all(result.article.id != article_id for result in services.knowledge.search(DRAFT["articleTitle"]))


async def test_admin_may_publish(driver, services):
    _, article_id = await drafted(driver, services)

    await driver.send(execute(ADMIN, "publishArticle", {"article": article_id}, TRIAGE))

    assert (await ArticleDrafts(services.store).get(article_id)).state is DraftState.PUBLISHED


async def test_unknown_draft_reported(driver):
    replies = await driver.send(execute(TRIAGER, "publishArticle", {"article": "kb-draft-999"}, TRIAGE))

    assert any("No article draft 'kb-draft-999'" in text for text in texts(replies))


# Cards: schema and markup


def marked_up_article() -> Article:
    return Article(
        id="kb-marked-up",
        title=f"Quiz help {MARKUP}",
        category="forms",
        kind="video",
        url="https://support.example.org/quiz",
        summary=f"Open Forms. {MARKUP}",
    )


def test_result_card_shows_markup_only_in_text_runs(services, validator):
    card = article_result_card(marked_up_article(), services.settings.catalogue)

    assert schema_errors(validator, card) == []
    assert any(MARKUP in text for text in text_runs(card))
    assert not any("evil.example" in text or "**" in text for text in markdown_texts(card))
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the video", "url": "https://support.example.org/quiz"}]


def test_preview_drops_markup(services):
    preview = article_preview(marked_up_article(), services.settings.catalogue)

    assert preview["title"].startswith("Quiz help Bold site click")
    assert not any(character in preview["title"] for character in "*<>[]()")


def test_review_card_shows_markup_only_in_text_runs(services, validator):
    draft = _review_draft(marked_up_article(), author_name=f"Ann {MARKUP}")

    for state, notice in [("pending", ""), ("pending", f"Only a triager can publish {MARKUP}"), ("published", ""), ("rejected", "")]:
        decided = dataclasses.replace(draft, state=DraftState(state), decided_by_name="Megan Bowen", decided_at="2026-12-04T20:00:00Z")
        card = article_draft_card(decided, services.settings.catalogue, services.settings.timezone, notice)

        assert schema_errors(validator, card) == [], state
        assert not any("evil.example" in text or "**Bold" in text for text in markdown_texts(card)), state
        assert any(MARKUP in text for text in text_runs(card)), state


def test_suggestions_card_states_match_schema(services, validator):
    articles = list(services.knowledge.articles[:3])
    request = _request(services)

    cards = [
        suggestions_card(request, articles, services.settings.catalogue),
        suggestions_card(request, articles, services.settings.catalogue, {articles[0].id: True, articles[1].id: False}),
    ]

    for card in cards:
        assert schema_errors(validator, card) == []
    assert len(_vote_buttons(cards[0])) == 6
    assert len(_vote_buttons(cards[1])) == 2
    assert "You found this not helpful." in card_text(cards[1])


# Helpers


def _vote_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in nodes(card) if node.get("type") == "Action.Execute" and node.get("verb") == "articleHelpful"]


class RecordingMessenger:
    """Stands in for TeamsMessenger and records what the notifier sends."""

    def __init__(self):
        self.posts: list[tuple[Any, dict[str, Any]]] = []

    async def post_to_channel(self, channel, card):
        self.posts.append((channel, card))
        number = len(self.posts)
        return {"channel": channel.key, "conversation_id": f"{channel.channel_id};messageid={number}", "activity_id": str(number), "service_url": "http://127.0.0.1:9/", "bot_id": "28:bot"}

    async def update_post(self, post, card):
        return None

    async def reply_in_thread(self, post, message):
        return None

    async def send_to_person(self, contact, message):
        return None


async def _tst_card(services, number: int) -> dict[str, Any]:
    return await staff_card(services, await services.helpdesk.get(number), "tst")


def _review_draft(article: Article, author_name: str) -> ArticleDraft:
    return ArticleDraft(
        article=dataclasses.replace(article, status="draft"),
        request=42,
        author_id="tst-1",
        author_name=author_name,
        state=DraftState.PENDING,
        drafted_at="2026-12-04T19:00:00Z",
    )


def _request(services) -> Request:
    return Request(
        number=42,
        teacher_id="teacher-1",
        teacher_name="Alex Wilber",
        category="forms",
        description="How do I share a quiz?",
        scope="one_to_one",
        school="Pinetree Secondary",
        status="suggested",
    )


async def test_scheduler_job_syncs_knowledge(driver, services, settings):
    _, article_id = await drafted(driver, services)
    other_process = dataclasses.replace(services)
    await driver.send(execute(TRIAGER, "publishArticle", {"article": article_id}, TRIAGE))
    # The sync job only reads `services` from the notifier.
    notifier = SimpleNamespace(services=other_process)
    job = build_scheduler(settings, reminders=None, notifier=notifier).get_job("knowledge-sync")

    await job.func()

    assert other_process.knowledge_revision == services.knowledge_revision
    assert other_process.knowledge.get(article_id).is_published


async def test_other_process_forgets_rejected_draft(driver, services):
    _, article_id = await drafted(driver, services)
    await services.reload_knowledge()
    other_process = dataclasses.replace(services)
    draft_in_memory = other_process.knowledge.get(article_id)

    await driver.send(execute(TRIAGER, "rejectArticle", {"article": article_id}, TRIAGE))
    synced = await other_process.sync_knowledge()

    assert draft_in_memory is not None
    assert synced is True
    assert other_process.knowledge.get(article_id) is None


async def test_sync_job_survives_failed_rebuild(driver, services, settings, monkeypatch, caplog):
    _, article_id = await drafted(driver, services)
    other_process = dataclasses.replace(services)
    await driver.send(execute(TRIAGER, "publishArticle", {"article": article_id}, TRIAGE))
    knowledge, revision = other_process.knowledge, other_process.knowledge_revision

    def broken(*_arguments):
        raise ValueError("index build failed")

    monkeypatch.setattr(type(knowledge), "rebuilt_with", broken)
    job = build_scheduler(settings, reminders=None, notifier=SimpleNamespace(services=other_process)).get_job("knowledge-sync")
    with caplog.at_level(logging.ERROR):
        await job.func()

    assert other_process.knowledge is knowledge
    assert other_process.knowledge_revision == revision
    assert "knowledge-base sync failed" in caplog.text


async def test_corrupt_revision_document_syncs_once(services):
    await services.store.apply([Put("meta", "knowledge-revision", {"revision": ["not", "text"]})])

    first = await services.sync_knowledge()
    second = await services.sync_knowledge()

    assert first is True
    assert second is False
