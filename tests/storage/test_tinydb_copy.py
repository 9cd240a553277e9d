"""`python -m storage copy`: a TinyDB data folder copied into PostgreSQL and verified."""

import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from storage import Delete, PostgresStore, Put, StorageError, TargetNotEmpty, TinyDBStore
from storage.tinydb_copy import collection_checksum, copy_tinydb_to_postgres, verify_copy

REPO = Path(__file__).resolve().parents[2]


async def fill_folder(folder: Path) -> dict[str, dict[str, dict]]:
    """Write a small helpdesk's data into a TinyDB folder and return its documents by collection and key."""
    store = TinyDBStore(folder)
    await store.open()
    try:
        await store.apply(
            [
                Put("requests", str(number), {"number": number, "status": "new", "school": "Moody Elementary", "owner": None})
                for number in range(1, 41)
            ]
        )
        await store.apply([Put("requests", "7", {"number": 7, "status": "claimed", "owner": "29:adele"}, expected_version=1)])
        await store.apply([Delete("requests", "40")])
        await store.apply(
            [
                Put("events", "7-00001", {"type": "claimed", "note": "Élève de 5e année 🧪 «OneNote» · 数学", "touch": {"kind": "remote"}}),
                Put("outbox", "digest:2026-05-04", {"state": "pending", "attempts": 0, "score": 2.5}),
            ]
        )
        for _ in range(3):
            await store.next_number("requests")
        return {name: await store.documents(name) for name in await store.collections()}
    finally:
        await store.close()


def run_copy(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "storage", "copy", *arguments], cwd=REPO, capture_output=True, text=True, timeout=120
    )


async def test_copy_command_copies_and_verifies(tmp_path, postgres_schema_url):
    folder = tmp_path / "data"
    source = await fill_folder(folder)

    result = run_copy("--from-tinydb", str(folder), "--to-database-url", postgres_schema_url)

    assert result.returncode == 0, result.stderr
    assert "Copied 42 documents" in result.stdout
    assert "Verified: all 4 collections" in result.stdout
    assert "MISMATCH" not in result.stdout
    target = PostgresStore(postgres_schema_url)
    await target.open()
    try:
        for collection, documents in source.items():
            assert await target.documents(collection) == documents, collection
        assert await target.next_number("requests") == 4
    finally:
        await target.close()


async def test_copy_keeps_versions(tmp_path, postgres_schema_url):
    folder = tmp_path / "data"
    await fill_folder(folder)

    await copy_tinydb_to_postgres(folder, postgres_schema_url)

    target = PostgresStore(postgres_schema_url)
    await target.open()
    try:
        assert (await target.get("requests", "7"))["_version"] == 2
        await target.apply([Put("requests", "7", {"status": "in_progress"}, expected_version=2)])
    finally:
        await target.close()


async def test_copy_refuses_non_empty_target(tmp_path, postgres_schema_url):
    folder = tmp_path / "data"
    await fill_folder(folder)
    target = PostgresStore(postgres_schema_url)
    await target.open()
    await target.apply([Put("requests", "999", {"status": "new"})])
    await target.close()

    result = run_copy("--from-tinydb", str(folder), "--to-database-url", postgres_schema_url)

    assert result.returncode == 2
    assert "already contains 1 document." in result.stderr
    assert "--replace" in result.stderr
    with pytest.raises(TargetNotEmpty):
        await copy_tinydb_to_postgres(folder, postgres_schema_url)
    target = PostgresStore(postgres_schema_url)
    await target.open()
    try:
        assert await target.collections() == ["requests"]
        assert await target.count("requests") == 1
    finally:
        await target.close()


async def test_copy_with_replace_overwrites_target(tmp_path, postgres_schema_url):
    folder = tmp_path / "data"
    source = await fill_folder(folder)
    target = PostgresStore(postgres_schema_url)
    await target.open()
    await target.apply([Put("requests", "999", {"status": "new"}), Put("leftovers", "1", {})])
    await target.close()

    result = run_copy("--from-tinydb", str(folder), "--to-database-url", postgres_schema_url, "--replace")

    assert result.returncode == 0, result.stderr
    target = PostgresStore(postgres_schema_url)
    await target.open()
    try:
        assert await target.collections() == sorted(source)
        assert await target.get("requests", "999") is None
    finally:
        await target.close()


async def test_verify_reports_changed_and_extra_documents(tmp_path, postgres_schema_url):
    folder = tmp_path / "data"
    source = await fill_folder(folder)
    await copy_tinydb_to_postgres(folder, postgres_schema_url)
    connection = await asyncpg.connect(postgres_schema_url)
    try:
        await connection.execute("""UPDATE documents SET doc = '{"state": "sent"}' WHERE collection = 'outbox'""")
        await connection.execute("""INSERT INTO documents VALUES ('strays', '1', '{}', 1)""")
    finally:
        await connection.close()
    target = PostgresStore(postgres_schema_url)
    await target.open()
    try:
        checks = {check.collection: check for check in await verify_copy(source, target)}
    finally:
        await target.close()

    assert checks["requests"].matches
    assert not checks["outbox"].matches
    assert checks["outbox"].source_count == checks["outbox"].target_count == 1
    assert not checks["strays"].matches
    assert checks["strays"].source_count == 0


async def test_copy_command_exits_one_on_mismatch(tmp_path, postgres_schema_url):
    """A float that PostgreSQL's numeric type turns into an integer changes the checksum, and the command must report it."""
    folder = tmp_path / "data"
    store = TinyDBStore(folder)
    await store.open()
    await store.apply([Put("measurements", "1", {"value": 1e20})])
    await store.close()

    result = run_copy("--from-tinydb", str(folder), "--to-database-url", postgres_schema_url)

    assert result.returncode == 1, result.stderr
    assert "MISMATCH" in result.stdout
    assert "Verification failed for measurements" in result.stderr


def test_checksum_ignores_version_and_key_order():
    first = {"b": {"x": 1, "y": [1, 2], "_version": 3}, "a": {"z": "é"}}
    second = {"a": {"z": "é", "_version": 9}, "b": {"y": [1, 2], "x": 1}}

    assert collection_checksum(first) == collection_checksum(second)
    assert collection_checksum(first) != collection_checksum({"a": {"z": "é"}, "b": {"x": 1, "y": [2, 1]}})
    assert collection_checksum(first) != collection_checksum({"c": {"z": "é"}, "b": {"x": 1, "y": [1, 2]}})


async def test_copy_rejects_folder_without_data(tmp_path, postgres_schema_url):
    with pytest.raises(StorageError, match="not a TinyDB data folder"):
        await copy_tinydb_to_postgres(tmp_path / "missing", postgres_schema_url)

    result = run_copy("--from-tinydb", str(tmp_path / "missing"), "--to-database-url", postgres_schema_url)

    assert result.returncode == 2
    assert "not a TinyDB data folder" in result.stderr
    assert not (tmp_path / "missing").exists()


async def test_copy_rejects_folder_open_in_bot(tmp_path, postgres_schema_url):
    folder = tmp_path / "data"
    await fill_folder(folder)
    running = TinyDBStore(folder)
    await running.open()
    try:
        result = run_copy("--from-tinydb", str(folder), "--to-database-url", postgres_schema_url)
    finally:
        await running.close()

    assert result.returncode == 2
    assert "already open in another process" in result.stderr


def test_copy_command_rejects_invalid_url(tmp_path):
    result = run_copy("--from-tinydb", str(tmp_path), "--to-database-url", "mysql://helpdesk:hunter2@127.0.0.1/helpdesk")

    assert result.returncode == 2
    assert "must start with postgresql://" in result.stderr
    assert "hunter2" not in result.stderr
