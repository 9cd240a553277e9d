"""The TinyDB backend's own behaviour: its journal, compaction and the data folder lock.

The Store contract that every backend meets is in test_store_contract.py.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from storage import DataFolderLocked, Delete, Put, TinyDBStore, VersionConflict
from tests.conftest import opened_tinydb

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def store(data_dir):
    """Return an open TinyDB store, in place of the conftest.py fixture that runs every backend."""
    async with opened_tinydb(data_dir) as opened:
        yield opened


async def reopen(store: TinyDBStore) -> TinyDBStore:
    """Close the store and open a new one on the same data folder."""
    await store.close()
    again = TinyDBStore(store.folder)
    await again.open()
    return again


def open_in_subprocess(folder: Path) -> subprocess.CompletedProcess:
    """Try to open the data folder from another process and report the outcome as JSON."""
    probe = (
        "import asyncio, json, sys\n"
        "from storage import StorageError, TinyDBStore\n"
        "async def main():\n"
        "    store = TinyDBStore(sys.argv[1])\n"
        "    try:\n"
        "        await store.open()\n"
        "    except StorageError as error:\n"
        "        return {'error': type(error).__name__, 'message': str(error)}\n"
        "    count = await store.count('requests')\n"
        "    await store.close()\n"
        "    return {'count': count}\n"
        "print(json.dumps(asyncio.run(main())))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", probe, str(folder)], cwd=REPO, capture_output=True, text=True, timeout=60
    )


# The journal


async def test_empty_batch_writes_no_journal_line(store, data_dir):
    await store.apply([])

    assert (data_dir / "journal.jsonl").stat().st_size == 0


async def test_conflict_writes_no_journal_line(store, data_dir):
    await store.apply([Put("requests", "3", {"status": "claimed", "owner": "29:adele"})])
    journal_size = (data_dir / "journal.jsonl").stat().st_size

    with pytest.raises(VersionConflict):
        await store.apply(
            [
                Put("requests", "1", {"status": "new"}, expected_version=0),
                Put("requests", "3", {"status": "claimed", "owner": "29:isaiah"}, expected_version=0),
            ]
        )

    assert (data_dir / "journal.jsonl").stat().st_size == journal_size


# Compaction and the data folder


async def test_compact_then_reopen_keeps_everything(store, data_dir):
    await store.apply([Put("requests", str(number), {"number": number}) for number in range(1, 21)])
    await store.apply([Put("requests", "5", {"number": 5, "status": "closed"}, expected_version=1)])
    await store.apply([Delete("requests", "20")])

    store.compact()

    assert (data_dir / "journal.jsonl").stat().st_size == 0
    snapshot = json.loads((data_dir / "snapshot.json").read_text(encoding="utf-8"))
    assert len(snapshot["requests"]) == 19

    await store.apply([Put("requests", "21", {"number": 21})])
    store = await reopen(store)
    try:
        assert await store.count("requests") == 20
        assert await store.get("requests", "20") is None
        assert await store.get("requests", "5") == {"number": 5, "status": "closed", "_version": 2}
        assert (await store.get("requests", "21"))["_version"] == 1
    finally:
        await store.close()


async def test_second_store_in_same_process_is_locked(store, data_dir):
    second = TinyDBStore(data_dir)

    with pytest.raises(DataFolderLocked) as caught:
        await second.open()

    assert str(data_dir) in str(caught.value)


async def test_second_store_in_other_process_is_locked(store, data_dir):
    await store.apply([Put("requests", "1", {})])

    result = open_in_subprocess(data_dir)

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome.get("error") == "DataFolderLocked"
    assert str(data_dir) in outcome["message"]


async def test_closed_folder_opens_in_other_process(data_dir):
    store = TinyDBStore(data_dir)
    await store.open()
    await store.apply([Put("requests", "1", {}), Put("requests", "2", {})])
    await store.close()

    result = open_in_subprocess(data_dir)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"count": 2}
