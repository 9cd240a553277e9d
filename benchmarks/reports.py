"""Benchmark of the full report over a large district's year, read from a real TinyDB data folder.

Generates 100,000 requests by default, spread over the school year
September 2026 to June 2027 and the schools of config/schools.csv, as the
helpdesk stores them: full request documents, their teacher touches (one
per attendee for small-group sessions) and their history events (filing,
the steps to a resolution, ratings, reopenings, automatic closes). It
writes them to a TinyDB store in a temporary folder, compacts it, and opens
it again as the bot does at start-up. Then it times, over that year:

* reading the documents (`load_report_data`), computing the figures
  (`compute_report`), and both together (`build_report`, the path of the
  `report` command and the dashboard), as the median and maximum of
  several runs, in seconds;
* the peak memory of one `build_report`: Python allocations (tracemalloc,
  in a separate run because tracing slows the code) and the growth of the
  resident set size (RSS) over what the process held before, and the RSS
  that the first report after opening adds for the rows the store keeps;
* `compute_report` for one school level, the CSV rows and text of every
  touch, and the chart PNG.

It records the machine's load average before and after the timed runs,
because other processes on this shared machine slow every step. It prints
the figures and writes them to benchmarks/results/reports.json. Run from
the repository root: `.venv/bin/python benchmarks/reports.py`. It needs
about 1.5 GB of free memory and 400 MB of temporary disk space, and takes
about 90 seconds. It is not a test and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from benchmarks.load import DESCRIPTIONS  # noqa: E402
from benchmarks.machine import machine_facts  # noqa: E402
from config import load_settings  # noqa: E402
from domain.request import Event, Request, Touch  # noqa: E402
from reports import (  # noqa: E402
    ReportQuery,
    build_report,
    compute_report,
    load_report_data,
    render_chart,
    report_context,
    touch_rows,
    touches_csv,
)
from storage import Put, TinyDBStore  # noqa: E402

DEFAULT_OUTPUT = REPOSITORY_ROOT / "benchmarks" / "results" / "reports.json"
YEAR_START = datetime(2026, 9, 1, 15, tzinfo=timezone.utc)
YEAR_DAYS = 300
NOW = datetime(2027, 6, 30, 20, tzinfo=timezone.utc)
QUERY = ReportQuery(date(2026, 9, 1), date(2027, 7, 1))
CATEGORIES = ("general-o365", "onedrive", "onenote", "teams-classes", "teams-assignments", "teams-meetings", "forms", "sway", "flip")
# Share of requests that end at each outcome: (level or None when still open, share).
OUTCOMES = ((0, 0.40), (1, 0.33), (2, 0.10), (3, 0.05), (4, 0.05), (5, 0.03), (None, 0.04))
TOUCH_KINDS = ("self_help", "remote", "small_group", "champion", "site_visit", "in_class")
SESSION_ATTENDEES = 3
TSTS = tuple(f"tst-{index}" for index in range(12))
TRIAGER = "triager-1"
# Requests written to the store per batch while it is filled.
FILL_BATCH_REQUESTS = 500


@dataclass
class RequestDocuments:
    """One request as the helpdesk stores it: its document, touches and history events."""

    request: dict[str, Any]
    touches: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def generate(requests: int, schools: list[str], randomizer: random.Random) -> Iterator[RequestDocuments]:
    """Yield synthetic requests for one school year, with their touches and history events."""
    levels = [outcome for outcome, _ in OUTCOMES]
    weights = [share for _, share in OUTCOMES]
    for number in range(1, requests + 1):
        created = YEAR_START + timedelta(minutes=randomizer.randrange(YEAR_DAYS * 24 * 60))
        school = randomizer.choice(schools)
        teacher = f"teacher-{randomizer.randrange(2600)}"
        category = randomizer.choice(CATEGORIES)
        level = randomizer.choices(levels, weights)[0]
        request = Request(
            number=number, teacher_id=teacher, teacher_name=teacher.replace("-", " ").title(), category=category,
            description=DESCRIPTIONS[number % len(DESCRIPTIONS)], scope="one_to_one", school=school, grade="Grade 7",
            subject="Science", urgency="this_week", status="resolved", level=level, created_at=_iso(created),
            updated_at=_iso(created), suggested_articles=["kb-onenote-create-notebook", "kb-onenote-class-notebook-app"],
            intake_id=f"intake-{number}",
        )
        documents = RequestDocuments(request.to_doc())
        documents.events.append(_event(number, 1, "created", teacher, request.created_at, {}, {"status": "suggested"}))
        if randomizer.random() < 0.01:
            resolved_at = _iso(created + timedelta(minutes=30))
            documents.request.update(status="closed", level=None, merged_into=max(1, number - 1), resolved_at=resolved_at)
            documents.events.append(_event(number, 2, "merged", TRIAGER, resolved_at, {"status": "awaiting_triage"}, {"status": "closed"}))
        elif level is None:
            documents.request.update(status=randomizer.choice(("awaiting_triage", "routed", "claimed", "in_progress")), level=1)
            documents.events.append(_event(number, 2, "self_help_declined", teacher, request.created_at, {"status": "suggested"}, {"status": "awaiting_triage"}))
        else:
            _resolve(documents, level, created, randomizer)
        yield documents


def _resolve(documents: RequestDocuments, level: int, created: datetime, randomizer: random.Random) -> None:
    """Resolve a request at `level`, with its touches, the events of its steps and maybe a rating and a reopening."""
    doc = documents.request
    number, teacher = doc["number"], doc["teacher_id"]
    responded = created + timedelta(hours=randomizer.uniform(0.2, 30)) if level else None
    resolved = created + timedelta(hours=randomizer.uniform(0.1, 200))
    resolved_at = _iso(max(resolved, responded or resolved))
    doc.update(first_response_at=_iso(responded) if responded else None, resolved_at=resolved_at, updated_at=resolved_at)
    by_id = teacher if level == 0 else randomizer.choice(TSTS)
    attendees = [teacher] + [f"teacher-{randomizer.randrange(2600)}" for _ in range(SESSION_ATTENDEES - 1)] if level == 2 else [teacher]
    if level:
        documents.events.append(_event(number, 2, "self_help_declined", teacher, doc["created_at"], {"status": "suggested"}, {"status": "awaiting_triage"}))
        documents.events.append(_event(number, 3, "claimed", by_id, doc["first_response_at"], {"status": "awaiting_triage"}, {"status": "claimed", "owner_id": by_id}))
    documents.events.append(_event(number, 4, "resolved", by_id, resolved_at, {"status": "claimed"}, {"status": "resolved", "level": level}))
    for seq, attendee in enumerate(attendees, start=5):
        touch = Touch(number, seq, attendee, doc["school"], doc["category"], level, TOUCH_KINDS[level], resolved_at, by_id)
        documents.touches.append(touch.to_doc())
    if randomizer.random() < 0.5:
        rating = randomizer.randint(1, 5)
        doc.update(status="closed", rating=rating)
        documents.events.append(_event(number, 9, "rated", teacher, resolved_at, {"status": "resolved"}, {"rating": rating, "status": "closed"}))
    if randomizer.random() < 0.02:
        documents.events.append(_event(number, 10, "reopened", teacher, resolved_at, {"status": "closed"}, {"rating": None, "status": "awaiting_triage"}))


def _event(number: int, seq: int, event_type: str, actor: str, at: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return Event(number, seq, event_type, actor, actor.replace("-", " ").title(), at, before, after).to_doc()


async def fill_store(folder: Path, requests: int, schools: list[str], seed: int) -> dict[str, Any]:
    """Write the generated year to a TinyDB store in `folder` and compact it. Return the counts, the seconds taken and the folder size in MiB."""
    started = time.perf_counter()
    counts = {"requests": 0, "touches": 0, "events": 0}
    store = TinyDBStore(folder)
    await store.open()
    try:
        ops: list[Put] = []
        for documents in generate(requests, schools, random.Random(seed)):
            ops.append(Put("requests", str(documents.request["number"]), documents.request))
            ops += [Put("touches", f"{doc['request']}-{doc['seq']:05d}", doc) for doc in documents.touches]
            ops += [Put("events", f"{doc['request']}-{doc['seq']:05d}", doc) for doc in documents.events]
            counts["requests"] += 1
            counts["touches"] += len(documents.touches)
            counts["events"] += len(documents.events)
            if counts["requests"] % FILL_BATCH_REQUESTS == 0:
                await store.apply(ops)
                ops = []
        people = [Put("people", tst, {"id": tst, "name": tst.upper()}) for tst in (*TSTS, TRIAGER)]
        await store.apply([*ops, *people, Put("counters", "requests", {"value": requests})])
        store.compact()
    finally:
        await store.close()
    folder_bytes = sum(path.stat().st_size for path in folder.iterdir())
    return {**counts, "seconds": round(time.perf_counter() - started, 1), "folder_mib": round(folder_bytes / 2**20, 1)}


async def time_runs(function: Callable[[], Awaitable[Any]], runs: int) -> dict[str, float]:
    """Run an async function `runs` times and return the first, median and maximum seconds."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        await function()
        seconds.append(time.perf_counter() - started)
    return {"first_seconds": round(seconds[0], 3), "median_seconds": round(statistics.median(seconds), 3), "max_seconds": round(max(seconds), 3)}


async def timed_report_steps(store: TinyDBStore, settings: Any, context: Any, runs: int) -> dict[str, dict[str, float]]:
    """Time `load_report_data`, `compute_report` and `build_report`, interleaved run by run so all three see the same machine load."""
    load_seconds, compute_seconds, total_seconds = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        data = await load_report_data(store)
        loaded = time.perf_counter()
        compute_report(data, QUERY, context)
        computed = time.perf_counter()
        load_seconds.append(loaded - started)
        compute_seconds.append(computed - loaded)
        del data

        started = time.perf_counter()
        await build_report(store, settings, QUERY, NOW)
        total_seconds.append(time.perf_counter() - started)
    return {"load": _summary(load_seconds), "compute": _summary(compute_seconds), "build_report": _summary(total_seconds)}


def _summary(seconds: list[float]) -> dict[str, float]:
    return {"first_seconds": round(seconds[0], 3), "median_seconds": round(statistics.median(seconds), 3), "max_seconds": round(max(seconds), 3)}


async def traced_peak_mib(function: Callable[[], Awaitable[Any]]) -> float:
    """Return the peak of Python allocations (tracemalloc) while `function` runs, in MiB."""
    tracemalloc.start()
    try:
        await function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


async def rss_growth_mib(function: Callable[[], Awaitable[Any]]) -> dict[str, float | None]:
    """Return the process RSS before `function` runs, its peak while it runs and the RSS after, in MiB.

    The peak is VmHWM from /proc/self/status after resetting it by writing
    5 to /proc/self/clear_refs, which Linux supports. Where that write fails
    the peak is None.
    """
    before = _status_mib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        await function()
        return {"before_mib": before, "peak_mib": None, "growth_mib": None, "after_mib": _status_mib("VmRSS")}
    await function()
    peak = _status_mib("VmHWM")
    growth = round(peak - before, 1) if peak is not None and before is not None else None
    return {"before_mib": before, "peak_mib": peak, "growth_mib": growth, "after_mib": _status_mib("VmRSS")}


def _status_mib(name: str) -> float | None:
    """Return a memory line of /proc/self/status (given in kB) in MiB, or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(name + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def load_averages() -> list[float]:
    """Return the 1-, 5- and 15-minute load averages. A value above the CPU count means processes waited for a CPU."""
    return [round(value, 2) for value in os.getloadavg()]


async def measure(folder: Path, settings: Any, runs: int, filled: dict[str, Any]) -> dict[str, Any]:
    """Open the filled store as the bot does and time every step of the report over it."""
    context = report_context(settings, NOW)
    secondary = ReportQuery(QUERY.start, QUERY.end, school_level="secondary")
    started = time.perf_counter()
    store = TinyDBStore(folder)
    await store.open()
    open_seconds = time.perf_counter() - started
    try:
        # The first report also builds the store's index of events by type and the
        # projections that the store keeps for later reports, which stay in memory.
        results: list[Any] = []
        started = time.perf_counter()
        first_report_rss = await rss_growth_mib(lambda: _append(results, build_report(store, settings, QUERY, NOW)))
        first_report_seconds = time.perf_counter() - started
        data, figures = results[0]
        load_before = load_averages()
        steps = await timed_report_steps(store, settings, context, runs)
        load_after = load_averages()
        return {
            **filled,
            "range": QUERY.to_dict(),
            "open_seconds": round(open_seconds, 2),
            "first_build_report_seconds": round(first_report_seconds, 3),
            "first_build_report_rss": first_report_rss,
            "load_average_before": load_before,
            "load_average_after": load_after,
            **steps,
            "build_report_peak_traced_mib": await traced_peak_mib(lambda: build_report(store, settings, QUERY, NOW)),
            "build_report_rss": await rss_growth_mib(lambda: build_report(store, settings, QUERY, NOW)),
            "secondary_schools_compute": await time_runs(_as_async(lambda: compute_report(data, secondary, context)), runs),
            "csv_rows_and_text": await time_runs(_as_async(lambda: touches_csv(touch_rows(data, QUERY, context))), max(1, runs // 2)),
            "chart_png": await time_runs(_as_async(lambda: render_chart(figures)), runs),
            "figures_checked": {
                "touches": figures["touches"]["total"],
                "filed": figures["requests"]["filed"],
                "teachers_reached": figures["teachers"]["reached"],
                "resolution_count": figures["response_times"]["resolution"]["count"],
                "ratings": figures["ratings"]["count"],
            },
        }
    finally:
        await store.close()


async def _append(results: list[Any], awaitable: Awaitable[Any]) -> None:
    results.append(await awaitable)


def _as_async(function: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
    async def run() -> Any:
        return function()

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the full report over a school year of synthetic requests in a TinyDB data folder.")
    parser.add_argument("--requests", type=int, default=100_000, help="number of requests to generate (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each step (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=43, help="random seed (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="JSON file to write (default: %(default)s)")
    arguments = parser.parse_args(argv)

    settings = load_settings(environ={}, config_path=REPOSITORY_ROOT / "config" / "helpdesk.yaml")
    schools = [school.name for school in settings.schools.schools]
    with tempfile.TemporaryDirectory(prefix="reports-benchmark-") as temporary:
        folder = Path(temporary) / "data"
        filled = asyncio.run(fill_store(folder, arguments.requests, schools, arguments.seed))
        print(f"filled {folder} with {filled['requests']:,} requests, {filled['touches']:,} touches and {filled['events']:,} events in {filled['seconds']} s")
        measured = asyncio.run(measure(folder, settings, arguments.runs, filled))

    report = {
        **measured,
        "machine": machine_facts("matplotlib", "tinydb", "orjson"),
        "runs": arguments.runs,
        "seed": arguments.seed,
    }
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_summary(report)
    print(f"wrote {arguments.out}")
    return 0


def print_summary(report: dict[str, Any]) -> None:
    first_rss = report["first_build_report_rss"]
    print(
        f"store: {report['folder_mib']} MiB on disk, opened in {report['open_seconds']} s; "
        f"first build_report after opening {report['first_build_report_seconds']} s, "
        f"RSS {first_rss['before_mib']} MiB before, {first_rss['after_mib']} MiB after"
    )
    print(f"load average (1, 5, 15 min): {report['load_average_before']} before, {report['load_average_after']} after the timed runs")
    for step in ("load", "compute", "build_report"):
        timing = report[step]
        print(f"{step:<13} median {timing['median_seconds']:.3f} s  max {timing['max_seconds']:.3f} s  first {timing['first_seconds']:.3f} s")
    rss = report["build_report_rss"]
    print(
        f"build_report memory: peak {report['build_report_peak_traced_mib']} MiB traced; "
        f"RSS {rss['before_mib']} MiB before, peak {rss['peak_mib']} MiB (+{rss['growth_mib']} MiB)"
    )
    print(f"secondary schools only (compute): median {report['secondary_schools_compute']['median_seconds']} s")
    print(f"CSV of every touch: median {report['csv_rows_and_text']['median_seconds']} s; chart PNG: median {report['chart_png']['median_seconds']} s")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    sys.exit(main())
