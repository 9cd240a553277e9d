"""The journal and snapshot files under TinyDB: replay, compaction, damaged files and write faults."""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from tinydb import TinyDB

from storage import CorruptJournal, Put, StorageError, TinyDBStore
from storage.journal_storage import JOURNAL_NAME, SNAPSHOT_NAME, JournalStorage

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


def journal_lines(folder: Path) -> list[dict]:
    text = (folder / JOURNAL_NAME).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def snapshot_of(folder: Path) -> dict:
    return json.loads((folder / SNAPSHOT_NAME).read_text(encoding="utf-8"))


def write_three_batches(folder: Path) -> None:
    storage = JournalStorage(folder)
    storage.commit([("requests", "1", {"status": "new", "_version": 1})])
    storage.commit([("requests", "2", {"status": "new", "_version": 1})])
    storage.commit([("requests", "1", {"status": "routed", "_version": 2})])
    storage.close()


# Journal and replay


def test_commit_appends_one_line_per_batch(tmp_path):
    storage = JournalStorage(tmp_path)
    storage.commit([("requests", "1", {"status": "new"}), ("events", "1-00001", {"type": "created"})])
    storage.commit([("requests", "1", None)])
    storage.close()

    lines = journal_lines(tmp_path)

    assert [line["seq"] for line in lines] == [1, 2]
    assert lines[0]["ops"] == [["requests", "1", {"status": "new"}], ["events", "1-00001", {"type": "created"}]]
    assert lines[1]["ops"] == [["requests", "1", None]]


def test_reopen_replays_journal(tmp_path):
    write_three_batches(tmp_path)

    storage = JournalStorage(tmp_path)
    try:
        assert storage.read() == {
            "requests": {"1": {"status": "routed", "_version": 2}, "2": {"status": "new", "_version": 1}}
        }
    finally:
        storage.close()


def test_sequence_continues_after_reopen(tmp_path):
    write_three_batches(tmp_path)

    storage = JournalStorage(tmp_path)
    storage.commit([("requests", "3", {"status": "new"})])
    storage.close()

    assert [line["seq"] for line in journal_lines(tmp_path)] == [1, 2, 3, 4]


def test_cut_off_last_line_is_dropped(tmp_path):
    write_three_batches(tmp_path)
    journal = tmp_path / JOURNAL_NAME
    complete_size = journal.stat().st_size
    with journal.open("ab") as handle:
        handle.write(b'{"seq":4,"ops":[["requests","9",{"status":"ne')

    storage = JournalStorage(tmp_path)
    try:
        assert set(storage.read()["requests"]) == {"1", "2"}
        assert storage.read()["requests"]["1"]["status"] == "routed"
        assert journal.stat().st_size == complete_size

        # The next write must start on a fresh line, not after the cut-off text.
        storage.commit([("requests", "3", {"status": "new"})])
    finally:
        storage.close()

    assert [line["seq"] for line in journal_lines(tmp_path)] == [1, 2, 3, 4]
    reopened = JournalStorage(tmp_path)
    try:
        assert set(reopened.read()["requests"]) == {"1", "2", "3"}
    finally:
        reopened.close()


def test_unreadable_last_line_is_dropped(tmp_path):
    write_three_batches(tmp_path)
    journal = tmp_path / JOURNAL_NAME
    complete_size = journal.stat().st_size
    with journal.open("ab") as handle:
        handle.write(b'{"seq":4,"ops":[["requ\n')

    storage = JournalStorage(tmp_path)
    try:
        assert set(storage.read()["requests"]) == {"1", "2"}
        assert journal.stat().st_size == complete_size
    finally:
        storage.close()


@pytest.mark.parametrize(
    "bad_line",
    [b'{"seq":2,"ops":[["requests","2",{"sta\n', b"\x00\x00\x00\n", b'{"seq":2}\n', b'{"seq":"two","ops":[]}\n'],
    ids=["cut-json", "zero-bytes", "no-ops", "bad-seq"],
)
def test_unreadable_middle_line_raises(tmp_path, bad_line):
    write_three_batches(tmp_path)
    journal = tmp_path / JOURNAL_NAME
    lines = journal.read_bytes().splitlines(keepends=True)
    damaged = lines[0] + bad_line + lines[2]
    journal.write_bytes(damaged)

    with pytest.raises(CorruptJournal) as caught:
        JournalStorage(tmp_path)

    assert "line 2" in str(caught.value)
    assert str(journal) in str(caught.value)
    assert journal.read_bytes() == damaged


def test_failed_open_releases_lock(tmp_path):
    write_three_batches(tmp_path)
    journal = tmp_path / JOURNAL_NAME
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(lines[0] + b"garbage\n" + lines[2])

    with pytest.raises(CorruptJournal):
        JournalStorage(tmp_path)
    # A second attempt must fail on the journal again, not on a lock left behind.
    with pytest.raises(CorruptJournal):
        JournalStorage(tmp_path)

    journal.write_bytes(lines[0] + lines[2])
    storage = JournalStorage(tmp_path)
    try:
        assert storage.read()["requests"] == {"1": {"status": "routed", "_version": 2}}
    finally:
        storage.close()


# Snapshot and compaction


def test_compaction_keeps_journal_small(tmp_path):
    storage = JournalStorage(tmp_path, min_compact_bytes=2048)
    for number in range(400):
        storage.commit([("requests", str(number % 25), {"number": number, "notes": "n" * (number % 90)})])
        journal_size = (tmp_path / JOURNAL_NAME).stat().st_size
        snapshot_size = (tmp_path / SNAPSHOT_NAME).stat().st_size if (tmp_path / SNAPSHOT_NAME).exists() else 0
        assert journal_size <= max(snapshot_size, 2048)
    expected = storage.read()
    storage.close()

    snapshot = snapshot_of(tmp_path)
    assert snapshot["_meta"]["seq"] > 0
    assert all(line["seq"] > snapshot["_meta"]["seq"] for line in journal_lines(tmp_path))

    reopened = JournalStorage(tmp_path)
    try:
        assert reopened.read() == expected
        assert reopened.read()["requests"]["24"]["number"] == 399
    finally:
        reopened.close()


def test_no_compaction_below_floor(tmp_path):
    storage = JournalStorage(tmp_path, min_compact_bytes=1024 * 1024)
    for number in range(50):
        storage.commit([("requests", str(number), {"number": number})])
    storage.close()

    assert not (tmp_path / SNAPSHOT_NAME).exists()
    assert len(journal_lines(tmp_path)) == 50


def test_snapshot_is_valid_json_with_meta(tmp_path):
    storage = JournalStorage(tmp_path)
    storage.commit([("requests", "1", {"description": "Élève 🧪"})])
    storage.commit([("schools", "Moody", {"level": "elementary"})])
    storage.compact()
    storage.close()

    snapshot = snapshot_of(tmp_path)

    assert snapshot == {
        "requests": {"1": {"description": "Élève 🧪"}},
        "schools": {"Moody": {"level": "elementary"}},
        "_meta": {"seq": 2},
    }
    assert (tmp_path / JOURNAL_NAME).stat().st_size == 0


def test_lines_older_than_snapshot_are_skipped(tmp_path):
    """A crash after the snapshot is renamed but before the journal is emptied leaves old lines behind."""
    storage = JournalStorage(tmp_path)
    storage.commit([("requests", "1", {"status": "new", "_version": 1})])
    storage.commit([("requests", "2", {"status": "new", "_version": 1})])
    storage.commit([("requests", "1", None)])
    old_journal = (tmp_path / JOURNAL_NAME).read_bytes()
    storage.compact()
    storage.close()
    (tmp_path / JOURNAL_NAME).write_bytes(old_journal)

    storage = JournalStorage(tmp_path)
    try:
        assert storage.read()["requests"] == {"2": {"status": "new", "_version": 1}}
        storage.commit([("requests", "3", {"status": "new", "_version": 1})])
    finally:
        storage.close()

    reopened = JournalStorage(tmp_path)
    try:
        assert set(reopened.read()["requests"]) == {"2", "3"}
    finally:
        reopened.close()


def test_leftover_temporary_snapshot_is_ignored(tmp_path):
    write_three_batches(tmp_path)
    (tmp_path / (SNAPSHOT_NAME + ".tmp")).write_bytes(b'{"requests": {"1": {"status": "gar')

    storage = JournalStorage(tmp_path)
    try:
        assert storage.read()["requests"]["1"]["status"] == "routed"
        storage.compact()
    finally:
        storage.close()

    assert snapshot_of(tmp_path)["requests"]["1"]["status"] == "routed"
    assert not (tmp_path / (SNAPSHOT_NAME + ".tmp")).exists()


def test_unreadable_snapshot_raises(tmp_path):
    (tmp_path / SNAPSHOT_NAME).write_bytes(b'{"requests": {"1": ')

    with pytest.raises(CorruptJournal) as caught:
        JournalStorage(tmp_path)

    assert SNAPSHOT_NAME in str(caught.value)


async def test_failed_compaction_keeps_acknowledged_write(tmp_path):
    """A write that reached the journal stays acknowledged even when the compaction after it fails."""
    storage = JournalStorage(tmp_path, min_compact_bytes=256)
    # A folder in the way of the temporary snapshot makes the compaction fail, even for root.
    blocker = tmp_path / (SNAPSHOT_NAME + ".tmp")
    blocker.mkdir()
    try:
        for number in range(10):
            storage.commit([("requests", str(number), {"notes": "x" * 60})])
        assert len(storage.read()["requests"]) == 10
        assert not (tmp_path / SNAPSHOT_NAME).exists()
    finally:
        storage.close()

    blocker.rmdir()
    storage = JournalStorage(tmp_path, min_compact_bytes=256)
    try:
        assert len(storage.read()["requests"]) == 10
        storage.commit([("requests", "10", {"notes": "after the fault"})])
        assert (tmp_path / SNAPSHOT_NAME).exists()
    finally:
        storage.close()
    assert len(snapshot_of(tmp_path)["requests"]) == 11


# Write faults


async def test_full_disk_rejects_write_and_keeps_memory(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full to simulate a full disk")
    store = TinyDBStore(tmp_path)
    await store.open()
    await store.apply([Put("requests", "1", {"status": "new"})])
    journal = tmp_path / JOURNAL_NAME
    journal_before = journal.read_bytes()

    # Point the open journal descriptor at /dev/full, where every write fails with ENOSPC.
    journal_fd = store._storage._journal_fd
    saved_fd = os.dup(journal_fd)
    full_fd = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full_fd, journal_fd)
    try:
        with pytest.raises(StorageError) as caught:
            await store.apply(
                [Put("requests", "1", {"status": "routed"}, expected_version=1), Put("requests", "2", {"status": "new"})]
            )
        assert JOURNAL_NAME in str(caught.value)
        assert await store.get("requests", "1") == {"status": "new", "_version": 1}
        assert await store.get("requests", "2") is None
    finally:
        os.dup2(saved_fd, journal_fd)
        os.close(saved_fd)
        os.close(full_fd)
    assert journal.read_bytes() == journal_before

    await store.apply([Put("requests", "1", {"status": "routed"}, expected_version=1), Put("requests", "2", {"status": "new"})])
    await store.close()

    store = TinyDBStore(tmp_path)
    await store.open()
    try:
        assert await store.get("requests", "1") == {"status": "routed", "_version": 2}
        assert await store.get("requests", "2") == {"status": "new", "_version": 1}
    finally:
        await store.close()


async def test_short_write_is_cut_from_journal(tmp_path):
    """A file size limit stops the journal write part way, as a full quota does, even for root."""
    store = TinyDBStore(tmp_path)
    await store.open()
    # A journal above 1 MB keeps the limit clear of the small files pytest writes meanwhile.
    padding = "p" * 20_000
    await store.apply([Put("padding", str(number), {"text": padding}) for number in range(60)])
    journal = tmp_path / JOURNAL_NAME
    journal_before = journal.read_bytes()

    soft_limit, hard_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(journal_before) + 40, hard_limit))
    try:
        with pytest.raises(StorageError, match="short write"):
            await store.apply([Put("requests", "1", {"description": "d" * 500}, expected_version=0)])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft_limit, hard_limit))
        signal.signal(signal.SIGXFSZ, previous_handler)

    assert journal.read_bytes() == journal_before
    assert await store.get("requests", "1") is None

    await store.apply([Put("requests", "1", {"description": "d" * 500}, expected_version=0)])
    await store.close()

    store = TinyDBStore(tmp_path)
    await store.open()
    try:
        assert (await store.get("requests", "1"))["_version"] == 1
        assert await store.count("padding") == 60
    finally:
        await store.close()


async def test_journal_path_taken_by_folder_raises_storage_error(tmp_path):
    (tmp_path / JOURNAL_NAME).mkdir()
    store = TinyDBStore(tmp_path)

    with pytest.raises(StorageError) as caught:
        await store.open()

    assert str(tmp_path) in str(caught.value)

    (tmp_path / JOURNAL_NAME).rmdir()
    await store.open()
    try:
        await store.apply([Put("requests", "1", {})])
        assert await store.count("requests") == 1
    finally:
        await store.close()


READ_ONLY_PROBE = """
import asyncio, concurrent.futures.thread, json, os, sys
from storage import Put, StorageError, TinyDBStore

folder, uid = sys.argv[1], int(sys.argv[2])
# Modules that asyncio loads lazily are imported above, because the nobody
# user may not be able to read the interpreter's own files.
if uid >= 0:
    os.setgid(uid)
    os.setuid(uid)

async def main():
    store = TinyDBStore(folder)
    try:
        await store.open()
    except StorageError as error:
        return {"error": type(error).__name__, "message": str(error)}
    try:
        before = await store.get("requests", "1")
        await store.apply([Put("requests", "2", {"status": "new"}, expected_version=0)])
        return {"before": before, "count": await store.count("requests")}
    finally:
        await store.close()

print(json.dumps(asyncio.run(main())))
"""


def run_read_only_probe(folder: Path, uid: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", READ_ONLY_PROBE, str(folder), str(uid)], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def test_read_only_folder_fails_then_recovers():
    # Root writes through a 0o555 folder, so as root the probe drops to the nobody user after its imports.
    uid = NOBODY if os.geteuid() == 0 else -1
    base = Path(tempfile.mkdtemp(prefix="helpdesk-read-only-"))
    try:
        base.chmod(0o711)
        folder = base / "data"
        store = TinyDBStore(folder)
        await store.open()
        await store.apply([Put("requests", "1", {"status": "new"})])
        await store.close()
        if uid >= 0:
            for path in [folder, *folder.iterdir()]:
                os.chown(path, uid, uid)
        files_before = {path.name: path.read_bytes() for path in folder.iterdir()}
        folder.chmod(0o555)

        rejected = run_read_only_probe(folder, uid)

        assert rejected.get("error") == "StorageError"
        assert str(folder) in rejected["message"]
        assert "not writable" in rejected["message"]
        assert {path.name: path.read_bytes() for path in folder.iterdir()} == files_before

        folder.chmod(0o755)
        recovered = run_read_only_probe(folder, uid)

        assert recovered == {"before": {"status": "new", "_version": 1}, "count": 2}
    finally:
        shutil.rmtree(base)


# TinyDB's own table methods


def test_tinydb_table_methods_are_persisted(tmp_path):
    database = TinyDB(tmp_path, storage=JournalStorage)
    database.table("requests").insert({"status": "new"})
    database.table("requests").update({"status": "routed"})
    database.close()

    database = TinyDB(tmp_path, storage=JournalStorage)
    try:
        assert [dict(doc) for doc in database.table("requests").all()] == [{"status": "routed"}]
    finally:
        database.close()
