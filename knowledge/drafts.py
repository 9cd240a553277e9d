"""Article drafts written from resolved requests, and the triager's review of them.

The owner of a resolved request drafts an article from it. The draft is an
`Article` with status `draft` in the `articles` collection, under the id
`kb-draft-<request number>`, so one request gives at most one article. Its
review record in `article_drafts` (same key) records who drafted it, the state
(pending, published or rejected) and who decided. A triager publishes the
draft, which sets the article's status to `published`, or rejects it, which
deletes the article and lets the owner draft again.

Every change writes the article, the record and any outbox entry in one batch
conditional on the versions read, so two clicks at once have one winner, and
a replayed click finds the state it asked for and changes nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.actor import Actor, Role
from domain.clock import to_iso, utc_now
from domain.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from domain.request import Request, Status
from knowledge.article import MAX_SUMMARY_LENGTH, MAX_TITLE_LENGTH, Article, ArticleError
from storage import VERSION_FIELD, Delete, Put, Store, VersionConflict

logger = logging.getLogger(__name__)

ARTICLES_COLLECTION = "articles"
DRAFTS_COLLECTION = "article_drafts"
# A publish or reject writes a new random revision here, in the same batch
# as the article, so that every bot process sharing the store can tell its
# search index is out of date (see Services.sync_knowledge).
REVISION_COLLECTION = "meta"
REVISION_KEY = "knowledge-revision"
DRAFT_ID_PREFIX = "kb-draft-"
DRAFT_KIND = "faq"
MAX_ATTEMPTS = 8

# The pre-filled title is the description's first sentence, cut to this many characters.
SUGGESTED_TITLE_CHARS = 120
_SENTENCE_END = re.compile(r"(?<=[.?!])\s")


class DraftState(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ArticleDraft:
    """A drafted article, its review state and the versions of both stored documents."""

    article: Article
    request: int
    author_id: str
    author_name: str
    state: DraftState
    drafted_at: str
    decided_by_id: str | None = None
    decided_by_name: str | None = None
    decided_at: str | None = None
    version: int = 0
    article_version: int = 0

    def record_doc(self) -> dict[str, Any]:
        """Return the review record as stored in `article_drafts`."""
        return {
            "article": self.article.id,
            "request": self.request,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "state": self.state.value,
            "drafted_at": self.drafted_at,
            "decided_by_id": self.decided_by_id,
            "decided_by_name": self.decided_by_name,
            "decided_at": self.decided_at,
        }


@dataclass(frozen=True)
class DraftForm:
    """The drafting part of a resolved request's TST card: pre-filled fields, or a note on the existing draft."""

    can_draft: bool
    title: str = ""
    summary: str = ""
    url: str = ""
    note: str = ""


def draft_id(request_number: int) -> str:
    """Return the article id of the draft written from a request."""
    return f"{DRAFT_ID_PREFIX}{request_number}"


class ArticleDrafts:
    """Drafts, publishes and rejects articles written from resolved requests, checking roles on the server."""

    def __init__(self, store: Store, now: Callable[[], datetime] = utc_now):
        self.store = store
        self._now = now

    async def get(self, article_id: str) -> ArticleDraft | None:
        """Return the draft with this article id, or None when there is none."""
        record = await self.store.get(DRAFTS_COLLECTION, article_id)
        if record is None:
            return None
        article_doc = await self.store.get(ARTICLES_COLLECTION, article_id) or {}
        stored_fields = record.get("fields") or {}
        article_fields = {key: value for key, value in article_doc.items() if key != VERSION_FIELD} or stored_fields
        return ArticleDraft(
            article=Article.from_dict(article_fields),
            request=record["request"],
            author_id=record["author_id"],
            author_name=record["author_name"],
            state=DraftState(record["state"]),
            drafted_at=record["drafted_at"],
            decided_by_id=record.get("decided_by_id"),
            decided_by_name=record.get("decided_by_name"),
            decided_at=record.get("decided_at"),
            version=record[VERSION_FIELD],
            article_version=article_doc.get(VERSION_FIELD, 0),
        )

    async def draft(self, actor: Actor, request: Request, fields: Mapping[str, Any]) -> tuple[ArticleDraft, bool]:
        """Store a draft article from a resolved request and ask for its review in the triage channel.

        `fields` contains the card inputs `articleTitle`, `articleSummary` and
        `articleUrl`. Returns the draft and whether this call created it: a
        draft that is pending or published is returned unchanged. Raises
        NotAllowed unless the actor owns the request (or is an admin),
        InvalidTransition unless the request is resolved or closed, and
        InvalidInput for invalid fields.
        """
        if request.owner_id != actor.id and not actor.has(Role.ADMIN):
            owner = request.owner_name or "nobody"
            raise NotAllowed(f"Only the owner of {request.reference} can draft an article from it (owner: {owner}).")
        if request.state not in (Status.RESOLVED, Status.CLOSED):
            raise InvalidTransition(f"{request.reference} is {request.state.label.lower()}; draft an article once it is resolved.")
        article = _draft_article(request, fields)

        for _ in range(MAX_ATTEMPTS):
            existing = await self.get(article.id)
            if existing is not None and existing.state is not DraftState.REJECTED:
                return existing, False
            stored_article = await self.store.get(ARTICLES_COLLECTION, article.id)
            article_version = stored_article[VERSION_FIELD] if stored_article else 0
            now = to_iso(self._now())
            created = ArticleDraft(
                article=article,
                request=request.number,
                author_id=actor.id,
                author_name=actor.name,
                state=DraftState.PENDING,
                drafted_at=now,
                version=existing.version + 1 if existing else 1,
                article_version=article_version + 1,
            )
            outbox_key = f"{request.number}-draft{created.version:03d}-draft_post"
            outbox = {
                "key": outbox_key,
                "request": request.number,
                "article": article.id,
                "kind": "draft_post",
                "target": "triage",
                "created_at": now,
                "state": "pending",
                "attempts": 0,
            }
            ops = [
                Put(DRAFTS_COLLECTION, article.id, created.record_doc(), existing.version if existing else 0),
                Put(ARTICLES_COLLECTION, article.id, article.to_dict(), article_version),
                Put("outbox", outbox_key, outbox, 0),
            ]
            try:
                await self.store.apply(ops)
            except VersionConflict:
                continue
            logger.info("article %s drafted from request %d by %s", article.id, request.number, actor.id)
            return created, True
        raise InvalidTransition(f"The draft for {request.reference} is changing too fast to save right now; please try again.")

    async def publish(self, actor: Actor, article_id: str) -> tuple[ArticleDraft, bool]:
        """Publish a pending draft; return the draft and whether this call published it.

        Raises NotAllowed unless the actor is a triager, NotFound for an
        unknown draft and InvalidTransition for a rejected one.
        """
        _require_triager(actor, "publish articles")
        return await self._decide(actor, article_id, DraftState.PUBLISHED)

    async def reject(self, actor: Actor, article_id: str) -> tuple[ArticleDraft, bool]:
        """Reject a pending draft and delete its article; return the draft and whether this call rejected it.

        Raises NotAllowed unless the actor is a triager, NotFound for an
        unknown draft and InvalidTransition for a published one.
        """
        _require_triager(actor, "reject article drafts")
        return await self._decide(actor, article_id, DraftState.REJECTED)

    async def _decide(self, actor: Actor, article_id: str, decision: DraftState) -> tuple[ArticleDraft, bool]:
        for _ in range(MAX_ATTEMPTS):
            draft = await self.get(article_id)
            if draft is None:
                raise NotFound(f"No article draft '{article_id}' was found; it may come from an old card.")
            if draft.state is decision:
                return draft, False
            if draft.state is not DraftState.PENDING:
                raise InvalidTransition(
                    f"{article_id} was already {draft.state.value} by {draft.decided_by_name or 'a triager'}, so it cannot be {decision.value} now."
                )

            decided = dataclasses.replace(
                draft,
                state=decision,
                decided_by_id=actor.id,
                decided_by_name=actor.name,
                decided_at=to_iso(self._now()),
                version=draft.version + 1,
            )
            record = decided.record_doc()
            if decision is DraftState.PUBLISHED:
                decided = dataclasses.replace(decided, article=dataclasses.replace(draft.article, status="published"))
                article_op: Put | Delete = Put(ARTICLES_COLLECTION, article_id, decided.article.to_dict(), draft.article_version)
                decided = dataclasses.replace(decided, article_version=draft.article_version + 1)
            else:
                # The record keeps the rejected text, so the review card can still show what was rejected.
                record["fields"] = draft.article.to_dict()
                article_op = Delete(ARTICLES_COLLECTION, article_id, draft.article_version)
                decided = dataclasses.replace(decided, article_version=0)
            ops = [
                Put(DRAFTS_COLLECTION, article_id, record, draft.version),
                article_op,
                Put(REVISION_COLLECTION, REVISION_KEY, {"revision": uuid.uuid4().hex, "changed_at": record["decided_at"]}),
            ]
            try:
                await self.store.apply(ops)
            except VersionConflict:
                continue
            logger.info("article %s %s by %s", article_id, decision.value, actor.id)
            return decided, True
        raise InvalidTransition(f"{article_id} is changing too fast to update right now; please try again.")

    async def form_for(self, request: Request, knowledge: Any, help_url: str = "") -> DraftForm | None:
        """Return the draft form for a resolved request's TST card, or None when the request cannot be drafted.

        The link defaults to `help_url` (the district's help page) when set,
        else to the link of the published article that best matches the
        request, else to the first published article of its category.
        """
        if request.state not in (Status.RESOLVED, Status.CLOSED) or request.owner_id is None:
            return None
        existing = await self.get(draft_id(request.number))
        if existing is not None and existing.state is DraftState.PENDING:
            return DraftForm(can_draft=False, note=f"Article draft {existing.article.id} is waiting for a triager's review.")
        if existing is not None and existing.state is DraftState.PUBLISHED:
            return DraftForm(can_draft=False, note=f"This request became the knowledge-base article {existing.article.id}.")
        return DraftForm(
            can_draft=True,
            title=suggested_title(request.description),
            summary=(request.resolution_note or "")[:MAX_SUMMARY_LENGTH],
            url=help_url or _matching_url(request, knowledge),
        )


def suggested_title(description: str) -> str:
    """Return the first sentence of a description, cut to SUGGESTED_TITLE_CHARS characters."""
    text = " ".join(description.split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""
    if len(first) <= SUGGESTED_TITLE_CHARS:
        return first
    return first[: SUGGESTED_TITLE_CHARS - 1].rstrip() + "…"


def _draft_article(request: Request, fields: Mapping[str, Any]) -> Article:
    values = {
        "id": draft_id(request.number),
        "title": fields.get("articleTitle"),
        "category": request.category,
        "kind": DRAFT_KIND,
        "url": fields.get("articleUrl"),
        "summary": fields.get("articleSummary"),
        "status": "draft",
    }
    try:
        return Article.from_dict(values)
    except ArticleError as error:
        label = {"title": "title", "summary": "summary", "url": "link"}.get(error.field, error.field)
        limits = {"title": MAX_TITLE_LENGTH, "summary": MAX_SUMMARY_LENGTH}
        hint = f" (at most {limits[error.field]:,} characters)" if error.field in limits else ""
        raise InvalidInput(f"The article {label} is invalid: {error.problem}{hint}.", {error.field: error.problem}) from error


def _matching_url(request: Request, knowledge: Any) -> str:
    query = f"{request.description} {request.resolution_note or ''}"
    results = knowledge.search(query, limit=1, category=request.category) or knowledge.search(query, limit=1)
    if results:
        return results[0].article.url
    in_category = [article for article in knowledge.articles if article.category == request.category and article.is_published]
    return in_category[0].url if in_category else ""


def _require_triager(actor: Actor, action: str) -> None:
    if not actor.has(Role.TRIAGER):
        raise NotAllowed(f"Only a triager can {action}.")


async def knowledge_revision(store: Store) -> str | None:
    """Return the revision that the last publish or reject stored, or None before the first one."""
    doc = await store.get(REVISION_COLLECTION, REVISION_KEY)
    revision = doc.get("revision") if isinstance(doc, dict) else None
    # A hand-edited document with another type still reads as a revision, so it syncs once rather than every minute.
    return None if revision is None else str(revision)
