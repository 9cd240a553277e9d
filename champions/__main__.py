"""Champion directory commands: import champions from a CSV or YAML file, list them, or remove one.

    python -m champions import champions.csv --data data
    python -m champions list --data data
    python -m champions remove 00000000-0000-0000-0000-000000000031 --data data

The import checks every row against the school directory and the service
catalogue of the settings first; if any row is bad it prints each problem
with its line number and stores nothing. Without --data the command uses the
bot's storage from the settings (its data folder, or PostgreSQL when
HELPDESK_DATABASE_URL is set). Exit codes: 0 done, 2 invalid input or
settings, 3 the storage cannot be opened (for example because the running
bot has the data folder open).
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from champions.directory import ChampionDirectory
from champions.importer import ChampionImportError, load_champions
from config import ConfigError, Settings, load_settings
from domain.errors import NotFound
from storage import DataFolderLocked, PostgresStore, StorageError, Store, TinyDBStore

EXIT_OK = 0
EXIT_INVALID_INPUT = 2
EXIT_DATA_UNAVAILABLE = 3


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        settings = load_settings(config_path=arguments.config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    if arguments.data is not None and not arguments.data.is_dir():
        print(f"error: the data folder {arguments.data} was not found; pass the bot's data folder (HELPDESK_DATA_DIR)", file=sys.stderr)
        return EXIT_INVALID_INPUT
    try:
        if arguments.command == "import":
            imported = load_champions(arguments.file, settings.catalogue, settings.schools)
            return asyncio.run(_run(settings, arguments.data, lambda directory: _import(directory, imported, arguments.file)))
        if arguments.command == "list":
            return asyncio.run(_run(settings, arguments.data, _list))
        return asyncio.run(_run(settings, arguments.data, lambda directory: _remove(directory, arguments.id)))
    except ChampionImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except NotFound as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except DataFolderLocked:
        print(
            "error: the data folder is open in another process, probably the running bot. "
            "Stop the bot, run this command, then start the bot again.",
            file=sys.stderr,
        )
        return EXIT_DATA_UNAVAILABLE
    except StorageError as error:
        print(f"error: the storage cannot be used: {error}", file=sys.stderr)
        return EXIT_DATA_UNAVAILABLE


async def _run(settings: Settings, folder: Path | None, command) -> int:
    store: Store
    if folder is not None:
        store = TinyDBStore(folder)
    elif settings.database_url:
        store = PostgresStore(settings.database_url)
    else:
        store = TinyDBStore(settings.data_dir)
    await store.open()
    try:
        return await command(ChampionDirectory(store))
    finally:
        await store.close()


async def _import(directory: ChampionDirectory, imported, path: Path) -> int:
    champions = [item.champion for item in imported]
    keep = [item.champion.id for item in imported if not item.sets_availability]
    added, updated = await directory.save_all(champions, keep_availability=keep)
    print(f"Imported {len(champions)} champion(s) from {path}: {added} added, {updated} updated.")
    return EXIT_OK


async def _list(directory: ChampionDirectory) -> int:
    champions = await directory.all()
    if not champions:
        print("The champion directory is empty. Import champions with: python -m champions import FILE")
        return EXIT_OK
    for champion in champions:
        state = "available" if champion.available else "unavailable"
        print(f"{champion.id}  {champion.name} <{champion.upn}>  {champion.school}  {', '.join(champion.categories)}  capacity {champion.monthly_capacity}/month  {state}")
    return EXIT_OK


async def _remove(directory: ChampionDirectory, champion_id: str) -> int:
    await directory.remove(champion_id)
    print(f"Removed champion {champion_id}; their past matches and teacher touches stay.")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m champions", description="Maintain the Technology Champion directory.")
    parser.add_argument("--config", type=Path, help="helpdesk config file (default: HELPDESK_CONFIG or config/helpdesk.yaml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    import_command = commands.add_parser(
        "import",
        help="add or update champions from a CSV or YAML file",
        description="Check every row first; if any row is invalid, print each problem with its line and store nothing.",
    )
    import_command.add_argument("file", type=Path, help=".csv, .yaml or .yml file with id, name, upn, school, categories, monthly_capacity[, available]")
    _add_data_option(import_command)

    list_command = commands.add_parser("list", help="print every champion")
    _add_data_option(list_command)

    remove = commands.add_parser("remove", help="delete a champion from the directory (past matches and touches stay)")
    remove.add_argument("id", help="the champion's Entra ID object id")
    _add_data_option(remove)
    return parser


def _add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help="the bot's TinyDB data folder (default: the storage in the settings)")


if __name__ == "__main__":
    sys.exit(main())
