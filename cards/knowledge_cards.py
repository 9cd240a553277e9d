"""Builds the knowledge-base cards: message-extension results and the triager's review of an article draft.

Article titles and summaries go into `TextRun`s, which Teams shows
literally, because drafts are written from what teachers and TSTs typed.
"""

import re
from typing import Any

from cards.builders import KIND_LABELS, literal, with_fallbacks
from cards.templates import render
from domain.catalogue import Catalogue
from domain.clock import local_text

DRAFT_STATE_LABELS = {"pending": "Waiting for review", "published": "Published", "rejected": "Rejected"}
PREVIEW_TITLE_CHARS = 80

_TAG = re.compile(r"<[^>]*>")
_MARKUP = re.compile(r"[\\`*_#\[\]()<>|~]")


def article_result_card(article: Any, catalogue: Catalogue) -> dict[str, Any]:
    """Build the card a teacher inserts into a conversation from the knowledge-base search."""
    kind_label = KIND_LABELS.get(article.kind, article.kind)
    data = {
        "title": article.title,
        "summary": article.summary,
        "url": article.url,
        "kindLabel": kind_label,
        "categoryName": catalogue.name_of(article.category),
        "openTitle": f"Open the {kind_label.lower()}",
    }
    return render("article_result", data)


def article_preview(article: Any, catalogue: Catalogue) -> dict[str, Any]:
    """Return the thumbnail-card content shown for an article in the search result list.

    Thumbnail cards render some markdown and HTML, so the title is reduced
    to plain words (tags and markup characters removed) before it is shown.
    """
    kind_label = KIND_LABELS.get(article.kind, article.kind)
    title = plain_text(article.title)
    if len(title) > PREVIEW_TITLE_CHARS:
        title = title[: PREVIEW_TITLE_CHARS - 1].rstrip() + "…"
    return {"title": title, "text": f"{kind_label} · {plain_text(catalogue.name_of(article.category))}"}


def article_draft_card(draft: Any, catalogue: Catalogue, timezone: str, notice: str = "") -> dict[str, Any]:
    """Build the triage-channel card for reviewing a drafted article (a knowledge.ArticleDraft)."""
    article = draft.article
    state = draft.state.value
    decision = ""
    if state != "pending":
        when = local_text(draft.decided_at, timezone) if draft.decided_at else ""
        decision = f"{DRAFT_STATE_LABELS[state]} by {draft.decided_by_name or 'a triager'}" + (f", {when}." if when else ".")
    facts = [
        ("Article id", article.id),
        ("Link", literal(article.url)),
        ("Drafted by", literal(draft.author_name)),
        ("Drafted", local_text(draft.drafted_at, timezone)),
    ]
    data = {
        "reference": f"#{draft.request}",
        "stateLabel": DRAFT_STATE_LABELS[state],
        "articleId": article.id,
        "title": article.title,
        "summary": article.summary,
        "url": article.url,
        "kindLabel": KIND_LABELS.get(article.kind, article.kind),
        "categoryName": catalogue.name_of(article.category),
        "facts": [{"title": title, "value": value} for title, value in facts],
        "decision": decision,
        "notice": notice,
        "canDecide": state == "pending",
    }
    return with_fallbacks(render("article_draft", data))


def plain_text(text: str) -> str:
    """Remove HTML tags and markdown characters, so text shows as plain words wherever markup is rendered."""
    without_tags = _TAG.sub(" ", text)
    return " ".join(_MARKUP.sub(" ", without_tags).split())
