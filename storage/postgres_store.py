"""The scale-out storage backend: JSONB documents in one PostgreSQL table, shared by every bot replica."""

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import asyncpg

from storage.database_url import display_url
from storage.errors import StorageError, VersionConflict
from storage.ops import VERSION_FIELD, Delete, Op, Put
from storage.postgres_migrations import DATABASE_ERRORS, migrate
from storage.store import Store

logger = logging.getLogger(__name__)

# PostgreSQL rolls back the whole transaction on these errors, so the batch
# can run again with its conditions checked afresh.
RETRYABLE_ERRORS = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
MAX_BATCH_ATTEMPTS = 5
CLOSE_TIMEOUT_SECONDS = 10

_SELECT = "SELECT doc, version FROM documents WHERE collection = $1 AND key = $2"
_INSERT_IF_MISSING = """
    INSERT INTO documents (collection, key, doc, version) VALUES ($1, $2, $3::jsonb, 1)
    ON CONFLICT (collection, key) DO NOTHING
    RETURNING version
"""
_UPDATE_IF_VERSION = """
    UPDATE documents SET doc = $3::jsonb, version = version + 1
    WHERE collection = $1 AND key = $2 AND version = $4
    RETURNING version
"""
_UPSERT = """
    INSERT INTO documents (collection, key, doc, version) VALUES ($1, $2, $3::jsonb, 1)
    ON CONFLICT (collection, key) DO UPDATE SET doc = EXCLUDED.doc, version = documents.version + 1
"""
_DELETE = "DELETE FROM documents WHERE collection = $1 AND key = $2"
_DELETE_IF_VERSION = "DELETE FROM documents WHERE collection = $1 AND key = $2 AND version = $3 RETURNING version"
_NEXT_NUMBER = """
    INSERT INTO documents (collection, key, doc, version) VALUES ('counters', $1, '{"value": 1}'::jsonb, 1)
    ON CONFLICT (collection, key) DO UPDATE
        SET doc = jsonb_build_object('value', COALESCE((documents.doc ->> 'value')::bigint, 0) + 1),
            version = documents.version + 1
    RETURNING (doc ->> 'value')::bigint
"""


class TargetNotEmpty(StorageError):
    """A bulk load was asked to write into a database that already contains documents."""


class PostgresStore(Store):
    """A `Store` in a PostgreSQL database, safe for many bot processes at once.

    Each document is one row of `documents`: collection, key, the document as
    JSONB without `_version`, and the version. A batch is one transaction.
    Its conditional writes are single statements (`INSERT ... ON CONFLICT DO
    NOTHING`, `UPDATE ... WHERE version = n`) that PostgreSQL re-checks
    against the newest committed row, so two processes never both pass the
    same condition. `open` applies any missing schema migrations.
    """

    def __init__(self, database_url: str, min_connections: int = 1, max_connections: int = 10):
        self.database_url = database_url
        self.min_connections = min_connections
        self.max_connections = max_connections
        self._pool: asyncpg.Pool | None = None
        # Batches still running after their caller was cancelled; later operations wait for them.
        self._orphans: set[asyncio.Task] = set()

    def __repr__(self) -> str:
        return f"PostgresStore({display_url(self.database_url)!r})"

    async def open(self) -> None:
        if self._pool is not None:
            return
        where = display_url(self.database_url)
        try:
            pool = await asyncpg.create_pool(self.database_url, min_size=self.min_connections, max_size=self.max_connections)
        except DATABASE_ERRORS as error:
            raise StorageError(
                f"cannot connect to PostgreSQL at {where}: {type(error).__name__}: {error}. "
                "Check that the server is running and that the URL, user and password are right."
            ) from error
        try:
            async with pool.acquire() as connection:
                applied = await migrate(connection)
        except DATABASE_ERRORS as error:
            await pool.close()
            raise StorageError(f"cannot apply the database migrations at {where}: {type(error).__name__}: {error}") from error
        except BaseException:
            await pool.close()
            raise
        self._pool = pool
        logger.info("opened PostgreSQL store at %s (%d migrations applied now)", where, len(applied))

    async def close(self) -> None:
        if self._pool is None:
            return
        await self._wait_for_orphans()
        pool, self._pool = self._pool, None
        try:
            await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.warning("PostgreSQL connections still busy after %d s; terminating them", CLOSE_TIMEOUT_SECONDS)
            pool.terminate()
        logger.info("closed PostgreSQL store at %s", display_url(self.database_url))

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        async with self._connection("read a document") as connection:
            row = await connection.fetchrow(_SELECT, collection, key)
        return _document(row) if row is not None else None

    async def find(self, collection: str, **equals: Any) -> list[dict[str, Any]]:
        fields = {name: value for name, value in equals.items() if name != VERSION_FIELD}
        query = "SELECT doc, version FROM documents WHERE collection = $1"
        parameters: list[Any] = [collection]
        if fields:
            # Containment (@>) lets the GIN index narrow the rows, but it also
            # matches lists and objects that merely contain the value, so each
            # field is then compared for equality.
            parameters.append(_encode(fields))
            query += f" AND doc @> ${len(parameters)}::jsonb"
            for name, value in fields.items():
                parameters += [name, _encode(value)]
                query += f" AND doc -> ${len(parameters) - 1}::text = ${len(parameters)}::jsonb"
        async with self._connection("find documents") as connection:
            rows = await connection.fetch(query, *parameters)
        docs = [_document(row) for row in rows]
        if VERSION_FIELD in equals:
            docs = [doc for doc in docs if doc[VERSION_FIELD] == equals[VERSION_FIELD]]
        return docs

    async def count(self, collection: str) -> int:
        async with self._connection("count documents") as connection:
            return await connection.fetchval("SELECT count(*) FROM documents WHERE collection = $1", collection)

    async def collections(self) -> list[str]:
        """Return the names of the collections that contain at least one document, sorted."""
        async with self._connection("list collections") as connection:
            rows = await connection.fetch("SELECT DISTINCT collection FROM documents")
        return sorted(row["collection"] for row in rows)

    async def documents(self, collection: str) -> dict[str, dict[str, Any]]:
        """Return every document of the collection by key, each with its `_version`."""
        async with self._connection("read a collection") as connection:
            rows = await connection.fetch("SELECT key, doc, version FROM documents WHERE collection = $1", collection)
        return {row["key"]: _document(row) for row in rows}

    async def next_number(self, counter: str) -> int:
        # One upsert replaces the read and retry loop of the base class: the
        # row lock makes concurrent callers wait their turn instead of conflicting.
        async with self._connection("advance a counter") as connection:
            return await connection.fetchval(_NEXT_NUMBER, counter)

    async def apply(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        self._require_pool()
        # Encoding first turns a document that is not JSON into an error before any SQL runs.
        encoded = [(op, _encode(op.doc, op) if isinstance(op, Put) else None) for op in ops]
        # Shielded like the TinyDB backend, so a batch runs to its commit or
        # rollback even when the caller is cancelled while it runs.
        batch = asyncio.ensure_future(self._apply_with_retries(encoded))
        try:
            await asyncio.shield(batch)
        except asyncio.CancelledError:
            if not batch.done():
                self._orphans.add(batch)
                batch.add_done_callback(self._orphan_finished)
            raise

    async def bulk_load(self, rows: Iterable[tuple[str, str, dict[str, Any], int]], replace: bool = False) -> int:
        """Write (collection, key, document, version) rows with COPY in one transaction and return how many.

        Raises TargetNotEmpty, writing nothing, when the table already
        contains documents, unless `replace` is set, which deletes them first.
        """
        records = [(collection, key, _encode(_without_version(doc)), version) for collection, key, doc, version in rows]
        async with self._connection("load documents") as connection:
            async with connection.transaction():
                # Blocks every other writer until the load commits, so the emptiness check stays true.
                await connection.execute("LOCK TABLE documents IN SHARE ROW EXCLUSIVE MODE")
                existing = await connection.fetchval("SELECT count(*) FROM documents")
                if existing and not replace:
                    raise TargetNotEmpty(
                        f"the database at {display_url(self.database_url)} already contains {existing} "
                        f"document{'' if existing == 1 else 's'}. Copy into an empty database, or pass --replace to delete them first."
                    )
                if existing:
                    await connection.execute("DELETE FROM documents")
                await connection.copy_records_to_table(
                    "documents", records=records, columns=["collection", "key", "doc", "version"]
                )
        return len(records)

    async def _apply_with_retries(self, encoded: list[tuple[Op, str | None]]) -> None:
        async with self._connection("apply a batch") as connection:
            for attempt in range(1, MAX_BATCH_ATTEMPTS + 1):
                try:
                    async with connection.transaction():
                        await _apply_ops(connection, encoded)
                    return
                except RETRYABLE_ERRORS as error:
                    if attempt == MAX_BATCH_ATTEMPTS:
                        raise
                    logger.warning(
                        "batch of %d operations rolled back by %s on attempt %d of %d, retrying",
                        len(encoded), type(error).__name__, attempt, MAX_BATCH_ATTEMPTS,
                    )
                    await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)

    @contextlib.asynccontextmanager
    async def _connection(self, action: str) -> AsyncIterator[asyncpg.Connection]:
        """Lend a pooled connection, turning driver and server errors into StorageError.

        Waits first for batches whose callers were cancelled, so that, as on
        TinyDB, every later read and write of this store comes after them.
        """
        pool = self._require_pool()
        await self._wait_for_orphans()
        try:
            async with pool.acquire() as connection:
                yield connection
        except DATABASE_ERRORS as error:
            raise StorageError(
                f"could not {action} in PostgreSQL at {display_url(self.database_url)}: {type(error).__name__}: {error}"
            ) from error

    async def _wait_for_orphans(self) -> None:
        # An orphan never waits, because two orphans waiting for each other would never finish.
        if not self._orphans or asyncio.current_task() in self._orphans:
            return
        await asyncio.wait(list(self._orphans))

    def _orphan_finished(self, batch: asyncio.Task) -> None:
        self._orphans.discard(batch)
        if not batch.cancelled() and batch.exception() is not None:
            logger.warning("a batch whose caller was cancelled failed: %s", batch.exception())

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageError(f"the PostgreSQL store at {display_url(self.database_url)} is not open")
        return self._pool


async def _apply_ops(connection: asyncpg.Connection, encoded: list[tuple[Op, str | None]]) -> None:
    """Run the batch's statements in order inside the caller's transaction. Raises VersionConflict when a condition fails."""
    upserts: list[tuple[str, str, str]] = []
    for op, doc in encoded:
        if isinstance(op, Put) and op.expected_version is None:
            # Runs of unconditional puts go to the server as one pipelined executemany.
            upserts.append((op.collection, op.key, doc))
            continue
        if upserts:
            await connection.executemany(_UPSERT, upserts)
            upserts = []
        if isinstance(op, Put):
            await _put_if_version(connection, op, doc)
        elif isinstance(op, Delete):
            await _delete(connection, op)
        else:
            raise TypeError(f"unknown storage operation {op!r}")
    if upserts:
        await connection.executemany(_UPSERT, upserts)


async def _put_if_version(connection: asyncpg.Connection, op: Put, doc: str) -> None:
    if op.expected_version == 0:
        written = await connection.fetchval(_INSERT_IF_MISSING, op.collection, op.key, doc)
    else:
        written = await connection.fetchval(_UPDATE_IF_VERSION, op.collection, op.key, doc, op.expected_version)
    if written is None:
        raise VersionConflict(op.collection, op.key, op.expected_version, await _version(connection, op.collection, op.key))


async def _delete(connection: asyncpg.Connection, op: Delete) -> None:
    if op.expected_version is None:
        await connection.execute(_DELETE, op.collection, op.key)
        return
    if op.expected_version == 0:
        # Deleting a key that must not exist succeeds only when it is missing, as in the TinyDB backend.
        current = await _version(connection, op.collection, op.key)
        if current != 0:
            raise VersionConflict(op.collection, op.key, 0, current)
        return
    deleted = await connection.fetchval(_DELETE_IF_VERSION, op.collection, op.key, op.expected_version)
    if deleted is None:
        raise VersionConflict(op.collection, op.key, op.expected_version, await _version(connection, op.collection, op.key))


async def _version(connection: asyncpg.Connection, collection: str, key: str) -> int:
    """Return the document's version inside this transaction, 0 when it does not exist."""
    return await connection.fetchval("SELECT version FROM documents WHERE collection = $1 AND key = $2", collection, key) or 0


def _document(row: asyncpg.Record) -> dict[str, Any]:
    doc = json.loads(row["doc"])
    doc[VERSION_FIELD] = row["version"]
    return doc


def _without_version(doc: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in doc.items() if name != VERSION_FIELD}


def _encode(value: Any, op: Put | None = None) -> str:
    """Return the value as JSON text, leaving `_version` out of a Put's document.

    Raises StorageError for NaN and infinite floats, which JSONB cannot hold.
    """
    # NOTE: JSONB also rejects U+0000 inside strings, which TinyDB stores. The
    # server then fails the whole batch (a StorageError from apply), and no
    # caller strips that character from teachers' text yet.
    if op is not None:
        value = _without_version(value)
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        where = f" for {op.collection}/{op.key}" if op is not None else ""
        raise StorageError(f"the document{where} is not valid JSON: {error}") from error
