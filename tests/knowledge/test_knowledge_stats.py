"""Article counters: views, votes and deflections, each counted once, with retries on conflicting writes."""

from __future__ import annotations

import asyncio

import pytest

from knowledge.stats import MARKS_COLLECTION, MAX_ATTEMPTS, STATS_COLLECTION, ArticleCounts, ArticleStats, vote_key
from storage import StorageError, TinyDBStore, VersionConflict


@pytest.fixture
async def store(tmp_path):
    opened = TinyDBStore(tmp_path / "data")
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
def stats(store):
    return ArticleStats(store)


async def test_unknown_article_has_zero_counts(stats):
    assert await stats.get("kb-never-shown") == ArticleCounts("kb-never-shown")


async def test_views_counted_once_per_request(stats):
    first = await stats.record_views(7, ["kb-a", "kb-b"])
    replay = await stats.record_views(7, ["kb-a", "kb-b"])
    await stats.record_views(8, ["kb-a"])

    assert first is True
    assert replay is False
    assert (await stats.get("kb-a")).views == 2
    assert (await stats.get("kb-b")).views == 1


async def test_views_ignore_repeated_ids(stats):
    await stats.record_views(3, ["kb-a", "kb-a"])

    assert (await stats.get("kb-a")).views == 1


async def test_no_suggestions_counts_nothing(stats, store):
    assert await stats.record_views(9, []) is False
    assert await store.find(MARKS_COLLECTION) == []


async def test_deflection_counted_once_per_request(stats):
    assert await stats.record_deflection(11, "kb-a") is True
    assert await stats.record_deflection(11, "kb-a") is False
    await stats.record_deflection(12, "kb-a")

    counts = await stats.get("kb-a")
    assert counts.deflections == 2
    assert counts.views == 0


async def test_helpful_and_not_helpful_votes(stats):
    await stats.record_vote("teacher-1", "kb-a", True)
    await stats.record_vote("teacher-2", "kb-a", True)
    await stats.record_vote("teacher-3", "kb-a", False)

    counts = await stats.get("kb-a")
    assert counts.helpful == 2
    assert counts.not_helpful == 1


async def test_replayed_vote_changes_nothing(stats, store):
    first = await stats.record_vote("teacher-1", "kb-a", True)
    before = await store.get(STATS_COLLECTION, "kb-a")

    replay = await stats.record_vote("teacher-1", "kb-a", True)
    after = await store.get(STATS_COLLECTION, "kb-a")

    assert first.recorded is True
    assert replay.recorded is False
    assert after == before


async def test_changed_vote_keeps_first(stats):
    await stats.record_vote("teacher-1", "kb-a", True)

    second = await stats.record_vote("teacher-1", "kb-a", False)
    counts = await stats.get("kb-a")

    assert second.recorded is False
    assert second.helpful is True
    assert counts.helpful == 1
    assert counts.not_helpful == 0


async def test_vote_marker_key(stats, store):
    await stats.record_vote("teacher-1", "kb-a", False)

    marker = await store.get(MARKS_COLLECTION, "vote:teacher-1:kb-a")

    assert vote_key("teacher-1", "kb-a") == "vote:teacher-1:kb-a"
    assert marker["helpful"] is False


async def test_votes_of_teacher(stats):
    await stats.record_vote("teacher-1", "kb-a", True)
    await stats.record_vote("teacher-1", "kb-b", False)
    await stats.record_vote("teacher-2", "kb-c", True)

    assert await stats.votes_of("teacher-1", ["kb-a", "kb-b", "kb-c"]) == {"kb-a": True, "kb-b": False}


async def test_concurrent_votes_all_counted(stats):
    await asyncio.gather(*(stats.record_vote(f"teacher-{n}", "kb-a", n % 3 != 0) for n in range(30)))

    counts = await stats.get("kb-a")
    assert counts.helpful == 20
    assert counts.not_helpful == 10


async def test_concurrent_replays_count_once(stats):
    results = await asyncio.gather(*(stats.record_deflection(5, "kb-a") for _ in range(10)))

    assert sum(results) == 1
    assert (await stats.get("kb-a")).deflections == 1


async def test_most_deflecting_order(stats):
    for number, article in enumerate(["kb-a", "kb-b", "kb-b", "kb-c", "kb-c", "kb-c"], start=1):
        await stats.record_deflection(number, article)
    await stats.record_vote("teacher-1", "kb-d", True)
    await stats.record_views(99, ["kb-e"])

    ranked = [counts.article for counts in await stats.most_deflecting(10)]

    assert ranked == ["kb-c", "kb-b", "kb-a", "kb-d"]
    assert [counts.article for counts in await stats.most_deflecting(2)] == ["kb-c", "kb-b"]


class ConflictingStore:
    """A store whose counter writes always meet a newer version, as under heavy concurrent use."""

    def __init__(self, inner: TinyDBStore):
        self.inner = inner
        self.attempts = 0

    async def get(self, collection, key):
        return await self.inner.get(collection, key)

    async def apply(self, ops):
        self.attempts += 1
        raise VersionConflict(STATS_COLLECTION, "kb-a", 0, 1)


async def test_gives_up_after_max_attempts(store, monkeypatch):
    monkeypatch.setattr("knowledge.stats.BACKOFF_STEP_SECONDS", 0.0)
    conflicting = ConflictingStore(store)

    with pytest.raises(StorageError, match="gave up after"):
        await ArticleStats(conflicting).record_deflection(1, "kb-a")
    assert conflicting.attempts == MAX_ATTEMPTS
