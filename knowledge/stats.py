"""Per-article counters: views, helpful and not-helpful votes, and deflections.

Each article has one document in the `article_stats` collection, keyed by its
id. Every increment is a write conditional on the version just read, retried
when another writer got there first, so concurrent writers in one process or
several do not overwrite each other's counts.

Each counted event also writes a marker in `article_marks` in the same batch,
on the condition that the marker does not exist yet. A replayed event (a
double click, a retried submit) meets its own marker and changes nothing:

* ``views:<request>``: the suggestions shown for one request;
* ``deflection:<request>``: the article that resolved one request at level 0;
* ``vote:<teacher>:<article>``: one teacher's vote on one article.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.clock import to_iso, utc_now
from storage import VERSION_FIELD, Put, StorageError, Store, VersionConflict

logger = logging.getLogger(__name__)

STATS_COLLECTION = "article_stats"
MARKS_COLLECTION = "article_marks"
COUNTER_NAMES = ("views", "helpful", "not_helpful", "deflections")
MAX_ATTEMPTS = 30
# After the n-th conflict a writer waits a random time up to n times this many seconds,
# so writers that collided do not collide again on their next try.
BACKOFF_STEP_SECONDS = 0.002


@dataclass(frozen=True)
class ArticleCounts:
    """The counters of one article."""

    article: str
    views: int = 0
    helpful: int = 0
    not_helpful: int = 0
    deflections: int = 0

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ArticleCounts:
        return cls(article=doc["article"], **{name: int(doc.get(name, 0)) for name in COUNTER_NAMES})


@dataclass(frozen=True)
class VoteResult:
    """The outcome of a vote: whether it was counted, and the teacher's vote that counts."""

    recorded: bool
    helpful: bool


class ArticleStats:
    """Reads and raises the counters of knowledge-base articles in a `Store`."""

    def __init__(self, store: Store, now: Callable[[], datetime] = utc_now):
        self.store = store
        self._now = now

    async def get(self, article_id: str) -> ArticleCounts:
        """Return the article's counters; an article never counted has all zeros."""
        doc = await self.store.get(STATS_COLLECTION, article_id)
        return ArticleCounts.from_doc(doc) if doc else ArticleCounts(article_id)

    async def all(self) -> list[ArticleCounts]:
        """Return the counters of every article counted so far, in no particular order."""
        return [ArticleCounts.from_doc(doc) for doc in await self.store.find(STATS_COLLECTION)]

    async def most_deflecting(self, limit: int) -> list[ArticleCounts]:
        """Return up to `limit` articles with the most deflections, then the most helpful votes."""
        counted = [counts for counts in await self.all() if counts.deflections or counts.helpful]
        counted.sort(key=lambda counts: (-counts.deflections, -counts.helpful, counts.article))
        return counted[:limit]

    async def record_views(self, request_number: int, article_ids: Iterable[str]) -> bool:
        """Count one view of each article suggested for a request; return False when already counted."""
        article_ids = list(dict.fromkeys(article_ids))
        if not article_ids:
            return False
        marker = {"request": request_number, "articles": article_ids}
        changes = {article_id: {"views": 1} for article_id in article_ids}
        return await self._increment(changes, f"views:{request_number}", marker)

    async def record_deflection(self, request_number: int, article_id: str) -> bool:
        """Count the article that resolved a request at level 0; return False when already counted."""
        marker = {"request": request_number, "article": article_id}
        return await self._increment({article_id: {"deflections": 1}}, f"deflection:{request_number}", marker)

    async def record_vote(self, teacher_id: str, article_id: str, helpful: bool) -> VoteResult:
        """Count a teacher's first vote on an article; later votes by the same teacher change nothing."""
        key = vote_key(teacher_id, article_id)
        marker = {"teacher": teacher_id, "article": article_id, "helpful": helpful}
        counter = "helpful" if helpful else "not_helpful"
        if await self._increment({article_id: {counter: 1}}, key, marker):
            return VoteResult(recorded=True, helpful=helpful)
        existing = await self.store.get(MARKS_COLLECTION, key)
        return VoteResult(recorded=False, helpful=bool(existing["helpful"]) if existing else helpful)

    async def votes_of(self, teacher_id: str, article_ids: Iterable[str]) -> dict[str, bool]:
        """Return the teacher's standing votes on the given articles, by article id (True for helpful)."""
        votes = {}
        for article_id in article_ids:
            doc = await self.store.get(MARKS_COLLECTION, vote_key(teacher_id, article_id))
            if doc is not None:
                votes[article_id] = bool(doc["helpful"])
        return votes

    async def _increment(self, changes: Mapping[str, Mapping[str, int]], marker_key: str, marker: dict[str, Any]) -> bool:
        """Write the marker and raise the counters in one batch; return False when the marker exists.

        The marker goes first in the batch, so a conflict on it is reported
        before any conflict on a counter. A conflict on a counter means
        another writer raised it first, so the counters are read again and the
        batch retried after a short random wait. Raises StorageError when the
        counters keep changing for MAX_ATTEMPTS tries.
        """
        now = to_iso(self._now())
        for attempt in range(1, MAX_ATTEMPTS + 1):
            ops = [Put(MARKS_COLLECTION, marker_key, {**marker, "at": now}, 0)]
            for article_id, deltas in changes.items():
                current = await self.store.get(STATS_COLLECTION, article_id)
                doc = {"article": article_id, **{name: int((current or {}).get(name, 0)) for name in COUNTER_NAMES}}
                for name, delta in deltas.items():
                    doc[name] += delta
                doc["updated_at"] = now
                ops.append(Put(STATS_COLLECTION, article_id, doc, current[VERSION_FIELD] if current else 0))
            try:
                await self.store.apply(ops)
            except VersionConflict as conflict:
                if conflict.collection == MARKS_COLLECTION:
                    logger.debug("article counters for %s already recorded", marker_key)
                    return False
                logger.debug("article %s counted elsewhere during %s (attempt %d); retrying", conflict.key, marker_key, attempt)
                await asyncio.sleep(random.uniform(0, BACKOFF_STEP_SECONDS * attempt))
                continue
            return True
        raise StorageError(f"article counters for {marker_key} kept changing; gave up after {MAX_ATTEMPTS} attempts")


def vote_key(teacher_id: str, article_id: str) -> str:
    """Return the marker key that allows one vote per teacher and article."""
    return f"vote:{teacher_id}:{article_id}"
