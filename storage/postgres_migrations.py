"""The PostgreSQL schema, as numbered migrations that every bot process applies at start-up.

Each migration runs once per database, and `schema_migrations` records which
have run. All of them run in one transaction that first takes a
transaction-level advisory lock, so replicas that start together wait for
each other, and a failed migration leaves the database as it was.
"""

import logging
from dataclasses import dataclass

import asyncpg

from storage.database_url import display_url
from storage.errors import StorageError

logger = logging.getLogger(__name__)

# The advisory lock id that serialises migrations. Any constant works as long
# as nothing else in the database uses it. This one is "helpdesk" in ASCII.
MIGRATION_LOCK_ID = 0x68656C706465736B

# Errors from the driver, the server or the network that mean a database operation failed.
# InternalClientError is included because asyncpg 0.32 raises it when a dropped
# connection is noticed in the middle of a query.
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS = (
    Migration(
        1,
        "create the documents table and its GIN index",
        (
            """
            CREATE TABLE documents (
                collection text NOT NULL,
                key text NOT NULL,
                doc jsonb NOT NULL,
                version integer NOT NULL CHECK (version > 0),
                PRIMARY KEY (collection, key)
            )
            """,
            # jsonb_path_ops indexes only the @> operator, which is all `find` uses, and is smaller than the default.
            "CREATE INDEX documents_doc_gin ON documents USING gin (doc jsonb_path_ops)",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version

_CREATE_MIGRATIONS_TABLE = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
"""


async def migrate(connection: asyncpg.Connection) -> list[Migration]:
    """Apply the migrations the database lacks and return them (empty when it is up to date).

    Raises StorageError when the database has a migration that this code
    lacks, because an older bot could then write data the newer schema does
    not expect.
    """
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_ID)
        await connection.execute(_CREATE_MIGRATIONS_TABLE)
        applied = {row["version"] for row in await connection.fetch("SELECT version FROM schema_migrations")}
        newest = max(applied, default=0)
        if newest > LATEST_VERSION:
            raise StorageError(
                f"the database schema is at migration {newest}, but this version of the bot has migrations "
                f"only up to {LATEST_VERSION}. Upgrade the bot before starting it on this database."
            )
        missing = [migration for migration in MIGRATIONS if migration.version not in applied]
        for migration in missing:
            for statement in migration.statements:
                await connection.execute(statement)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.version, migration.name
            )
            logger.info("applied database migration %d: %s", migration.version, migration.name)
    return missing


async def migrate_database(database_url: str) -> list[Migration]:
    """Connect, apply the missing migrations and disconnect. Raises StorageError when that fails."""
    where = display_url(database_url)
    try:
        connection = await asyncpg.connect(database_url)
    except DATABASE_ERRORS as error:
        raise StorageError(f"cannot connect to PostgreSQL at {where}: {type(error).__name__}: {error}") from error
    try:
        return await migrate(connection)
    except DATABASE_ERRORS as error:
        raise StorageError(f"cannot apply the database migrations at {where}: {type(error).__name__}: {error}") from error
    finally:
        await connection.close()
