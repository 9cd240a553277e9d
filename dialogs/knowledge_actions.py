"""Knowledge-base card actions and counters: votes, article drafts and the triager's review of them.

`knowledge_verbs` returns the card verbs for HelpdeskBot. `note_request_filed`
and `note_deflection` are called by the intake and triage dialogs after a
request changes. They never raise, because a counter must not stop a
teacher's action.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bots.card_actions import CardAction
from cards import article_draft_card, literal, suggestions_card
from dialogs.context import Services
from dialogs.outcome import Outcome
from dialogs.staff_view import staff_card
from domain.actor import Actor
from domain.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from domain.request import Level, Request, Status
from knowledge import ArticleDrafts, ArticleStats, record_gap

logger = logging.getLogger(__name__)

Handler = Callable[[Actor, CardAction], Awaitable[Outcome]]


def knowledge_verbs(services: Services) -> dict[str, Handler]:
    """Return the knowledge-base card verbs and their handlers, for HelpdeskBot's table of verbs."""
    actions = KnowledgeActions(services)
    return {
        "articleHelpful": actions.vote,
        "draftArticle": actions.draft,
        "publishArticle": actions.publish,
        "rejectArticle": actions.reject,
    }


class KnowledgeActions:
    """Handles votes on articles, drafts from resolved requests, and publishing or rejecting drafts."""

    def __init__(self, services: Services):
        self.services = services

    async def vote(self, actor: Actor, action: CardAction) -> Outcome:
        """Record a "Was this helpful?" vote; shows the vote on the suggestions card it came from, when it can."""
        article_id = action.data.get("article")
        article = self.services.article(article_id) if isinstance(article_id, str) else None
        if article is None:
            raise InvalidInput("That card names an article that is no longer in the knowledge base, so the vote was not recorded.")
        helpful = _vote_value(action.data.get("helpful"))

        result = await ArticleStats(self.services.store).record_vote(actor.id, article.id, helpful)
        logger.info(
            "vote on article %s by %s: %s%s",
            article.id, actor.id, "helpful" if result.helpful else "not helpful", "" if result.recorded else " (repeat, not counted)",
        )
        card = await self._suggestions_with_votes(actor, action.request)
        if card is not None:
            return Outcome(card=card)
        verdict = "helpful" if result.helpful else "not helpful"
        if result.recorded:
            return Outcome(messages=[f"Thanks! I recorded that {literal(article.title)} was {verdict}."])
        return Outcome(messages=[f"You already told me {literal(article.title)} was {verdict}. Only your first vote counts."])

    async def draft(self, actor: Actor, action: CardAction) -> Outcome:
        """Store a draft article from a resolved request; the triage channel gets a card to review it."""
        if action.request is None:
            raise InvalidInput("That card does not say which request the article comes from; open the request card again.")
        request = await self.services.helpdesk.get(action.request)
        draft, created = await ArticleDrafts(self.services.store).draft(actor, request, action.data)
        if not created:
            logger.info("draft %s from request %d by %s: already %s", draft.article.id, request.number, actor.id, draft.state.value)
        return Outcome(card=await staff_card(self.services, request, "tst"))

    async def publish(self, actor: Actor, action: CardAction) -> Outcome:
        """Publish a draft and rebuild the search index, so the article is suggested from the next question on."""
        article_id = _article_id(action.data)
        try:
            draft, changed = await ArticleDrafts(self.services.store).publish(actor, article_id)
        except (NotAllowed, InvalidTransition) as error:
            return await self._review_refusal(actor, action, article_id, error)

        notice = ""
        live = self.services.knowledge.get(article_id)
        if changed or live is None or not live.is_published:
            try:
                await self.services.reload_knowledge()
            except Exception:  # the article is stored as published, so a retry only has to rebuild the index
                logger.exception("article %s is published but the search index was not rebuilt", article_id)
                notice = "The article is published, but search could not be updated. Click Publish again to retry."
        return Outcome(card=article_draft_card(draft, self.services.settings.catalogue, self.services.settings.timezone, notice))

    async def reject(self, actor: Actor, action: CardAction) -> Outcome:
        """Reject a draft; its article is deleted and the request's owner may draft again."""
        article_id = _article_id(action.data)
        try:
            draft, _ = await ArticleDrafts(self.services.store).reject(actor, article_id)
        except (NotAllowed, InvalidTransition) as error:
            return await self._review_refusal(actor, action, article_id, error)
        return Outcome(card=article_draft_card(draft, self.services.settings.catalogue, self.services.settings.timezone))

    async def _review_refusal(self, actor: Actor, action: CardAction, article_id: str, error: Exception) -> Outcome:
        logger.info("%s of article %s by %s rejected: %s", action.verb, article_id, actor.id, type(error).__name__)
        return Outcome(card=await review_card(self.services, article_id, notice=str(error)), messages=[str(error)])

    async def _suggestions_with_votes(self, actor: Actor, number: int | None) -> dict[str, Any] | None:
        """Return the suggestions card with the teacher's votes, or None unless the request still shows suggestions."""
        if number is None:
            return None
        try:
            request = await self.services.helpdesk.get(number)
        except NotFound:
            return None
        if request.teacher_id != actor.id or request.state is not Status.SUGGESTED:
            return None
        articles = [article for article in map(self.services.article, request.suggested_articles) if article is not None]
        votes = await ArticleStats(self.services.store).votes_of(actor.id, [article.id for article in articles])
        return suggestions_card(request, articles, self.services.settings.catalogue, votes)


async def review_card(services: Services, article_id: str, notice: str = "") -> dict[str, Any] | None:
    """Return the triage-channel review card of a draft, or None when there is no such draft."""
    draft = await ArticleDrafts(services.store).get(article_id)
    if draft is None:
        return None
    return article_draft_card(draft, services.settings.catalogue, services.settings.timezone, notice)


async def note_request_filed(services: Services, request: Request) -> None:
    """Count the views of the suggestions shown for a new request, or record a gap when there were none.

    Both are recorded once per request, so a replayed submit counts nothing twice.
    """
    try:
        if request.suggested_articles and request.state is Status.SUGGESTED:
            await ArticleStats(services.store).record_views(request.number, request.suggested_articles)
        elif not request.suggested_articles:
            school = services.settings.schools.get(request.school)
            level = school.level if school else ""
            await record_gap(services.store, f"request-{request.number}", request.description, request.category, level, request.created_at)
    except Exception:  # a counter must never stop the teacher's request, so even a bug is only logged
        logger.exception("knowledge-base views or gap for request %d were not recorded", request.number)


async def note_deflection(services: Services, request: Request) -> None:
    """Count the article that resolved a request at level 0 (accepted suggestion or triager answer)."""
    if request.level != Level.SELF_HELP or not request.resolved_article:
        return
    try:
        await ArticleStats(services.store).record_deflection(request.number, request.resolved_article)
    except Exception:  # a counter must never stop the teacher's or triager's action, so even a bug is only logged
        logger.exception("deflection by article %s for request %d was not recorded", request.resolved_article, request.number)


def _article_id(data: dict[str, Any]) -> str:
    article_id = data.get("article")
    if not isinstance(article_id, str) or not article_id.strip():
        raise InvalidInput("That card does not say which article it is about; it may come from an old card.")
    return article_id.strip()


def _vote_value(value: Any) -> bool:
    """Read the vote from card data: JSON true or false, or the same words as text from older clients."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidInput(f"The vote must be true or false, not {value!r}.")
