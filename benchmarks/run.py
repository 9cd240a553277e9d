"""Run the turn and storage benchmarks, print one table and write benchmarks/results/turns_and_storage.json.

Usage, from the repository root: `.venv/bin/python -m benchmarks [options]`
(`--help` lists them; `--quick` is a short smoke run). docs/benchmarks.md
explains what each number measures. It is not a test and asserts nothing.
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from benchmarks import turns  # noqa: E402

DEFAULT_OUTPUT = REPOSITORY_ROOT / "benchmarks" / "results" / "turns_and_storage.json"
PACKAGES = ("botbuilder-core", "botframework-connector", "msrest", "aiohttp", "tinydb", "orjson")
STEP_TIMEOUT_SECONDS = 600


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark helpdesk turns against the stock echo bot, and the TinyDB storage.")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the turn benchmark (default 3)")
    parser.add_argument("--latency-turns", type=int, default=300, help="turns per bot and round with one teacher (default 300)")
    parser.add_argument("--load-turns", type=int, default=1500, help="turns per bot and round with many teachers (default 1500)")
    parser.add_argument("--concurrency", type=int, default=32, help="teachers posting at once in the load runs (default 32)")
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds after which one run stops early (default 30)")
    parser.add_argument("--small", type=int, default=1_000, help="requests stored in the small data folder (default 1000)")
    parser.add_argument("--large", type=int, default=100_000, help="requests stored in the large data folder (default 100000)")
    parser.add_argument("--writes", type=int, default=1000, help="timed writes per data folder (default 1000)")
    parser.add_argument("--stock-writes", type=int, default=5, help="timed inserts into stock TinyDB per size (default 5)")
    parser.add_argument("--skip-turns", action="store_true", help="run only the storage benchmark")
    parser.add_argument("--skip-storage", action="store_true", help="run only the turn benchmark")
    parser.add_argument("--quick", action="store_true", help="a short smoke run: 1 round, 10,000 requests, few writes")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON file to write (default {DEFAULT_OUTPUT.relative_to(REPOSITORY_ROOT)})")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.latency_turns, args.load_turns = 1, 100, 300
        args.large, args.writes, args.stock_writes = 10_000, 200, 2

    results: dict[str, Any] = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": _machine()}
    if not args.skip_turns:
        settings = turns.TurnSettings(args.rounds, args.latency_turns, args.load_turns, args.concurrency, args.time_limit)
        results["turns"] = asyncio.run(turns.run(settings, _log))
    if not args.skip_storage:
        results["storage"] = _storage(args)

    print(format_table(results))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    return 0


def _storage(args: argparse.Namespace) -> dict[str, Any]:
    """Run each storage step in a fresh process, on folders in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-storage-") as scratch:
        small, large = Path(scratch) / "small", Path(scratch) / "large"
        result: dict[str, Any] = {}
        _log(f"building data folders with {args.small} and {args.large} requests")
        result["build_small"] = _step("build", small, args.small)
        result["build_large"] = _step("build", large, args.large)
        _log("opening the large folder in a fresh process")
        result["open_large"] = _step("open", large)
        result["open_small"] = _step("open", small)
        _log(f"timing {args.writes} writes against each folder")
        result["writes"] = _step("writes", small, large, args.writes)
        _log(f"timing {args.stock_writes} inserts into stock TinyDB at each size")
        result["stock_small"] = _step("stock", args.small, args.stock_writes)
        result["stock_large"] = _step("stock", args.large, args.stock_writes)
    return result


def _step(*arguments: Any) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.storage_tinydb", *map(str, arguments)],
        cwd=REPOSITORY_ROOT, capture_output=True, text=True, timeout=STEP_TIMEOUT_SECONDS, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"storage step {arguments[0]} failed with exit code {completed.returncode}: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def format_table(results: dict[str, Any]) -> str:
    lines = []
    if "turns" in results:
        bots, ratios = results["turns"]["bots"], results["turns"]["ratios"]
        concurrency = results["turns"]["settings"]["concurrency"]
        lines.append(f"{'bot':<13} {'p50 ms':>8} {'p99 ms':>8} {f'p50@{concurrency}':>9} {f'p99@{concurrency}':>9} {f'turns/s@{concurrency}':>12}")
        for kind in turns.KINDS:
            row = bots[kind]
            lines.append(
                f"{kind:<13} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['loaded_p50_ms']:>9.1f} "
                f"{row['loaded_p99_ms']:>9.1f} {row['turns_per_second']:>12.0f}"
            )
        lines.append("")
        lines.append("ratios (median over rounds)            p50     turns/s")
        for kind in ("helpdesk", "echo-cached"):
            for reference in ("echo", "raw"):
                lines.append(
                    f"  {kind + ' vs ' + reference:<36} {ratios[f'{kind}_p50_vs_{reference}']:>5.2f}x "
                    f"{ratios[f'{kind}_throughput_vs_{reference}']:>8.2f}x"
                )
    if "storage" in results:
        storage = results["storage"]
        writes = storage["writes"]
        small, large = storage["build_small"]["requests"], storage["build_large"]["requests"]
        compaction = writes["compaction"]
        lines.append("")
        lines.append(f"storage: write (request + event + intake, fsynced)   p50 ms   p99 ms   at {small:,} / {large:,} requests")
        lines.append(f"  TinyDB store         {writes['small']['p50_ms']:>7.2f} / {writes['large']['p50_ms']:<7.2f} {writes['small']['p99_ms']:>7.2f} / {writes['large']['p99_ms']:<7.2f}"
                     f" ratio p50 {writes['large']['p50_ms'] / writes['small']['p50_ms']:.2f}x")
        stock_small, stock_large = storage["stock_small"], storage["stock_large"]
        lines.append(f"  stock TinyDB insert  {stock_small['p50_ms']:>7.2f} / {stock_large['p50_ms']:<7.1f}"
                     f" ratio p50 {stock_large['p50_ms'] / stock_small['p50_ms']:.0f}x; stock / store at {large:,}: "
                     f"{stock_large['p50_ms'] / writes['large']['p50_ms']:.0f}x")
        during = compaction["during"] or {}
        lines.append(f"  compaction at {large:,}: inline compact() {compaction['inline_compact_ms']:.0f} ms; background run "
                     f"{compaction['background_seconds']:.2f} s, starting write {compaction['starting_write_ms']:.1f} ms, "
                     f"{compaction['writes_during']} writes during it p50 {during.get('p50_ms', float('nan')):.2f} / "
                     f"p99 {during.get('p99_ms', float('nan')):.1f} / max {during.get('max_ms', float('nan')):.1f} ms")
        opened = storage["open_large"]
        lines.append(f"  start-up at {large:,} requests + {storage['build_large']['events']:,} events: store {opened['store_open_seconds']:.2f} s, "
                     f"app services {opened['services_open_seconds']:.2f} s, RSS {opened['rss_after_store_open_mb']:.0f} MB after open "
                     f"(peak {opened['rss_peak_mb']:.0f} MB); snapshot {storage['build_large']['folder_bytes'] / 1e6:.0f} MB")
    return "\n".join(lines)


def _machine() -> dict[str, Any]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "packages": versions,
    }


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
