"""Benchmark of the PostgreSQL storage backend: write latency by data size, and conditional-update throughput.

It prints and writes to benchmarks/results/storage_postgres.json:

* write latency percentiles (ms) with 1,000 and with 100,000 requests
  stored, for two batches the helpdesk writes all the time. Filing a
  request inserts the request, an event and an outbox entry, each with
  `expected_version=0`. A transition updates the request at its read
  version and inserts an event;
* the throughput of read-then-conditional-update loops on 1,000 shared
  requests, with 1, 2 and 4 writer processes, and how many conflicted.

By default it starts a throwaway cluster on 127.0.0.1 with PostgreSQL's
durable defaults (fsync and synchronous_commit on), so every acknowledged
batch is on disk. `--database-url` points it at another server instead; it
then works in a schema of its own and drops it afterwards. Run from the
repository root: `.venv/bin/python benchmarks/storage_postgres.py`. It is
not a test and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

import asyncpg  # noqa: E402

from domain.request import Event, Request, Status  # noqa: E402
from storage import PostgresStore, Put, VersionConflict  # noqa: E402
from storage.database_url import display_url  # noqa: E402
from tests.storage.postgres_cluster import PostgresCluster, with_search_path  # noqa: E402

DEFAULT_OUTPUT = REPOSITORY_ROOT / "benchmarks" / "results" / "storage_postgres.json"
SIZES = (1_000, 100_000)
WRITER_COUNTS = (1, 2, 4)
UPDATE_KEYS = 1_000
NOW = "2026-11-02T18:00:00Z"
DESCRIPTIONS = [
    "The class notebook will not sync on the student laptops after the update.",
    "How do I let students see their Forms quiz results only after everyone has finished?",
    "Minecraft Education keeps asking my grade 5 class to sign in again every lesson.",
    "I would like help setting up Reading Progress for my whole grade 2 team before report cards.",
]


def request_doc(number: int) -> dict:
    """Return a stored request the size and shape the helpdesk writes."""
    request = Request(
        number=number,
        teacher_id=f"29:teacher-{number % 2600}",
        teacher_name=f"Teacher {number % 2600}",
        category="onenote-class-notebook",
        description=DESCRIPTIONS[number % len(DESCRIPTIONS)] * 2,
        scope="one_to_one",
        school="Moody Elementary",
        grade="5",
        subject="Science",
        status=Status.ROUTED.value,
        level=1,
        channel="remote",
        queue="remote",
        suggested_articles=["kb-onenote-sync", "kb-onenote-create-notebook"],
        intake_id=f"intake-{number}",
        created_at=NOW,
        updated_at=NOW,
        queued_at=NOW,
    )
    return request.to_doc()


def event_doc(number: int, seq: int, kind: str) -> dict:
    return Event(number, seq, kind, "29:adele", "Adele Vance", NOW, {"status": "routed"}, {"status": "claimed"}).to_doc()


def outbox_doc(key: str, number: int) -> dict:
    return {"key": key, "request": number, "seq": 1, "kind": "triage_post", "target": "triage", "created_at": NOW, "state": "pending", "attempts": 0}


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
        "max_ms": round(ordered[-1], 3),
    }


async def fill(store: PostgresStore, size: int) -> float:
    """Replace everything with `size` routed requests and their creation events, and return the seconds it took."""
    started = time.perf_counter()
    rows = []
    for number in range(1, size + 1):
        rows.append(("requests", str(number), {**request_doc(number), "_version": 1}, 1))
        rows.append(("events", f"{number}-00001", event_doc(number, 1, "created"), 1))
    rows.append(("counters", "requests", {"value": size}, size))
    await store.bulk_load(rows, replace=True)
    connection = await asyncpg.connect(store.database_url)
    try:
        await connection.execute("VACUUM ANALYZE documents")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def measure_writes(store: PostgresStore, size: int, writes: int) -> dict:
    """Time filing new requests and claiming existing ones, one batch at a time."""
    filing: list[float] = []
    for _ in range(writes):
        number = await store.next_number("requests")
        started = time.perf_counter()
        await store.apply(
            [
                Put("requests", str(number), request_doc(number), 0),
                Put("events", f"{number}-00001", event_doc(number, 1, "created"), 0),
                Put("outbox", f"{number}:triage_post", outbox_doc(f"{number}:triage_post", number), 0),
            ]
        )
        filing.append((time.perf_counter() - started) * 1000)

    transition: list[float] = []
    for number in random.Random(size).sample(range(1, size + 1), writes):
        current = await store.get("requests", str(number))
        version = current.pop("_version")
        current["status"] = Status.CLAIMED.value
        current["owner_id"] = "29:adele"
        started = time.perf_counter()
        await store.apply(
            [
                Put("requests", str(number), current, version),
                Put("events", f"{number}-00002", event_doc(number, 2, "claimed"), 0),
            ]
        )
        transition.append((time.perf_counter() - started) * 1000)
    return {"file_request": percentiles(filing), "transition": percentiles(transition)}


def run_writer(url: str, start_at: float, seconds: float, seed: int) -> dict:
    """Loop read-then-conditional-update on random shared requests from `start_at` for `seconds`, and return the counts."""

    async def loop() -> dict:
        store = PostgresStore(url, min_connections=1, max_connections=1)
        await store.open()
        chooser = random.Random(seed)
        updated = conflicts = 0
        try:
            await asyncio.sleep(max(0.0, start_at - time.time()))
            deadline = start_at + seconds
            while time.time() < deadline:
                key = str(chooser.randint(1, UPDATE_KEYS))
                current = await store.get("requests", key)
                version = current.pop("_version")
                current["updated_at"] = NOW
                try:
                    await store.apply([Put("requests", key, current, version)])
                    updated += 1
                except VersionConflict:
                    conflicts += 1
        finally:
            await store.close()
        return {"updated": updated, "conflicts": conflicts}

    return asyncio.run(loop())


def measure_throughput(url: str, writers: int, seconds: float) -> dict:
    with ProcessPoolExecutor(max_workers=writers, mp_context=get_context("spawn")) as pool:
        # Processes need a moment to start and connect, so all begin at a shared wall-clock time.
        start_at = time.time() + 3.0
        futures = [pool.submit(run_writer, url, start_at, seconds, seed) for seed in range(writers)]
        results = [future.result() for future in futures]
    updated = sum(result["updated"] for result in results)
    conflicts = sum(result["conflicts"] for result in results)
    return {
        "writers": writers,
        "seconds": seconds,
        "updates": updated,
        "conflicts": conflicts,
        "updates_per_second": round(updated / seconds, 1),
    }


async def server_version(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()


async def create_schema(url: str) -> str:
    schema = f"helpdesk_benchmark_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await connection.close()
    return schema


async def drop_schema(url: str, schema: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await connection.close()


def run(url: str, writes: int, seconds: float) -> dict:
    schema = asyncio.run(create_schema(url))
    schema_url = with_search_path(url, schema)
    try:
        report: dict = {"write_latency": {}, "fill_seconds": {}, "conditional_updates": []}

        async def latencies() -> None:
            store = PostgresStore(schema_url)
            await store.open()
            try:
                for size in SIZES:
                    report["fill_seconds"][str(size)] = round(await fill(store, size), 1)
                    report["write_latency"][str(size)] = await measure_writes(store, size, writes)
                    print(f"{size:>7} requests stored: {json.dumps(report['write_latency'][str(size)])}", flush=True)
                await fill(store, UPDATE_KEYS)
            finally:
                await store.close()

        asyncio.run(latencies())
        for writers in WRITER_COUNTS:
            result = measure_throughput(schema_url, writers, seconds)
            report["conditional_updates"].append(result)
            print(
                f"{writers} writer {'process' if writers == 1 else 'processes'}: {result['updates_per_second']} conditional updates/s, "
                f"{result['conflicts']} conflicts in {seconds:g} s",
                flush=True,
            )
        return report
    finally:
        asyncio.run(drop_schema(url, schema))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the PostgreSQL storage backend.")
    parser.add_argument("--database-url", help="an existing PostgreSQL database (default: start a throwaway cluster on 127.0.0.1)")
    parser.add_argument("--writes", type=int, default=500, help="batches timed at each data size (default: 500)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput run, in seconds (default: 5)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON results file (default: {DEFAULT_OUTPUT})")
    args = parser.parse_args(argv)

    cluster = None
    url = args.database_url
    if not url:
        cluster = PostgresCluster()
        url = cluster.start()
    try:
        print(f"PostgreSQL {asyncio.run(server_version(url))} at {display_url(url)}", flush=True)
        results = {
            "server": "throwaway cluster, durable defaults (fsync on, synchronous_commit on)" if cluster else "given by --database-url",
            "postgres_version": asyncio.run(server_version(url)),
            "asyncpg_version": metadata.version("asyncpg"),
            "python_version": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
            "writes_per_size": args.writes,
            **run(url, args.writes, args.seconds),
        }
    finally:
        if cluster is not None:
            cluster.stop()

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"Results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
