"""The turn benchmark: the same simulated teachers against four bots, measured side by side.

Each bot runs in its own process (`benchmarks.servers`); the load and the
connector sink run in this one. Every round measures each bot in turn,
first one teacher at a time (latency) and then many at once (throughput),
so slow phases of a noisy machine hit all bots alike. Ratios are taken per
round and their median reported.
"""

import asyncio
import json
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.load import Teachers, TurnStats, check_echo, check_intake, median, percentile, run_turns
from benchmarks.sink import ConnectorSink

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
KINDS = ("echo", "echo-cached", "raw", "helpdesk")
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
WARM_UP_TURNS = 200


@dataclass
class TurnSettings:
    rounds: int = 3
    latency_turns: int = 300
    load_turns: int = 1500
    concurrency: int = 32
    time_limit_seconds: float = 30.0


@dataclass
class BotResults:
    """Every round's latency run (one teacher) and load run (`concurrency` teachers) of one bot."""

    latency: list[TurnStats] = field(default_factory=list)
    load: list[TurnStats] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        latencies = [value for stats in self.latency for value in stats.latencies_ms]
        loaded = [value for stats in self.load for value in stats.latencies_ms]
        return {
            "turns": len(latencies) + len(loaded),
            "p50_ms": median(latencies),
            "p99_ms": percentile(latencies, 0.99),
            "loaded_p50_ms": median(loaded),
            "loaded_p99_ms": percentile(loaded, 0.99),
            "turns_per_second": median([stats.turns_per_second for stats in self.load]),
            "rounds_p50_ms": [stats.percentile(0.5) for stats in self.latency],
            "rounds_turns_per_second": [stats.turns_per_second for stats in self.load],
        }


class BotProcess:
    """One bot served by `python -m benchmarks.servers KIND` in a child process."""

    def __init__(self, kind: str):
        self.kind = kind
        self.process: subprocess.Popen | None = None
        self.url = ""

    async def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.servers", self.kind], cwd=REPOSITORY_ROOT, stdout=subprocess.PIPE
        )
        loop = asyncio.get_running_loop()
        try:
            line = await asyncio.wait_for(loop.run_in_executor(None, self.process.stdout.readline), START_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            raise RuntimeError(f"the {self.kind} bot did not start within {START_TIMEOUT_SECONDS} s") from None
        if not line:
            raise RuntimeError(f"the {self.kind} bot exited with {self.process.wait()} before listening")
        self.url = json.loads(line)["url"]

    def stop(self) -> None:
        """Stop the child by its PID: SIGTERM, then SIGKILL if it has not exited in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def run(settings: TurnSettings, log) -> dict[str, Any]:
    """Run every round against every bot and return the summaries and the per-round ratios."""
    sink = ConnectorSink()
    await sink.start()
    bots = [BotProcess(kind) for kind in KINDS]
    results = {kind: BotResults() for kind in KINDS}
    try:
        for bot in bots:
            await bot.start()
        teachers = Teachers(sink.url)
        connector = aiohttp.TCPConnector(limit=settings.concurrency * 2)
        async with aiohttp.ClientSession(connector=connector) as session:
            for bot in bots:
                activity, check = _turn_of(bot.kind, teachers)
                await run_turns(session, bot.url, activity, check, WARM_UP_TURNS, 1, settings.time_limit_seconds)
                await run_turns(session, bot.url, activity, check, WARM_UP_TURNS, settings.concurrency, settings.time_limit_seconds)
            for number in range(settings.rounds):
                # Rotating the order keeps any one bot from always running first in a round.
                for bot in bots[number % len(bots):] + bots[: number % len(bots)]:
                    activity, check = _turn_of(bot.kind, teachers)
                    latency = await run_turns(session, bot.url, activity, check, settings.latency_turns, 1, settings.time_limit_seconds)
                    load = await run_turns(
                        session, bot.url, activity, check, settings.load_turns, settings.concurrency, settings.time_limit_seconds
                    )
                    results[bot.kind].latency.append(latency)
                    results[bot.kind].load.append(load)
                    log(
                        f"round {number + 1}/{settings.rounds} {bot.kind}: p50 {latency.percentile(0.5):.2f} ms, "
                        f"{load.turns_per_second:.0f} turns/s at {settings.concurrency} teachers"
                    )
    finally:
        for bot in bots:
            bot.stop()
        await sink.stop()

    summaries = {kind: result.summary() for kind, result in results.items()}
    return {
        "settings": settings.__dict__,
        "bots": summaries,
        "ratios": _ratios(results),
        "connector_calls": sink.received,
    }


def _turn_of(kind: str, teachers: Teachers):
    if kind == "helpdesk":
        return teachers.intake, check_intake
    return teachers.message, check_echo


def _ratios(results: dict[str, BotResults]) -> dict[str, float]:
    """Return the median over rounds of each bot's p50 and throughput against the stock echo bot and raw aiohttp."""
    ratios = {}
    for kind in ("helpdesk", "echo-cached"):
        for reference in ("echo", "raw"):
            p50 = [mine.percentile(0.5) / theirs.percentile(0.5) for mine, theirs in zip(results[kind].latency, results[reference].latency)]
            rate = [mine.turns_per_second / theirs.turns_per_second for mine, theirs in zip(results[kind].load, results[reference].load)]
            ratios[f"{kind}_p50_vs_{reference}"] = median(p50)
            ratios[f"{kind}_throughput_vs_{reference}"] = median(rate)
    return ratios
