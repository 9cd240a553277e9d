"""The services every dialog uses, built once by bot.py."""

from dataclasses import dataclass

from config.settings import Settings
from domain.people import PeopleDirectory
from escalation.helpdesk import Helpdesk
from escalation.roles import RoleDirectory
from knowledge import KnowledgeBase
from storage import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    helpdesk: Helpdesk
    people: PeopleDirectory
    roles: RoleDirectory
    knowledge: KnowledgeBase

    def article(self, article_id: str | None):
        """Return the knowledge-base article with this id, or None."""
        return self.knowledge.get(article_id) if article_id else None
