"""Command line for personal data: `python -m privacy export|forget|purge --data DIR ...`.

It opens the TinyDB data folder itself, so the bot must be stopped first:
a folder that a running bot has open is rejected with a message saying so.
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path

from domain.clock import utc_now
from privacy.export import export_person
from privacy.forget import forget_person
from privacy.retention import purge_closed
from storage import DataFolderLocked, StorageError, TinyDBStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m privacy", description="Export or forget a person's data, or delete old closed requests.")
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser("export", help="write everything stored about a person as JSON")
    export.add_argument("--data", required=True, type=Path, help="the bot's TinyDB data folder")
    export.add_argument("--person", required=True, help="the person's Entra ID object id")
    export.add_argument("--output", type=Path, help="file to write (default: standard output)")

    forget = commands.add_parser("forget", help="delete a person's profile and pseudonymise every other record that names them")
    forget.add_argument("--data", required=True, type=Path, help="the bot's TinyDB data folder")
    forget.add_argument("--person", required=True, help="the person's Entra ID object id")

    purge = commands.add_parser("purge", help="delete closed requests older than a number of years")
    purge.add_argument("--data", required=True, type=Path, help="the bot's TinyDB data folder")
    purge.add_argument("--older-than-years", required=True, type=int, help="age in years of the last change of a closed request")

    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"Data folder {args.data} was not found; pass the folder the bot stores its data in.", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args))
    except DataFolderLocked as error:
        print(f"Cannot open the data folder: {error}. Stop the bot, then run this command again.", file=sys.stderr)
        return 3
    except (StorageError, ValueError) as error:
        print(f"Failed: {error}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace) -> int:
    store = TinyDBStore(args.data)
    await store.open()
    try:
        if args.command == "export":
            text = json.dumps(await export_person(store, args.person), ensure_ascii=False, indent=2)
            if args.output:
                args.output.write_text(text + "\n", encoding="utf-8")
                print(f"Wrote the data of {args.person} to {args.output}.")
            else:
                print(text)
        elif args.command == "forget":
            summary = await forget_person(store, args.person)
            print(f"Forgot {args.person}; their records now read {summary['pseudonym']}: " + json.dumps({k: v for k, v in summary.items() if k != "pseudonym"}))
        else:
            count = await purge_closed(store, args.older_than_years, utc_now())
            print(f"Deleted {count} closed requests older than {args.older_than_years} years.")
    finally:
        await store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
