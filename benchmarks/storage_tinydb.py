"""Benchmark of the TinyDB storage backend at district scale, used by `python -m benchmarks`.

Each measurement that depends on process memory runs in a fresh Python
process (`python -m benchmarks.storage_tinydb STEP ...`), which prints one
JSON line:

* ``build FOLDER REQUESTS``: fill a data folder with requests, each with
  EVENTS_PER_REQUEST history events, then compact it;
* ``open FOLDER``: time opening the store, and the whole app's services
  (knowledge base included), and report resident memory;
* ``writes SMALL LARGE COUNT``: open both folders in one process and time
  COUNT filing batches against each, alternating, so both see the same
  machine noise. Then force a background compaction of LARGE and time the
  writes made while it runs;
* ``stock SIZE COUNT``: time COUNT inserts of one request into stock
  TinyDB (JSONStorage, which does not fsync) holding SIZE requests.

It is not a test and asserts nothing.
"""

import argparse
import asyncio
import copy
import functools
import json
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from benchmarks.load import DESCRIPTIONS, median, percentile  # noqa: E402
from domain.request import Request, Status  # noqa: E402
from storage import Put, TinyDBStore  # noqa: E402

EVENTS_PER_REQUEST = 3
BUILD_BATCH_REQUESTS = 500
NOW = "2026-11-02T18:00:00Z"
EVENT_TYPES = ("created", "self_help_declined", "routed")


@functools.cache
def _request_template() -> dict[str, Any]:
    return Request(
        number=0,
        teacher_id="",
        teacher_name="",
        category="onenote",
        description="",
        scope="one_to_one",
        school="Pinetree Secondary",
        grade="Grade 9",
        subject="Science",
        urgency="this_week",
        preferred_dates="",
        status=Status.AWAITING_TRIAGE.value,
        suggested_articles=["kb-onenote-create-notebook", "kb-onenote-class-notebook-app"],
        intake_id="",
        created_at=NOW,
        updated_at=NOW,
        queued_at=NOW,
    ).to_doc()


def request_doc(number: int) -> dict[str, Any]:
    """Return a filed request as the helpdesk stores it, with realistic field sizes."""
    return {
        **copy.deepcopy(_request_template()),
        "number": number,
        "teacher_id": f"10000000-0000-0000-0000-{number % 2600:012d}",
        "teacher_name": f"Teacher {number % 2600}",
        "description": DESCRIPTIONS[number % len(DESCRIPTIONS)],
        "intake_id": uuid.uuid4().hex,
    }


def event_doc(number: int, seq: int) -> tuple[str, dict[str, Any]]:
    """Return the key and document of a request's history event."""
    doc = {
        "request": number,
        "seq": seq,
        "type": EVENT_TYPES[(seq - 1) % len(EVENT_TYPES)],
        "actor_id": "00000000-0000-0000-0000-0000000000021",
        "actor_name": "Megan Bowen",
        "at": NOW,
        "before": {"status": "suggested"},
        "after": {"status": "awaiting_triage"},
        "note": "",
    }
    return f"{number}-{seq:05d}", doc


def filing_batch(number: int) -> list[Put]:
    """Return the batch that filing one request writes: intake marker, request and first event."""
    key, event = event_doc(number, 1)
    return [
        Put("intakes", f"bench:{number}", {"request": number}, 0),
        Put("requests", str(number), request_doc(number), 0),
        Put("events", key, event, 0),
    ]


async def build(folder: Path, requests: int) -> dict[str, Any]:
    started = time.perf_counter()
    store = TinyDBStore(folder)
    await store.open()
    try:
        for first in range(1, requests + 1, BUILD_BATCH_REQUESTS):
            ops = []
            for number in range(first, min(first + BUILD_BATCH_REQUESTS, requests + 1)):
                ops.append(Put("requests", str(number), request_doc(number)))
                for seq in range(1, EVENTS_PER_REQUEST + 1):
                    key, doc = event_doc(number, seq)
                    ops.append(Put("events", key, doc))
            await store.apply(ops)
        await store.apply([Put("counters", "requests", {"value": requests})])
        store.compact()
    finally:
        await store.close()
    snapshot_bytes = sum(path.stat().st_size for path in folder.iterdir())
    return {"requests": requests, "events": requests * EVENTS_PER_REQUEST, "folder_bytes": snapshot_bytes, "seconds": time.perf_counter() - started}


async def open_folder(folder: Path) -> dict[str, Any]:
    """Time opening the store alone, then the app's services on the same folder, in this fresh process."""
    rss_before = _max_rss_mb()
    started = time.perf_counter()
    store = TinyDBStore(folder)
    await store.open()
    store_seconds = time.perf_counter() - started
    requests = await store.count("requests")
    rss_store = _max_rss_mb()
    await store.close()

    from bot import open_services
    from config import load_settings

    settings = load_settings(environ={"HELPDESK_DATA_DIR": str(folder)}, config_path=REPOSITORY_ROOT / "config" / "helpdesk.yaml")
    started = time.perf_counter()
    services = await open_services(settings)
    services_seconds = time.perf_counter() - started
    await services.store.close()
    return {
        "requests": requests,
        "store_open_seconds": store_seconds,
        "services_open_seconds": services_seconds,
        "rss_before_mb": rss_before,
        "rss_after_store_open_mb": rss_store,
        "rss_peak_mb": _max_rss_mb(),
    }


async def writes(small_folder: Path, large_folder: Path, count: int) -> dict[str, Any]:
    """Time filing batches against both folders, alternating, then during a background compaction of the large one."""
    small, large = TinyDBStore(small_folder), TinyDBStore(large_folder)
    await small.open()
    await large.open()
    latencies: dict[str, list[float]] = {"small": [], "large": []}
    next_number = {"small": await small.count("requests") + 1_000_000, "large": await large.count("requests") + 1_000_000}
    try:
        for _ in range(count):
            for name, store in (("small", small), ("large", large)):
                batch = filing_batch(next_number[name])
                next_number[name] += 1
                started = time.perf_counter()
                await store.apply(batch)
                latencies[name].append((time.perf_counter() - started) * 1000)
        compaction = await _writes_during_compaction(large, next_number["large"])
    finally:
        await small.close()
        await large.close()
    result = {name: _summary(values) for name, values in latencies.items()}
    result["compaction"] = compaction
    return result


async def _writes_during_compaction(store: TinyDBStore, first_number: int) -> dict[str, Any]:
    """Make the next write start a background compaction and time the writes until it ends.

    The store compacts on its own once the journal outgrows the snapshot,
    after about a snapshot's size of writes. Lowering the thresholds makes
    the next write start one now. For comparison it also times a synchronous
    `compact()`, which is how long one write waited before compaction moved
    to the background.
    """
    storage = store._storage
    started = time.perf_counter()
    store.compact()
    inline_seconds = time.perf_counter() - started

    # Private thresholds, set as tests/storage/crash_writer.py does, because the store has no setting for them.
    storage.min_compact_bytes = 0
    storage._snapshot_bytes = 0
    latencies = []
    number = first_number
    started = time.perf_counter()
    while True:
        began = time.perf_counter()
        await store.apply(filing_batch(number))
        latencies.append((time.perf_counter() - began) * 1000)
        number += 1
        running = store._compaction is not None and not store._compaction.done()
        if not running or time.perf_counter() - started > 60:
            break
    background_seconds = time.perf_counter() - started
    return {
        "inline_compact_ms": inline_seconds * 1000,
        "background_seconds": background_seconds,
        "writes_during": len(latencies),
        "starting_write_ms": latencies[0],
        "during": _summary(latencies[1:]) if len(latencies) > 1 else None,
    }


def stock(size: int, count: int) -> dict[str, Any]:
    """Time inserting one request into stock TinyDB (JSONStorage, no fsync) holding `size` requests."""
    from tinydb import TinyDB

    with tempfile.TemporaryDirectory(prefix="helpdesk-stock-tinydb-") as scratch:
        database = TinyDB(Path(scratch) / "db.json")
        database.table("requests").insert_multiple(request_doc(number) for number in range(1, size + 1))
        latencies = []
        for offset in range(count):
            number = size + 1 + offset
            started = time.perf_counter()
            database.table("requests").insert(request_doc(number))
            latencies.append((time.perf_counter() - started) * 1000)
        database.close()
    return {"requests": size, **_summary(latencies)}


def _summary(latencies_ms: list[float]) -> dict[str, Any]:
    return {
        "writes": len(latencies_ms),
        "p50_ms": median(latencies_ms),
        "p99_ms": percentile(latencies_ms, 0.99),
        "max_ms": max(latencies_ms),
        "mean_ms": sum(latencies_ms) / len(latencies_ms),
    }


def _max_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One step of the TinyDB storage benchmark; prints a JSON line.")
    steps = parser.add_subparsers(dest="step", required=True)
    build_parser = steps.add_parser("build", help="fill a data folder with requests and their events")
    build_parser.add_argument("folder", type=Path)
    build_parser.add_argument("requests", type=int)
    open_parser = steps.add_parser("open", help="time opening a data folder and report memory")
    open_parser.add_argument("folder", type=Path)
    writes_parser = steps.add_parser("writes", help="time filing batches on a small and a large folder")
    writes_parser.add_argument("small", type=Path)
    writes_parser.add_argument("large", type=Path)
    writes_parser.add_argument("count", type=int)
    stock_parser = steps.add_parser("stock", help="time inserts into stock TinyDB")
    stock_parser.add_argument("size", type=int)
    stock_parser.add_argument("count", type=int)
    args = parser.parse_args(argv)

    if args.step == "build":
        result = asyncio.run(build(args.folder, args.requests))
    elif args.step == "open":
        result = asyncio.run(open_folder(args.folder))
    elif args.step == "writes":
        result = asyncio.run(writes(args.small, args.large, args.count))
    else:
        result = stock(args.size, args.count)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
