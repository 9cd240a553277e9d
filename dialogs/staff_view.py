"""The request card that triagers and TSTs see in their channels."""

from datetime import datetime
from typing import Any

from cards import digest_card, request_card
from dialogs.context import Services
from domain.clock import load_zone
from domain.request import Request
from knowledge import ArticleDrafts

ANSWER_CHOICES_MAX = 25


DIGEST_ANSWER_CHOICES = 5


async def triage_digest(services: Services, now: datetime) -> dict[str, Any]:
    """Build the daily triage digest: requests waiting for triage, oldest first, with their actions."""
    settings = services.settings
    waiting = await services.ladder.awaiting_triage()
    shown = waiting[: settings.digest_max_items]
    cards = [await staff_card(services, request, "triage", answer_limit=DIGEST_ANSWER_CHOICES, compact=True) for request in shown]
    day = now.astimezone(load_zone(settings.timezone)).strftime("%A %B %-d")
    summary = f"{len(waiting)} requests wait for triage, oldest first." if waiting else "Nothing waits for triage. Well done!"
    return digest_card(f"Triage digest for {day}", summary, cards, more=len(waiting) - len(shown))


async def staff_card(
    services: Services, request: Request, place: str, notice: str = "", answer_limit: int = 25, compact: bool = False
) -> dict[str, Any]:
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
        default_channel=settings.channel_for(request.category),
        article_choices=answer_choices(services, request)[:answer_limit] if place == "triage" else (),
        tst_choices=await tst_choices(services) if place == "triage" else (),
        notice=notice,
        compact=compact,
        draft_form=await ArticleDrafts(services.store).form_for(request, services.knowledge, settings.help_url) if place == "tst" else None,
    )


async def tst_choices(services: Services) -> list[tuple[str, str]]:
    """Return (id, name) of every configured TST, named as Teams last showed them, sorted by name."""
    choices = []
    for tst_id in services.settings.roles.tsts:
        person = await services.people.get(tst_id)
        choices.append((tst_id, (person or {}).get("name") or f"TST {tst_id[-4:]}"))
    return sorted(choices, key=lambda choice: choice[1])


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
