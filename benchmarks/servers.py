"""Serve one bot of the turn benchmark on 127.0.0.1, in a process of its own.

Usage: python -m benchmarks.servers KIND [--data-dir DIR] [--profile FILE]

KIND is one of `echo` (the stock echo sample), `echo-cached` (the same with
`ConnectorClientCache`), `raw` (plain aiohttp) or `helpdesk` (this bot,
built by `bot.build_app` on an empty data folder). The process prints one
JSON line with the URL it listens on, then serves until SIGTERM or SIGINT.
With --profile it runs under cProfile and writes the statistics to FILE
when it stops.
"""

import argparse
import asyncio
import cProfile
import json
import logging
import signal
import sys
import tempfile
from pathlib import Path

from aiohttp import web

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
KINDS = ("echo", "echo-cached", "raw", "helpdesk")


def build(kind: str, data_dir: Path) -> web.Application:
    """Return the aiohttp app of the named bot."""
    from benchmarks.echo_bot import build_echo_app, build_raw_app

    if kind == "echo":
        return build_echo_app()
    if kind == "echo-cached":
        return build_echo_app(cached_connectors=True)
    if kind == "raw":
        return build_raw_app()
    from bot import build_app
    from config import load_settings

    settings = load_settings(
        environ={"HELPDESK_DATA_DIR": str(data_dir)}, config_path=REPOSITORY_ROOT / "config" / "helpdesk.yaml"
    )
    return build_app(settings)


async def serve(kind: str, data_dir: Path) -> None:
    runner = web.AppRunner(build(kind, data_dir), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    print(json.dumps({"kind": kind, "url": f"http://127.0.0.1:{port}/api/messages"}), flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve one bot of the turn benchmark on 127.0.0.1.")
    parser.add_argument("kind", choices=KINDS, help="which bot to serve")
    parser.add_argument("--data-dir", type=Path, help="data folder of the helpdesk bot (default: a new temporary folder)")
    parser.add_argument("--profile", type=Path, help="run under cProfile and write its statistics to this file")
    args = parser.parse_args(argv)
    # Only warnings are logged, so no bot of the comparison pays for writing lines per turn.
    # NOTE: the helpdesk's default LOG_LEVEL is INFO, which adds one log line per new request.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as scratch:
        data_dir = args.data_dir or Path(scratch) / "data"
        if args.profile is None:
            asyncio.run(serve(args.kind, data_dir))
            return 0
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            asyncio.run(serve(args.kind, data_dir))
        finally:
            profiler.disable()
            profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    if str(REPOSITORY_ROOT) not in sys.path:
        sys.path.insert(0, str(REPOSITORY_ROOT))
    sys.exit(main())
