"""Storage fixtures: the `store` under test once per backend, and the PostgreSQL server the tests use.

The PostgreSQL tests use HELPDESK_TEST_DATABASE_URL when it is set, and
otherwise start a throwaway cluster for the session. Each test gets a new
schema of its own (named helpdesk_test_*, dropped afterwards), reached
through the URL's `search_path` parameter, so tests never see each other's
rows.
"""

import os
import uuid

import asyncpg
import pytest

from storage import PostgresStore, TinyDBStore
from tests.storage.postgres_cluster import FAST_UNSAFE_SETTINGS, PostgresCluster, PostgresNotInstalled, with_search_path

BACKENDS = ("tinydb", "postgres")


@pytest.fixture(scope="session")
def postgres_url():
    """Return the URL of a PostgreSQL database the tests may fill and empty."""
    configured = os.environ.get("HELPDESK_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    # pytest.fail is called outside the except blocks, so the report shows the message once, without a chained traceback.
    problem = None
    try:
        cluster = PostgresCluster(FAST_UNSAFE_SETTINGS)
        url = cluster.start()
    except PostgresNotInstalled as error:
        problem = f"the PostgreSQL storage tests need a server: {error}"
    except RuntimeError as error:
        problem = f"could not start a throwaway PostgreSQL server for the storage tests: {error}"
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        yield url
    finally:
        cluster.stop()


@pytest.fixture
async def postgres_schema_url(postgres_url):
    """Return a URL whose connections work in a new, empty schema, which is dropped after the test."""
    schema = f"helpdesk_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await connection.close()
    yield with_search_path(postgres_url, schema)
    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_factory(request, backend, data_dir):
    """Return a function that builds an unopened store of the backend under test, always on the same data."""
    if backend == "tinydb":
        return lambda: TinyDBStore(data_dir)
    url = request.getfixturevalue("postgres_schema_url")
    return lambda: PostgresStore(url)


@pytest.fixture
async def store(store_factory):
    opened = store_factory()
    await opened.open()
    yield opened
    await opened.close()
