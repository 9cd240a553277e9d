"""The TinyDB store's writer: group commit, counters, JSON copies and compaction in the background."""

import asyncio
import datetime
import json
from pathlib import Path

import pytest

from storage import CorruptJournal, Put, StorageError, TinyDBStore, VersionConflict
from storage.journal_storage import JOURNAL_NAME, SNAPSHOT_NAME, JournalStorage
from tests.conftest import opened_tinydb


@pytest.fixture
async def store(data_dir):
    """Return an open TinyDB store; this replaces the fixture of conftest.py that runs every backend."""
    async with opened_tinydb(data_dir) as opened:
        yield opened


async def reopen(store: TinyDBStore) -> TinyDBStore:
    await store.close()
    again = TinyDBStore(store.folder)
    await again.open()
    return again


def count_appends(store: TinyDBStore, monkeypatch) -> list[int]:
    """Record how many batches each journal write of the store carries."""
    storage = store._storage
    original = storage.append_encoded
    sizes: list[int] = []

    def counting(batches):
        sizes.append(len(batches))
        original(batches)

    monkeypatch.setattr(storage, "append_encoded", counting)
    return sizes


def journal_seqs(folder: Path) -> list[int]:
    return [json.loads(line)["seq"] for line in (folder / JOURNAL_NAME).read_text().splitlines()]


# Group commit


async def test_concurrent_batches_share_journal_writes(store, data_dir, monkeypatch):
    sizes = count_appends(store, monkeypatch)

    await asyncio.gather(*(store.apply([Put("requests", str(number), {"number": number})]) for number in range(40)))

    assert sum(sizes) == 40
    assert len(sizes) < 40
    assert journal_seqs(data_dir) == list(range(1, 41))
    assert await store.count("requests") == 40


async def test_conflicting_batches_in_one_group(store):
    results = await asyncio.gather(
        *(store.apply([Put("requests", "1", {"writer": writer}, expected_version=0)]) for writer in range(5)),
        return_exceptions=True,
    )

    assert sum(result is None for result in results) == 1
    assert all(isinstance(result, VersionConflict) for result in results if result is not None)
    assert (await store.get("requests", "1"))["_version"] == 1


async def test_later_batch_sees_earlier_batch_of_group(store, monkeypatch):
    sizes = count_appends(store, monkeypatch)

    await asyncio.gather(
        store.apply([Put("requests", "1", {"step": 1}, expected_version=0)]),
        store.apply([Put("requests", "1", {"step": 2}, expected_version=1)]),
    )

    assert sizes == [1, 1] or sizes == [2]
    assert await store.get("requests", "1") == {"step": 2, "_version": 2}


async def test_failed_write_fails_its_group_only(store, monkeypatch):
    storage = store._storage
    original = storage.append_encoded
    failures = [StorageError("disk full")]

    def failing_once(batches):
        if failures:
            raise failures.pop()
        original(batches)

    monkeypatch.setattr(storage, "append_encoded", failing_once)

    first, second = await asyncio.gather(
        store.apply([Put("requests", "1", {"writer": "first"}, expected_version=0)]),
        store.apply([Put("requests", "1", {"writer": "second"}, expected_version=0)]),
        return_exceptions=True,
    )

    # The second batch conflicted only with the first, which was never written, so it is checked again and lands.
    assert isinstance(first, StorageError)
    assert second is None
    assert await store.get("requests", "1") == {"writer": "second", "_version": 1}
    store = await reopen(store)
    try:
        assert await store.get("requests", "1") == {"writer": "second", "_version": 1}
    finally:
        await store.close()


async def test_non_json_value_fails_only_its_batch(store):
    results = await asyncio.gather(
        store.apply([Put("requests", "1", {"at": datetime.datetime(2026, 11, 2)})]),
        store.apply([Put("requests", "2", {"at": "2026-11-02"})]),
        return_exceptions=True,
    )

    assert isinstance(results[0], TypeError)
    assert results[1] is None
    assert await store.get("requests", "1") is None
    assert await store.get("requests", "2") == {"at": "2026-11-02", "_version": 1}


async def test_stored_document_is_json_form(store):
    await store.apply([Put("requests", "1", {"pair": (1, 2), "by_grade": {4: "four"}})])

    assert await store.get("requests", "1") == {"pair": [1, 2], "by_grade": {"4": "four"}, "_version": 1}


async def test_next_number_has_no_conflicts_under_load(store, monkeypatch):
    sizes = count_appends(store, monkeypatch)

    numbers = await asyncio.gather(*(store.next_number("requests") for _ in range(30)))

    assert sorted(numbers) == list(range(1, 31))
    assert sum(sizes) == 30
    assert (await store.get("counters", "requests"))["value"] == 30


async def test_next_number_continues_a_counter_written_by_put(store):
    await store.apply([Put("counters", "requests", {"value": 41})])

    assert await store.next_number("requests") == 42
    assert await store.get("counters", "requests") == {"value": 42, "_version": 2}


async def test_compact_refused_during_write(store, monkeypatch):
    storage = store._storage
    original = storage.append_encoded
    refusals = []

    def compact_meanwhile(batches):
        with pytest.raises(StorageError, match="cannot compact while a write is under way") as refused:
            store.compact()
        refusals.append(refused)
        original(batches)

    monkeypatch.setattr(storage, "append_encoded", compact_meanwhile)

    await store.apply([Put("requests", "1", {})])

    assert len(refusals) == 1


# Compaction in the background


async def test_background_compaction_keeps_writes_going(store, data_dir):
    await store.apply([Put("requests", str(number), {"notes": "x" * 200}) for number in range(200)])
    store._storage.min_compact_bytes = 1024

    for number in range(200, 260):
        await store.apply([Put("requests", str(number), {"notes": "y" * 200})])
    if store._compaction is not None:
        await store._compaction

    snapshot = json.loads((data_dir / SNAPSHOT_NAME).read_text())
    assert snapshot["_meta"]["seq"] >= 1
    assert not list(data_dir.glob("journal.*.jsonl"))
    store = await reopen(store)
    try:
        assert await store.count("requests") == 260
    finally:
        await store.close()


def test_sealed_segment_survives_unfinished_compaction(tmp_path):
    """A crash after the journal is sealed but before the snapshot is written loses nothing."""
    storage = JournalStorage(tmp_path)
    storage.commit([("requests", "1", {"status": "new", "_version": 1})])
    storage.min_compact_bytes = 0
    storage.append([("requests", "2", {"status": "new", "_version": 1})])
    storage.apply_appended([("requests", "2", {"status": "new", "_version": 1})])
    job = storage.start_compaction_if_due()
    assert job is not None
    storage.commit([("requests", "3", {"status": "new", "_version": 1})])
    storage.close()

    sealed = list(tmp_path.glob("journal.*.jsonl"))
    assert len(sealed) == 1
    reopened = JournalStorage(tmp_path)
    try:
        assert set(reopened.read()["requests"]) == {"1", "2", "3"}
    finally:
        reopened.close()


def test_snapshot_of_view_ignores_later_writes(tmp_path):
    storage = JournalStorage(tmp_path, min_compact_bytes=0)
    storage.append([("requests", "1", {"status": "new", "_version": 1})])
    storage.apply_appended([("requests", "1", {"status": "new", "_version": 1})])
    job = storage.start_compaction_if_due()
    storage.append([("requests", "1", {"status": "routed", "_version": 2})])
    storage.apply_appended([("requests", "1", {"status": "routed", "_version": 2})])

    job()

    snapshot = json.loads((tmp_path / SNAPSHOT_NAME).read_text())
    assert snapshot["requests"]["1"]["status"] == "new"
    assert not list(tmp_path.glob("journal.*.jsonl"))
    storage.close()
    reopened = JournalStorage(tmp_path)
    try:
        assert reopened.read()["requests"]["1"]["status"] == "routed"
    finally:
        reopened.close()


def test_job_after_compact_changes_nothing(tmp_path):
    storage = JournalStorage(tmp_path, min_compact_bytes=0)
    storage.append([("requests", "1", {"status": "new"})])
    storage.apply_appended([("requests", "1", {"status": "new"})])
    job = storage.start_compaction_if_due()
    storage.append([("requests", "2", {"status": "new"})])
    storage.apply_appended([("requests", "2", {"status": "new"})])
    storage.compact()

    job()

    snapshot = json.loads((tmp_path / SNAPSHOT_NAME).read_text())
    assert set(snapshot["requests"]) == {"1", "2"}
    assert snapshot["_meta"]["seq"] == 2
    storage.close()


def test_no_second_compaction_while_one_runs(tmp_path):
    storage = JournalStorage(tmp_path, min_compact_bytes=0)
    storage.append([("requests", "1", {})])
    storage.apply_appended([("requests", "1", {})])
    job = storage.start_compaction_if_due()
    storage.append([("requests", "2", {})])
    storage.apply_appended([("requests", "2", {})])

    assert not storage.compaction_due()
    assert storage.start_compaction_if_due() is None
    job()
    storage.append([("requests", "3", {"notes": "n" * 500})])
    storage.apply_appended([("requests", "3", {"notes": "n" * 500})])
    assert storage.compaction_due()
    storage.close()


def test_unreadable_line_in_sealed_segment_raises(tmp_path):
    storage = JournalStorage(tmp_path, min_compact_bytes=0)
    for number in range(3):
        storage.append([("requests", str(number), {})])
        storage.apply_appended([("requests", str(number), {})])
    assert storage.start_compaction_if_due() is not None
    storage.close()
    sealed = next(tmp_path.glob("journal.*.jsonl"))
    lines = sealed.read_bytes().splitlines(keepends=True)
    sealed.write_bytes(lines[0] + b"garbage\n" + lines[2])

    with pytest.raises(CorruptJournal) as caught:
        JournalStorage(tmp_path)

    assert str(sealed) in str(caught.value)
    assert "line 2" in str(caught.value)
