"""Storage commands: apply PostgreSQL migrations, and copy a TinyDB data folder into PostgreSQL.

    python -m storage migrate --database-url postgresql://helpdesk@127.0.0.1:5432/helpdesk
    python -m storage copy --from-tinydb data --to-database-url postgresql://helpdesk@127.0.0.1:5432/helpdesk

Both URLs default to HELPDESK_DATABASE_URL. Exit codes: 0 done, 1 the
copy does not match its source, 2 invalid arguments or a storage error.
"""

import argparse
import asyncio
import os
import sys

from storage.database_url import check_database_url, display_url
from storage.errors import StorageError
from storage.postgres_migrations import LATEST_VERSION, migrate_database
from storage.tinydb_copy import CollectionCheck, copy_tinydb_to_postgres

EXIT_MISMATCH = 1
EXIT_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = args.database_url
    if not url:
        option = "--database-url" if args.command == "migrate" else "--to-database-url"
        print(f"error: the database URL is missing. Pass {option} or set HELPDESK_DATABASE_URL.", file=sys.stderr)
        return EXIT_ERROR
    try:
        check_database_url(url)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.command == "migrate":
            return asyncio.run(_migrate(url))
        return asyncio.run(_copy(args.from_tinydb, url, args.replace))
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR


async def _migrate(url: str) -> int:
    applied = await migrate_database(url)
    for migration in applied:
        print(f"Applied migration {migration.version}: {migration.name}.")
    state = "now" if applied else "already"
    print(f"The database at {display_url(url)} is {state} at migration {LATEST_VERSION}.")
    return 0


async def _copy(folder: str, url: str, replace: bool) -> int:
    copied, checks = await copy_tinydb_to_postgres(folder, url, replace=replace)
    print(f"Copied {copied} documents from the TinyDB folder {folder} to {display_url(url)}.")
    print(_report(checks))
    mismatched = [check.collection for check in checks if not check.matches]
    if mismatched:
        print(
            f"Verification failed for {', '.join(mismatched)}: the database does not hold the same documents as the folder. "
            "The copied rows stay in the database; fix the cause, then copy again with --replace.",
            file=sys.stderr,
        )
        return EXIT_MISMATCH
    print(f"Verified: all {len(checks)} collections have the same documents in both stores.")
    return 0


def _report(checks: list[CollectionCheck]) -> str:
    width = max([len("collection"), *(len(check.collection) for check in checks)])
    lines = [f"{'collection':<{width}}  {'source':>8}  {'target':>8}  sha256 (first 12 hex digits)"]
    for check in checks:
        outcome = check.source_checksum[:12] if check.matches else f"MISMATCH {check.source_checksum[:12]} != {check.target_checksum[:12]}"
        lines.append(f"{check.collection:<{width}}  {check.source_count:>8}  {check.target_count:>8}  {outcome}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m storage", description="Storage commands for the helpdesk's PostgreSQL backend.")
    commands = parser.add_subparsers(dest="command", required=True)
    default_url = os.environ.get("HELPDESK_DATABASE_URL", "")

    migrate = commands.add_parser("migrate", help="apply the schema migrations the database lacks (running it again changes nothing)")
    migrate.add_argument("--database-url", default=default_url, help="postgresql:// URL of the database (default: HELPDESK_DATABASE_URL)")

    copy = commands.add_parser("copy", help="copy a TinyDB data folder into an empty PostgreSQL database and verify it")
    copy.add_argument("--from-tinydb", required=True, metavar="DIR", help="the TinyDB data folder (stop the bot that uses it first)")
    copy.add_argument(
        "--to-database-url", dest="database_url", default=default_url, metavar="URL",
        help="postgresql:// URL of the target database (default: HELPDESK_DATABASE_URL)",
    )
    copy.add_argument("--replace", action="store_true", help="delete every document already in the target before copying")
    return parser


if __name__ == "__main__":
    sys.exit(main())
