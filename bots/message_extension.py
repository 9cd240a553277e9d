"""The search-based message extension: teachers find knowledge-base articles from the compose box.

Teams sends a `composeExtension/query` invoke with the text typed so far in
the parameter `searchQuery`, and shows the response as a list. Each result is
an Adaptive Card to insert into the conversation, with a thumbnail card as
its preview in the list. Teams expects the answer within 5 seconds; with
10,000 articles benchmarks/kb_search.py measured under 1 ms for a search and
about 0.2 s for the empty-query listing (see docs/knowledge-base.md).
"""

import logging
from typing import Any

from botbuilder.core import CardFactory
from botbuilder.schema import Attachment, ThumbnailCard
from botbuilder.schema.teams import (
    MessagingExtensionAttachment,
    MessagingExtensionQuery,
    MessagingExtensionResponse,
    MessagingExtensionResult,
)

from cards import article_preview, article_result_card
from dialogs.context import Services
from knowledge import Article, ArticleStats
from storage import StorageError

logger = logging.getLogger(__name__)

QUERY_PARAMETER = "searchQuery"
MAX_RESULTS = 10
MAX_QUERY_CHARACTERS = 500
# Teams pages through results with queryOptions.skip; deeper pages than this return nothing.
MAX_SKIP = 100
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


class KnowledgeSearchExtension:
    """Searches the live knowledge base for message-extension queries."""

    def __init__(self, services: Services):
        self.services = services

    async def query(self, query: MessagingExtensionQuery) -> MessagingExtensionResponse:
        """Return up to MAX_RESULTS published articles for the query text, or the most-used articles for an empty one."""
        text = query_text(query)
        skip = _skip(query)
        if skip > MAX_SKIP:
            articles: list[Article] = []
        elif text:
            results = self.services.knowledge.search(text, limit=skip + MAX_RESULTS)
            articles = [result.article for result in results][skip:]
        else:
            articles = (await self._most_used(skip + MAX_RESULTS))[skip:]
        logger.info("message-extension search of %d characters (skip %d): %d results", len(text), skip, len(articles))
        return MessagingExtensionResponse(
            compose_extension=MessagingExtensionResult(
                type="result",
                attachment_layout="list",
                attachments=[self._attachment(article) for article in articles],
            )
        )

    async def _most_used(self, limit: int) -> list[Article]:
        """Return the published articles with the most deflections, then the rest in knowledge-base order."""
        knowledge = self.services.knowledge
        ranked: list[Article] = []
        try:
            for counts in await ArticleStats(self.services.store).most_deflecting(limit):
                article = knowledge.get(counts.article)
                if article is not None and article.is_published:
                    ranked.append(article)
        except StorageError:
            logger.exception("article counters could not be read; listing articles in knowledge-base order")
        chosen = {article.id for article in ranked}
        for article in knowledge.articles:
            if len(ranked) >= limit:
                break
            if article.is_published and article.id not in chosen:
                ranked.append(article)
        return ranked[:limit]

    def _attachment(self, article: Article) -> MessagingExtensionAttachment:
        catalogue = self.services.settings.catalogue
        preview = article_preview(article, catalogue)
        thumbnail: Attachment = CardFactory.thumbnail_card(ThumbnailCard(title=preview["title"], text=preview["text"]))
        return MessagingExtensionAttachment(
            content_type=CARD_CONTENT_TYPE,
            content=article_result_card(article, catalogue),
            preview=thumbnail,
        )


def query_text(query: MessagingExtensionQuery) -> str:
    """Return the `searchQuery` text, stripped and cut to MAX_QUERY_CHARACTERS; empty on the first open."""
    for parameter in query.parameters or []:
        if parameter.name == QUERY_PARAMETER and isinstance(parameter.value, str):
            return parameter.value.strip()[:MAX_QUERY_CHARACTERS]
    return ""


def _skip(query: MessagingExtensionQuery) -> int:
    options: Any = query.query_options
    skip = getattr(options, "skip", None) if options is not None else None
    return skip if isinstance(skip, int) and not isinstance(skip, bool) and skip > 0 else 0
