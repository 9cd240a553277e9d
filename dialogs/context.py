"""The services every dialog uses, built once by bot.py."""

import asyncio
import logging
from dataclasses import dataclass, field

from champions import ChampionMatcher
from config.settings import Settings
from domain.people import PeopleDirectory
from escalation.helpdesk import Helpdesk
from escalation.ladder import Ladder
from escalation.roles import RoleDirectory
from knowledge import Article, ArticleError, KnowledgeBase
from knowledge.drafts import knowledge_revision
from sessions import SessionPlanner
from storage import VERSION_FIELD, Store
from visits import VisitPlanner

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    store: Store
    helpdesk: Helpdesk
    people: PeopleDirectory
    roles: RoleDirectory
    knowledge: KnowledgeBase
    ladder: Ladder
    # Small-group sessions; None only in set-ups that build Services without them.
    sessions: SessionPlanner | None = None
    # Technology Champion matches (level 3) and site visits (levels 4 and 5); None in set-ups that build Services without them.
    champions: ChampionMatcher | None = None
    visits: VisitPlanner | None = None
    # The stored knowledge revision that `knowledge` was built from; None before the first publish or reject.
    knowledge_revision: str | None = None
    _knowledge_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False, compare=False)

    def article(self, article_id: str | None):
        """Return the knowledge-base article with this id, or None."""
        return self.knowledge.get(article_id) if article_id else None

    async def reload_knowledge(self) -> KnowledgeBase:
        """Rebuild the search index from the stored articles and swap it in for every later reader.

        Each reader uses a complete index, the old one or the new one,
        because each swap is one assignment. The lock makes two reloads run one
        after the other, so the index swapped in last has every article that
        was stored before it started. A stored article that fails validation
        is logged and left out. Other bot processes sharing the store pick
        the change up through `sync_knowledge`.
        """
        async with self._knowledge_lock:
            # The revision is read before the articles, so a publish that lands during the reload is picked up by the next sync.
            revision = await knowledge_revision(self.store)
            articles = []
            for doc in await self.store.find("articles"):
                try:
                    articles.append(Article.from_dict({key: value for key, value in doc.items() if key != VERSION_FIELD}))
                except ArticleError as error:
                    logger.error("stored article %s is invalid and was left out of the index: %s", doc.get("id"), error)
            # Indexing 10,000 articles takes seconds, so it runs in a thread and the event loop keeps serving.
            # The store contains every article, the starter ones included (bot start-up adds them), so the index is
            # rebuilt from it alone and a rejected draft leaves memory too.
            knowledge = await asyncio.to_thread(self.knowledge.rebuilt_with, articles)
            self.knowledge = knowledge
            self.helpdesk.suggester = knowledge
            self.knowledge_revision = revision
        logger.info("knowledge base reloaded: %d articles, revision %s", len(knowledge.articles), revision)
        return knowledge

    async def sync_knowledge(self) -> bool:
        """Reload the search index when another process published or rejected an article since this one last loaded.

        Returns whether it reloaded.
        """
        if await knowledge_revision(self.store) == self.knowledge_revision:
            return False
        await self.reload_knowledge()
        return True
