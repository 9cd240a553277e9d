"""The request card that triagers and TSTs see in their channels."""

from typing import Any

from cards import request_card
from dialogs.context import Services
from domain.request import Request

ANSWER_CHOICES_MAX = 25


async def staff_card(services: Services, request: Request, place: str, notice: str = "") -> dict[str, Any]:
    """Render the request card for the triage channel (place 'triage') or a TST channel (place 'tst')."""
    settings = services.settings
    events = await services.helpdesk.history(request.number)
    return request_card(
        request,
        events,
        settings.catalogue,
        settings.schools,
        settings.timezone,
        place,
        channels=[(channel.key, channel.name) for channel in settings.tst_channels],
        default_channel=settings.default_tst_channel,
        article_choices=answer_choices(services, request) if place == "triage" else (),
        notice=notice,
    )


def answer_choices(services: Services, request: Request) -> list[Any]:
    """Return the articles a triager is most likely to answer with: suggestions, matches, then the category's."""
    knowledge = services.knowledge
    ids = list(request.suggested_articles)
    ids += [result.article.id for result in knowledge.search(request.description, limit=10)]
    ids += [article.id for article in knowledge.articles if article.category == request.category and article.is_published]
    chosen: list[Any] = []
    for article_id in dict.fromkeys(ids):
        article = knowledge.get(article_id)
        if article is not None:
            chosen.append(article)
        if len(chosen) == ANSWER_CHOICES_MAX:
            break
    return chosen
