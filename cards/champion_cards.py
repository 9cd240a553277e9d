"""Cards for Technology Champion matches: the TST's ranked list, the champion's offer and the introduction.

Names and descriptions go into TextRuns, or through `literal()` in
FactSets, so markdown in them cannot add links.
"""

from collections.abc import Collection, Sequence
from typing import Any

from cards.builders import literal, with_fallbacks
from cards.templates import render
from champions.matching import Candidate
from champions.offer import Offer
from domain.catalogue import Catalogue
from domain.request import Request
from domain.schools import SchoolDirectory

DESCRIPTION_CHARS = 1500
UNREACHABLE = "Has not opened the Helpdesk app in Teams yet, so an offer cannot reach them until they do."


def champion_matches_card(
    request: Request,
    candidates: Sequence[Candidate],
    catalogue: Catalogue,
    schools: SchoolDirectory,
    reachable: Collection[str],
    status: str = "",
    notice: str = "",
    can_offer: bool = True,
) -> dict[str, Any]:
    """Build the TST thread's card: the ranked champions for a level-3 request, each with "Offer to …"."""
    if not can_offer:
        empty = ""
    elif candidates:
        empty = ""
    else:
        empty = "No champion fits and is free right now (all unavailable or at capacity). Change the level, or look again later."
    data = {
        "reference": request.reference,
        "number": request.number,
        "subtitle": f"{catalogue.name_of(request.category)} · {request.teacher_name}, {request.school}",
        "notice": notice,
        "status": status,
        "canOffer": can_offer and bool(candidates),
        "candidates": [
            {
                "id": candidate.champion.id,
                "name": candidate.champion.name,
                "line": f"{candidate.distance_label(schools)} · {candidate.fit_label} · {candidate.load_label}",
                "warning": "" if candidate.champion.id in reachable else UNREACHABLE,
                "offerTitle": f"Offer to {candidate.champion.name}",
            }
            for candidate in candidates
        ],
        "empty": empty,
    }
    return with_fallbacks(render("champion_matches", data))


def champion_offer_card(offer: Offer, request: Request, catalogue: Catalogue, deadline: str, status: str = "") -> dict[str, Any]:
    """Build the champion's Accept/Decline card; with a status it shows the response instead of the buttons."""
    facts = [
        ("Teacher", literal(offer.teacher_name)),
        ("School", literal(offer.school)),
        ("Category", catalogue.name_of(offer.category)),
    ]
    if request.grade:
        facts.append(("Grade", literal(request.grade)))
    if request.subject:
        facts.append(("Subject", literal(request.subject)))
    facts.append(("Answer by", deadline))
    data = {
        "title": f"Can you help a colleague? Request #{offer.request}",
        "message": "The helpdesk thinks you are a good match. If you accept, I will introduce you to each other in Teams.",
        "facts": [{"title": title, "value": value} for title, value in facts],
        "description": _shorten(request.description),
        "status": status,
        "canAnswer": not status,
        "offer": offer.id,
    }
    return with_fallbacks(render("champion_offer", data))


def champion_introduction_card(
    offer: Offer, request: Request, catalogue: Catalogue, for_champion: bool, chat_url: str, status: str = ""
) -> dict[str, Any]:
    """Build the introduction: to the teacher (meet your champion) or to the champion (meet the teacher, then mark done)."""
    category = catalogue.name_of(offer.category)
    if for_champion:
        title = f"Meet {offer.teacher_name}: request #{offer.request}"
        message = (
            f"Thank you for helping with {category}. Start a chat with {offer.teacher_name} to find a time. "
            "When you have helped, mark it as done here."
        )
        if not chat_url:
            message += f" {offer.teacher_name} has a chat link to you too, or find them by name in Teams."
        chat_title = f"Chat with {offer.teacher_name}"
        facts = [("Teacher", literal(offer.teacher_name)), ("School", literal(offer.school)), ("Category", category)]
    else:
        title = f"Meet your Technology Champion for request #{offer.request}"
        message = (
            f"{offer.champion_name} is a teacher who helps colleagues with {category} and offered to help you. "
            "Start a chat to find a time that suits you both."
        )
        chat_title = f"Chat with {offer.champion_name}"
        facts = [("Champion", literal(offer.champion_name)), ("Category", category)]
    data = {
        "title": title,
        "message": message,
        "facts": [{"title": name, "value": value} for name, value in facts],
        "description": _shorten(request.description) if for_champion else "",
        "status": status,
        "chatUrl": chat_url,
        "chatTitle": chat_title,
        "canFinish": for_champion and not status,
        "offer": offer.id,
    }
    return with_fallbacks(render("champion_introduction", data))


def _shorten(text: str) -> str:
    return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1].rstrip() + "…"
