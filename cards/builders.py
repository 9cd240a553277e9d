"""Builds the data for each card template and returns finished Adaptive Cards.

Every `Action.Execute` gets an `Action.Submit` fallback carrying the same
data, for clients without Universal Actions. Text typed by people goes into
`TextRun`s, which Teams shows literally, or through `literal()` where a
template needs a `TextBlock` or `FactSet`, so markdown cannot inject links.
"""

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from botbuilder.core import CardFactory
from botbuilder.schema import Attachment

from cards.templates import render
from domain.catalogue import Catalogue
from domain.clock import age_text, local_text
from domain.request import Event, Level, Request, Scope, Status, Urgency
from domain.schools import SchoolDirectory

KIND_LABELS = {"faq": "Answer", "video": "Video", "course": "Course"}
EVENT_LABELS = {
    "created": "filed the request",
    "self_help_accepted": "solved it with a suggested answer",
    "self_help_declined": "asked for a person's help",
    "routed": "routed it",
    "answered": "answered it with an article",
    "claimed": "claimed it",
    "unclaimed": "unclaimed it",
    "note": "added a note",
    "resolved": "resolved it",
    "rated": "rated the help",
}
HISTORY_SHOWN = 5
SHORT_DESCRIPTION_CHARS = 140
COMPACT_DESCRIPTION_CHARS = 280
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def literal(text: str) -> str:
    """Escape markdown so a TextBlock or FactSet shows the text as typed."""
    return _MARKDOWN.sub(r"\\\1", text)


def attachment(card: dict[str, Any]) -> Attachment:
    """Wrap a card for an activity."""
    return CardFactory.adaptive_card(card)


def with_fallbacks(card: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the card in which each Action.Execute has an Action.Submit fallback with the same title and data."""

    def visit(node: Any) -> Any:
        # Copies every dict and list on the way, as copy.deepcopy would, in one pass.
        if isinstance(node, dict):
            copied = {key: visit(value) for key, value in node.items()}
            if copied.get("type") == "Action.Execute" and "fallback" not in copied:
                data = dict(copied.get("data") or {})
                data.setdefault("verb", copied.get("verb"))
                copied["fallback"] = {"type": "Action.Submit", "title": copied.get("title", ""), "data": data}
                if "style" in copied:
                    copied["fallback"]["style"] = copied["style"]
                if "associatedInputs" in copied:
                    copied["fallback"]["associatedInputs"] = copied["associatedInputs"]
                if "tooltip" in copied:
                    copied["fallback"]["tooltip"] = copied["tooltip"]
            return copied
        if isinstance(node, list):
            return [visit(item) for item in node]
        return node

    return visit(card)


def welcome_card(first_name: str, district: str) -> dict[str, Any]:
    return with_fallbacks(render("welcome", {"firstName": first_name, "district": district}))


def intake_card(
    catalogue: Catalogue,
    schools: SchoolDirectory,
    intake_id: str,
    description_max_chars: int,
    prefill: dict[str, Any] | None = None,
    problem: str = "",
) -> dict[str, Any]:
    prefill = prefill or {}
    data = {
        "intakeId": intake_id,
        "problem": problem,
        "categories": [{"id": category.id, "name": category.name} for category in catalogue.categories],
        "scopes": [{"value": scope.value, "title": scope.label} for scope in Scope],
        "urgencies": [{"value": urgency.value, "title": urgency.label} for urgency in Urgency],
        "schools": [{"name": school.name} for school in sorted(schools.schools, key=lambda school: school.name)],
        "descriptionMaxChars": description_max_chars,
        "category": _text(prefill.get("category")),
        "description": _text(prefill.get("description"))[:description_max_chars],
        "scope": _text(prefill.get("scope")) or Scope.ONE_TO_ONE.value,
        "school": _text(prefill.get("school")),
        "grade": _text(prefill.get("grade"))[:120],
        "subject": _text(prefill.get("subject"))[:120],
        "urgency": _text(prefill.get("urgency")) or Urgency.WHENEVER.value,
        "preferredDates": _text(prefill.get("preferredDates"))[:120],
    }
    return with_fallbacks(render("intake_form", data))


def suggestions_card(
    request: Request, articles: Sequence[Any], catalogue: Catalogue, votes: Mapping[str, bool] | None = None
) -> dict[str, Any]:
    """Build the suggested answers for a request; `votes` contains the teacher's votes by article id (True for helpful)."""
    votes = votes or {}
    data = {
        "reference": request.reference,
        "number": request.number,
        "articles": [{**_article_data(article, catalogue), **_vote_data(votes.get(article.id))} for article in articles],
    }
    return with_fallbacks(render("suggestions", data))


def request_card(
    request: Request,
    events: Sequence[Event],
    catalogue: Catalogue,
    schools: SchoolDirectory,
    timezone: str,
    place: str,
    channels: Sequence[tuple[str, str]] = (),
    default_channel: str = "",
    article_choices: Iterable[Any] = (),
    tst_choices: Iterable[tuple[str, str]] = (),
    notice: str = "",
    draft_form: Any = None,
    compact: bool = False,
) -> dict[str, Any]:
    """Build the card that triagers (place 'triage') and TSTs (place 'tst') see for a request.

    `draft_form` (a knowledge.DraftForm) offers the owner of a resolved
    request a pre-filled "Draft an article" form, or notes the existing draft.
    """
    state = request.state
    school = schools.get(request.school)
    facts = [
        ("Scope", Scope(request.scope).label if request.scope in Scope._value2member_map_ else request.scope),
        ("Grade", literal(request.grade) if request.grade else "Not given"),
        ("Subject", literal(request.subject) if request.subject else "Not given"),
        ("Urgency", Urgency(request.urgency).label if request.urgency in Urgency._value2member_map_ else request.urgency),
        ("Preferred dates", literal(request.preferred_dates) if request.preferred_dates else "Any"),
        ("Level", Level(request.level).label if request.level is not None else "Not set"),
        ("Owner", literal(request.owner_name) if request.owner_name else "Unclaimed"),
        ("Filed", local_text(request.created_at, timezone)),
    ]
    if request.rating is not None:
        facts.append(("Rating", f"{request.rating} out of 5"))
    if compact:
        # The digest shows many requests in one message, so each keeps only what triage needs.
        facts = [fact for fact in facts if fact[0] in ("Urgency", "Filed")]
        events = []
    data = {
        "reference": request.reference,
        "number": request.number,
        "statusLabel": state.label,
        "categoryName": catalogue.name_of(request.category),
        "teacherName": request.teacher_name,
        "schoolText": f"{request.school} ({school.level})" if school else request.school,
        "description": _shorten(request.description, COMPACT_DESCRIPTION_CHARS) if compact else request.description,
        "facts": [{"title": title, "value": value} for title, value in facts],
        "notice": notice,
        "resolutionNote": request.resolution_note or "",
        "history": [_event_line(event, timezone) for event in list(events)[-HISTORY_SHOWN:]],
        "canRoute": place == "triage" and state.is_open and state not in (Status.NEW, Status.SUGGESTED),
        "canManage": not compact,
        "canClaim": place == "tst" and state in (Status.ROUTED, Status.ESCALATED),
        "canWork": place == "tst" and state in (Status.CLAIMED, Status.IN_PROGRESS, Status.WAITING_ON_TEACHER),
        "levels": [{"value": str(level.value), "title": level.label} for level in Level if level is not Level.SELF_HELP],
        "channels": [{"key": key, "name": name} for key, name in channels],
        "defaultChannel": request.channel or default_channel,
        "articleChoices": [{"id": article.id, "title": article.title} for article in article_choices],
        "tstChoices": [{"id": tst_id, "name": name} for tst_id, name in tst_choices],
        "canDraft": bool(draft_form and draft_form.can_draft),
        "draftTitle": draft_form.title if draft_form else "",
        "draftSummary": draft_form.summary if draft_form else "",
        "draftUrl": draft_form.url if draft_form else "",
        "draftNote": draft_form.note if draft_form else "",
    }
    return with_fallbacks(render("request_card", data))


def teacher_update_card(
    title: str,
    message: str,
    request: Request,
    catalogue: Catalogue,
    ask_rating: bool = False,
    article: Any = None,
) -> dict[str, Any]:
    facts = [
        ("Request", request.reference),
        ("Category", catalogue.name_of(request.category)),
        ("Status", request.state.label),
    ]
    if request.level is not None:
        facts.append(("Level", Level(request.level).label))
    if request.owner_name:
        facts.append(("Owner", literal(request.owner_name)))
    data = {
        "title": title,
        "message": message,
        "number": request.number,
        "facts": [{"title": name, "value": value} for name, value in facts],
        "resolutionNote": request.resolution_note or "",
        "askRating": ask_rating,
        "article": {"id": article.id, "title": article.title, "summary": article.summary, "url": article.url} if article else None,
    }
    return with_fallbacks(render("teacher_update", data))


def my_requests_card(requests: Sequence[Request], catalogue: Catalogue, timezone: str) -> dict[str, Any]:
    open_count = sum(1 for request in requests if request.state.is_open)
    shown = list(requests)[:10]
    summary = f"{open_count} open, {len(requests) - open_count} resolved or closed."
    if len(requests) > len(shown):
        summary += f" Showing the {len(shown)} most recent."
    data = {
        "summary": summary,
        "requests": [
            {
                "reference": request.reference,
                "categoryName": catalogue.name_of(request.category),
                "shortDescription": _shorten(request.description),
                "statusLabel": request.state.label,
                "levelLabel": Level(request.level).label if request.level is not None else "Not set yet",
                "ownerName": literal(request.owner_name) if request.owner_name else "Nobody yet",
                "filed": local_text(request.created_at, timezone),
            }
            for request in shown
        ],
    }
    return with_fallbacks(render("my_requests", data))


def conversation_card(
    title: str,
    message: str,
    number: int,
    subtitle: str = "",
    can_reply: bool = False,
    can_reopen: bool = False,
) -> dict[str, Any]:
    """Build a message about a request: relayed text, with optional Reply and Reopen actions."""
    data = {"title": title, "subtitle": subtitle, "message": message, "number": number, "canReply": can_reply, "canReopen": can_reopen}
    return with_fallbacks(render("conversation", data))


def queue_card(title: str, requests: Sequence[Request], catalogue: Catalogue, now: Any, limit: int = 30) -> dict[str, Any]:
    """Build a queue view: open requests grouped by level, with counts by category and each one's age and owner."""
    shown = list(requests)[:limit]
    groups = []
    for level in sorted({request.level or 0 for request in shown}):
        items = [
            {
                "reference": request.reference,
                "line": " · ".join(
                    [
                        catalogue.name_of(request.category),
                        request.school,
                        age_text(request.created_at, now),
                        request.owner_name or "unclaimed",
                        request.state.label,
                    ]
                ),
            }
            for request in shown
            if (request.level or 0) == level
        ]
        groups.append({"title": Level(level).label, "items": items})
    counts: dict[str, int] = {}
    for request in requests:
        name = catalogue.name_of(request.category)
        counts[name] = counts.get(name, 0) + 1
    unclaimed = sum(1 for request in requests if not request.owner_id)
    data = {
        "title": title,
        "summary": f"{len(requests)} open, {unclaimed} unclaimed, oldest first." if requests else "Nothing open. Well done!",
        "byCategory": [{"title": name, "value": str(count)} for name, count in sorted(counts.items(), key=lambda item: -item[1])],
        "groups": groups,
        "more": f"And {len(requests) - len(shown)} more not shown." if len(requests) > len(shown) else "",
    }
    return render("queue", data)


def digest_card(title: str, summary: str, request_cards: Sequence[dict[str, Any]], more: int = 0) -> dict[str, Any]:
    """Build the triage digest: one section per request card, each keeping its actions, marked as from the digest."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Large", "wrap": True},
        {"type": "TextBlock", "text": summary, "wrap": True, "isSubtle": True},
    ]
    for card in request_cards:
        section = copy.deepcopy(card["body"])
        _mark_source(section, "digest")
        body.append({"type": "Container", "separator": True, "spacing": "Large", "items": section})
    if more:
        body.append({"type": "TextBlock", "text": f"And {more} more waiting. Type queue in a TST channel to see open work.", "wrap": True, "isSubtle": True})
    return {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.5", "body": body}


def _mark_source(node: Any, source: str) -> None:
    """Add `source` to the data of every action, so the bot knows a click came from the digest."""
    if isinstance(node, dict):
        if node.get("type") in ("Action.Execute", "Action.Submit") and isinstance(node.get("data"), dict):
            node["data"]["source"] = source
        for value in node.values():
            _mark_source(value, source)
    elif isinstance(node, list):
        for item in node:
            _mark_source(item, source)


def notice_card(title: str, message: str, facts: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    return render("notice", {"title": title, "message": message, "facts": [{"title": t, "value": v} for t, v in facts]})


def _article_data(article: Any, catalogue: Catalogue) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "shortTitle": _shorten(article.title, 40),
        "summary": article.summary,
        "url": article.url,
        "kindLabel": KIND_LABELS.get(article.kind, article.kind),
        "categoryName": catalogue.name_of(article.category),
    }


def _vote_data(helpful: bool | None) -> dict[str, Any]:
    if helpful is None:
        return {"canVote": True, "voteNote": ""}
    return {"canVote": False, "voteNote": "You found this helpful." if helpful else "You found this not helpful."}


def _event_line(event: Event, timezone: str) -> dict[str, str]:
    what = EVENT_LABELS.get(event.type, event.type)
    if event.type == "routed" and "level" in event.after:
        what += f" at level {event.after['level']}"
    if event.note:
        what += f': "{_shorten(event.note, 80)}"'
    return {"when": local_text(event.at, timezone), "who": event.actor_name, "what": what}


def _shorten(text: str, limit: int = SHORT_DESCRIPTION_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
