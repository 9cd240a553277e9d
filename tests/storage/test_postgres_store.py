"""The PostgreSQL backend's own behaviour: migrations, connection errors, its table, and choosing it in the bot.

The Store contract that every backend meets is in test_store_contract.py.
"""

import asyncio
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from bot import open_services
from config import load_settings
from storage import PostgresStore, Put, StorageError
from storage.postgres_migrations import LATEST_VERSION, MIGRATIONS, migrate
from tests.storage.postgres_cluster import FAST_UNSAFE_SETTINGS, PostgresCluster, PostgresNotInstalled, free_port

REPO = Path(__file__).resolve().parents[2]


async def fetch(url: str, query: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(query)
    finally:
        await connection.close()


def run_migrate(url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "storage", "migrate", "--database-url", url], cwd=REPO, capture_output=True, text=True, timeout=60
    )


# Migrations


async def test_open_creates_tables_and_records_migrations(postgres_schema_url):
    store = PostgresStore(postgres_schema_url)
    await store.open()
    await store.close()

    migrations = await fetch(postgres_schema_url, "SELECT version, name FROM schema_migrations ORDER BY version")
    indexes = await fetch(postgres_schema_url, "SELECT indexdef FROM pg_indexes WHERE tablename = 'documents' AND schemaname = current_schema()")

    assert [(row["version"], row["name"]) for row in migrations] == [(m.version, m.name) for m in MIGRATIONS]
    assert any("USING gin (doc jsonb_path_ops)" in row["indexdef"] for row in indexes)


async def test_second_migrate_applies_nothing(postgres_schema_url):
    connection = await asyncpg.connect(postgres_schema_url)
    try:
        first = await migrate(connection)
        second = await migrate(connection)
    finally:
        await connection.close()

    assert [migration.version for migration in first] == [migration.version for migration in MIGRATIONS]
    assert second == []


async def test_concurrent_opens_migrate_once(postgres_schema_url):
    stores = [PostgresStore(postgres_schema_url, max_connections=1) for _ in range(8)]

    await asyncio.gather(*(store.open() for store in stores))
    await stores[0].apply([Put("requests", "1", {"status": "new"})])
    seen = [await store.get("requests", "1") for store in stores]
    await asyncio.gather(*(store.close() for store in stores))

    rows = await fetch(postgres_schema_url, "SELECT version FROM schema_migrations")
    assert sorted(row["version"] for row in rows) == [migration.version for migration in MIGRATIONS]
    assert seen == [{"status": "new", "_version": 1}] * 8


async def test_newer_database_schema_is_rejected(postgres_schema_url):
    store = PostgresStore(postgres_schema_url)
    await store.open()
    await store.close()
    connection = await asyncpg.connect(postgres_schema_url)
    await connection.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from a newer bot')", LATEST_VERSION + 1)
    await connection.close()

    with pytest.raises(StorageError, match=f"at migration {LATEST_VERSION + 1}.*Upgrade the bot"):
        await PostgresStore(postgres_schema_url).open()


async def test_migrate_command_is_idempotent(postgres_schema_url):
    first = run_migrate(postgres_schema_url)
    second = run_migrate(postgres_schema_url)

    assert first.returncode == 0, first.stderr
    assert f"Applied migration {MIGRATIONS[0].version}: {MIGRATIONS[0].name}." in first.stdout
    assert f"is now at migration {LATEST_VERSION}" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "Applied" not in second.stdout
    assert f"is already at migration {LATEST_VERSION}" in second.stdout
    assert "?search_path" not in first.stdout


# Connections


async def test_unreachable_server_error_hides_password():
    port = free_port()
    url = f"postgresql://helpdesk:s3cret-pw@127.0.0.1:{port}/helpdesk"

    with pytest.raises(StorageError) as caught:
        await PostgresStore(url).open()

    assert f"postgresql://helpdesk@127.0.0.1:{port}/helpdesk" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(PostgresStore(url))


def test_migrate_command_reports_unreachable_server():
    result = run_migrate(f"postgresql://helpdesk:s3cret-pw@127.0.0.1:{free_port()}/helpdesk")

    assert result.returncode == 2
    assert "cannot connect to PostgreSQL at postgresql://helpdesk@127.0.0.1:" in result.stderr
    assert "s3cret-pw" not in result.stderr


async def test_stopped_server_is_storage_error():
    problem = None
    try:
        cluster = PostgresCluster(FAST_UNSAFE_SETTINGS)
    except PostgresNotInstalled as error:
        problem = str(error)
    if problem:
        pytest.fail(problem, pytrace=False)
    url = cluster.start()
    store = PostgresStore(url)
    try:
        await store.open()
        await store.apply([Put("requests", "1", {})])
        cluster.stop()

        with pytest.raises(StorageError, match="could not read a document in PostgreSQL at postgresql://postgres@127.0.0.1"):
            await store.get("requests", "1")
        with pytest.raises(StorageError, match="could not apply a batch"):
            await store.apply([Put("requests", "2", {})])
    finally:
        await store.close()
        cluster.stop()


# The documents table


async def test_version_is_kept_out_of_stored_document(postgres_schema_url):
    store = PostgresStore(postgres_schema_url)
    await store.open()
    try:
        await store.apply([Put("requests", "1", {"status": "new", "_version": 7})])
        await store.apply([Put("requests", "1", {"status": "routed"})])
    finally:
        await store.close()

    rows = await fetch(postgres_schema_url, "SELECT doc, version FROM documents")

    assert [(row["doc"], row["version"]) for row in rows] == [('{"status": "routed"}', 2)]


async def test_non_json_number_rejects_whole_batch(postgres_schema_url):
    store = PostgresStore(postgres_schema_url)
    await store.open()
    try:
        with pytest.raises(StorageError, match="requests/2 is not valid JSON"):
            await store.apply([Put("requests", "1", {"score": 1.5}), Put("requests", "2", {"score": float("nan")})])

        assert await store.count("requests") == 0
    finally:
        await store.close()


async def test_opposite_order_batches_all_apply(postgres_schema_url):
    """Two batches that lock the same rows in opposite orders can deadlock, and the store retries the one PostgreSQL rolls back."""
    store = PostgresStore(postgres_schema_url, max_connections=4)
    await store.open()
    try:
        forward = [Put("requests", "1", {"side": "forward"}), Put("requests", "2", {"side": "forward"})]
        backward = [Put("requests", "2", {"side": "backward"}), Put("requests", "1", {"side": "backward"})]
        for _ in range(25):
            await asyncio.gather(store.apply(forward), store.apply(backward))

        assert (await store.get("requests", "1"))["_version"] == 50
        assert (await store.get("requests", "2"))["_version"] == 50
    finally:
        await store.close()


# Choosing the backend


async def test_open_services_uses_postgres_when_url_set(tmp_path, postgres_schema_url):
    settings = load_settings(
        environ={"HELPDESK_DATA_DIR": str(tmp_path / "data"), "HELPDESK_DATABASE_URL": postgres_schema_url},
        config_path=REPO / "config" / "helpdesk.yaml",
    )

    services = await open_services(settings)
    try:
        assert isinstance(services.store, PostgresStore)
        assert await services.store.count("articles") == len(services.knowledge.articles)
        assert await services.store.count("articles") > 0
    finally:
        await services.store.close()

    assert not (tmp_path / "data").exists()


async def test_services_opened_together_add_articles_once(tmp_path, postgres_schema_url):
    """Replicas that start together on a new database race to add the starter articles, and each must still start."""
    settings = load_settings(
        environ={"HELPDESK_DATA_DIR": str(tmp_path / "data"), "HELPDESK_DATABASE_URL": postgres_schema_url},
        config_path=REPO / "config" / "helpdesk.yaml",
    )

    opened = await asyncio.gather(*(open_services(settings) for _ in range(4)), return_exceptions=True)
    for services in opened:
        if not isinstance(services, BaseException):
            await services.store.close()
    store = PostgresStore(postgres_schema_url)
    await store.open()
    articles = await store.count("articles")
    await store.close()

    assert [repr(services) for services in opened if isinstance(services, BaseException)] == []
    assert articles == len(opened[0].knowledge.articles)


async def test_nul_character_rejects_whole_batch(postgres_schema_url):
    """JSONB cannot hold U+0000 in a string, which TinyDB stores, so PostgreSQL rejects the batch instead."""
    store = PostgresStore(postgres_schema_url)
    await store.open()
    try:
        with pytest.raises(StorageError, match="could not apply a batch"):
            await store.apply([Put("requests", "1", {"status": "new"}), Put("events", "1-00002", {"note": "pasted\x00text"})])

        assert await store.count("requests") == 0
    finally:
        await store.close()


async def test_cancelled_batches_finish_before_next_read(postgres_schema_url):
    store = PostgresStore(postgres_schema_url, max_connections=4)
    await store.open()
    try:
        writes = [asyncio.create_task(store.apply([Put("requests", str(number), {"number": number})])) for number in range(6)]
        await asyncio.sleep(0)
        for write in writes:
            write.cancel()
        outcomes = await asyncio.gather(*writes, return_exceptions=True)

        found = await store.find("requests")
    finally:
        await store.close()

    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)
    assert sorted(doc["number"] for doc in found) == list(range(6))
