"""Benchmark of the report figures over a large district's year, with the documents already in memory.

Generates 100,000 requests by default, spread over the school year
September 2026 to June 2027 and the schools of config/schools.csv, with
their teacher touches (one per attendee for small-group sessions) and the
events the figures read (ratings, reopenings, automatic closes). Then it
times, over that year:

* `compute_report` for the whole district and for one school level
  (median of several runs, in seconds), and its peak Python memory
  (tracemalloc, in a separate run because tracing slows the code);
* the CSV rows and text of every touch;
* the chart PNG.

It prints the figures and writes them to benchmarks/results/reports.json.
Reading the documents from storage is not included. Run from the
repository root: `.venv/bin/python benchmarks/reports.py`. It is not a
test and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from config import load_settings  # noqa: E402
from reports import ReportData, ReportQuery, compute_report, render_chart, report_context, touch_rows, touches_csv  # noqa: E402

DEFAULT_OUTPUT = REPOSITORY_ROOT / "benchmarks" / "results" / "reports.json"
YEAR_START = datetime(2026, 9, 1, 15, tzinfo=timezone.utc)
YEAR_DAYS = 300
NOW = datetime(2027, 6, 30, 20, tzinfo=timezone.utc)
QUERY = ReportQuery(date(2026, 9, 1), date(2027, 7, 1))
CATEGORIES = ("general-o365", "onedrive", "onenote", "teams-classes", "teams-assignments", "teams-meetings", "forms", "sway", "flip")
# Share of requests that end at each outcome: (level or None when still open, share).
OUTCOMES = ((0, 0.40), (1, 0.33), (2, 0.10), (3, 0.05), (4, 0.05), (5, 0.03), (None, 0.04))
SESSION_ATTENDEES = 3


def generate(requests: int, schools: list[str], randomizer: random.Random) -> ReportData:
    """Return synthetic requests, touches and reported events for one school year."""
    request_docs, touch_docs, event_docs = [], [], []
    levels = [outcome for outcome, _ in OUTCOMES]
    weights = [share for _, share in OUTCOMES]
    tsts = [f"tst-{index}" for index in range(12)]
    for number in range(1, requests + 1):
        created = YEAR_START + timedelta(minutes=randomizer.randrange(YEAR_DAYS * 24 * 60))
        school = randomizer.choice(schools)
        teacher = f"teacher-{randomizer.randrange(2600)}"
        category = randomizer.choice(CATEGORIES)
        level = randomizer.choices(levels, weights)[0]
        doc = {
            "number": number, "teacher_id": teacher, "school": school, "category": category, "created_at": _iso(created),
            "status": "resolved", "level": level, "first_response_at": None, "resolved_at": None, "merged_into": None,
        }
        if randomizer.random() < 0.01:
            doc.update(status="closed", merged_into=max(1, number - 1), resolved_at=_iso(created + timedelta(minutes=30)))
        elif level is None:
            doc.update(status=randomizer.choice(("awaiting_triage", "routed", "claimed", "in_progress")), level=1)
        else:
            responded = created + timedelta(hours=randomizer.uniform(0.2, 30)) if level else None
            resolved = created + timedelta(hours=randomizer.uniform(0.1, 200))
            doc.update(first_response_at=_iso(responded) if responded else None, resolved_at=_iso(max(resolved, responded or resolved)))
            by_id = teacher if level == 0 else randomizer.choice(tsts)
            attendees = [teacher] + [f"teacher-{randomizer.randrange(2600)}" for _ in range(SESSION_ATTENDEES - 1)] if level == 2 else [teacher]
            kind = ("self_help", "remote", "small_group", "champion", "site_visit", "in_class")[level]
            for seq, attendee in enumerate(attendees, start=5):
                touch_docs.append({
                    "request": number, "seq": seq, "teacher_id": attendee, "school": school, "category": category,
                    "level": level, "kind": kind, "at": doc["resolved_at"], "by_id": by_id,
                })
            if randomizer.random() < 0.5:
                doc["status"] = "closed"
                event_docs.append({"request": number, "seq": 9, "type": "rated", "at": doc["resolved_at"], "after": {"rating": randomizer.randint(1, 5)}})
            if randomizer.random() < 0.02:
                event_docs.append({"request": number, "seq": 10, "type": "reopened", "at": doc["resolved_at"], "after": {}})
        request_docs.append(doc)
    return ReportData(request_docs, touch_docs, event_docs, [], {tst: tst.upper() for tst in tsts})


def time_runs(function, runs: int) -> dict[str, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return {"first_seconds": round(seconds[0], 3), "median_seconds": round(statistics.median(seconds), 3), "max_seconds": round(max(seconds), 3)}


def peak_memory_mib(function) -> float:
    tracemalloc.start()
    try:
        function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


def cpu_model() -> str:
    """Return the processor model name from /proc/cpuinfo (Linux), or the machine type elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the report figures over a school year of synthetic requests.")
    parser.add_argument("--requests", type=int, default=100_000, help="number of requests to generate (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each step (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=43, help="random seed (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="JSON file to write (default: %(default)s)")
    arguments = parser.parse_args(argv)

    settings = load_settings(environ={}, config_path=REPOSITORY_ROOT / "config" / "helpdesk.yaml")
    randomizer = random.Random(arguments.seed)
    schools = [school.name for school in settings.schools.schools]
    tracemalloc.start()
    data = generate(arguments.requests, schools, randomizer)
    documents_mib = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
    tracemalloc.stop()
    context = report_context(settings, NOW)
    secondary = ReportQuery(QUERY.start, QUERY.end, school_level="secondary")

    figures = compute_report(data, QUERY, context)
    report = {
        "requests": len(data.requests),
        "touches": len(data.touches),
        "events": len(data.events),
        "range": QUERY.to_dict(),
        "documents_mib": documents_mib,
        "full_report": time_runs(lambda: compute_report(data, QUERY, context), arguments.runs),
        "full_report_peak_mib": peak_memory_mib(lambda: compute_report(data, QUERY, context)),
        "secondary_schools_report": time_runs(lambda: compute_report(data, secondary, context), arguments.runs),
        "csv_rows_and_text": time_runs(lambda: touches_csv(touch_rows(data, QUERY, context)), max(1, arguments.runs // 2)),
        "chart_png": time_runs(lambda: render_chart(figures), arguments.runs),
        "figures_checked": {"touches": figures["touches"]["total"], "filed": figures["requests"]["filed"], "teachers_reached": figures["teachers"]["reached"]},
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": cpu_model(),
            "cpus": os.cpu_count(),
            # Other processes on the machine slow every step; a load above the CPU count means they did.
            "load_average_1_min": round(os.getloadavg()[0], 2),
            "matplotlib": metadata.version("matplotlib"),
        },
        "seed": arguments.seed,
    }

    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    full = report["full_report"]
    print(f"{report['requests']:,} requests, {report['touches']:,} touches, {report['events']:,} events ({documents_mib} MiB of documents)")
    print(f"full report: median {full['median_seconds']} s (first {full['first_seconds']} s), peak {report['full_report_peak_mib']} MiB traced")
    print(f"secondary schools only: median {report['secondary_schools_report']['median_seconds']} s")
    print(f"CSV of every touch: median {report['csv_rows_and_text']['median_seconds']} s; chart PNG: median {report['chart_png']['median_seconds']} s")
    print(f"wrote {arguments.out}")
    return 0


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    sys.exit(main())
