"""Command-line reports: figures as JSON, the touch rows as CSV, or the chart as PNG.

    python -m reports --data data --from 2026-09-01 --to 2027-01-01 --format json

The range includes --from and excludes --to, both local dates in the
district's time zone. Exit codes: 0 on success, 1 when the output file
cannot be written, 2 for invalid options or settings, 3 when the data folder
cannot be opened (for example because the running bot has it open).
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from config import ConfigError, load_settings
from domain.clock import utc_now
from reports.build import build_report, report_context
from reports.chart import render_chart
from reports.export import figures_json, touches_csv
from reports.figures import touch_rows
from reports.query import SCHOOL_LEVELS, InvalidReportQuery, parse_query
from storage import DataFolderLocked, StorageError, TinyDBStore

EXIT_OK = 0
EXIT_WRITE_FAILED = 1
EXIT_INVALID_INPUT = 2
EXIT_DATA_UNAVAILABLE = 3
FORMATS = ("json", "csv", "png")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _build_parser().parse_args(argv)
    try:
        settings = load_settings(config_path=arguments.config)
        query = parse_query(arguments.start, arguments.end, settings.schools, arguments.school_level, arguments.school)
    except (ConfigError, InvalidReportQuery) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    if arguments.format == "png" and arguments.out is None:
        print("error: --format png needs --out FILE, because a PNG cannot be printed as text", file=sys.stderr)
        return EXIT_INVALID_INPUT

    folder = arguments.data or settings.data_dir
    if not folder.is_dir():
        print(f"error: the data folder {folder} was not found; pass the bot's data folder with --data", file=sys.stderr)
        return EXIT_INVALID_INPUT
    try:
        data, figures = asyncio.run(_load(folder, settings, query))
    except DataFolderLocked:
        print(
            f"error: the data folder {folder} is open in another process, probably the running bot. "
            "Only one process may open it at a time: stop the bot, or copy the folder and pass the copy with --data.",
            file=sys.stderr,
        )
        return EXIT_DATA_UNAVAILABLE
    except StorageError as error:
        print(f"error: the data folder {folder} cannot be read: {error}", file=sys.stderr)
        return EXIT_DATA_UNAVAILABLE

    if arguments.format == "json":
        output: str | bytes = figures_json(figures)
    elif arguments.format == "csv":
        output = touches_csv(touch_rows(data, query, report_context(settings, utc_now())))
    else:
        output = render_chart(figures).png
    return _write(output, arguments.out)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reports",
        description="Report teacher touches and the helpdesk's work for a range of local dates.",
    )
    parser.add_argument("--data", type=Path, help="the bot's data folder (default: the folder in the settings)")
    parser.add_argument("--config", type=Path, help="helpdesk config file (default: HELPDESK_CONFIG or config/helpdesk.yaml)")
    parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD", help="first local date in the report")
    parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD", help="local date after the last one in the report (excluded)")
    parser.add_argument("--format", choices=FORMATS, default="json", help="json: every figure; csv: the touch rows; png: the chart (default: json)")
    parser.add_argument("--out", type=Path, help="file to write (default: standard output, except for png)")
    parser.add_argument("--school-level", choices=SCHOOL_LEVELS, help="only schools of this level")
    parser.add_argument("--school", help="only this school, as named in the school directory")
    return parser


async def _load(folder: Path, settings, query):
    store = TinyDBStore(folder)
    await store.open()
    try:
        return await build_report(store, settings, query, utc_now())
    finally:
        await store.close()


def _write(output: str | bytes, out: Path | None) -> int:
    if out is None:
        sys.stdout.write(output)
        return EXIT_OK
    try:
        if isinstance(output, bytes):
            out.write_bytes(output)
        else:
            out.write_text(output, encoding="utf-8")
    except OSError as error:
        print(f"error: cannot write {out}: {error.strerror or error}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
