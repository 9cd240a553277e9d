"""Several bot processes on one PostgreSQL database: every claim, number, scheduled job and delivery happens once.

Each worker (tests/storage/replica_worker.py) is a separate Python process
with its own services and connection pool. They start together on an
empty database, and all are given their work at the same moment, so their
writes race inside PostgreSQL.
"""

import asyncio
import json
import os
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from bot import open_services
from config import load_settings
from domain.actor import Actor, Role
from domain.request import Level, Status
from storage import Put
from tests.storage.replica_worker import intake_form

REPO = Path(__file__).resolve().parents[2]
WORKERS = 4
ROUTED_REQUESTS = 10
DIGEST_DATES = 10
QUEUED_OUTBOX_ENTRIES = 100
START_TIMEOUT_SECONDS = 60
RUN_TIMEOUT_SECONDS = 120


def replica_settings(tmp_path, url):
    environ = {"HELPDESK_DATA_DIR": str(tmp_path / "unused-data"), "HELPDESK_DATABASE_URL": url}
    return load_settings(environ=environ, config_path=REPO / "config" / "helpdesk.yaml"), environ


def school_days(settings, count: int) -> list[date]:
    days = []
    day = date(2026, 11, 2)
    while len(days) < count:
        if settings.calendar.is_school_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


async def prepare(settings) -> list[int]:
    """Route some requests to the TST queue, queue outbox entries, and return the request numbers."""
    services = await open_services(settings)
    try:
        helpdesk = services.helpdesk
        teacher = Actor("29:teacher-setup", "Setup Teacher")
        triager = Actor("29:triager-setup", "Setup Triager", frozenset({Role.TRIAGER}))
        numbers = []
        for index in range(ROUTED_REQUESTS):
            request = await helpdesk.open_request(teacher, intake_form(f"setup-{index}", settings))
            if request.status == Status.SUGGESTED.value:
                await helpdesk.decline_suggestion(teacher, request.number)
            await helpdesk.route(triager, request.number, Level.REMOTE.value, settings.default_tst_channel)
            numbers.append(request.number)
        entries = [
            {
                "key": f"queued:{index}", "request": 0, "seq": 0, "kind": "triage_post", "target": "triage",
                "created_at": f"2026-11-02T18:00:{index % 60:02d}Z", "state": "pending", "attempts": 0,
            }
            for index in range(QUEUED_OUTBOX_ENTRIES)
        ]
        await services.store.apply([Put("outbox", entry["key"], entry, 0) for entry in entries])
        return numbers
    finally:
        await services.store.close()


async def test_replicas_act_exactly_once(tmp_path, postgres_schema_url):
    settings, environ = replica_settings(tmp_path, postgres_schema_url)
    dates = school_days(settings, DIGEST_DATES)
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.storage.replica_worker", str(index),
            cwd=REPO, env={**os.environ, **environ},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for index in range(WORKERS)
    ]
    try:
        # The workers start together on an empty database, so they race to migrate it and to add the starter articles.
        for worker in workers:
            line = await asyncio.wait_for(worker.stdout.readline(), START_TIMEOUT_SECONDS)
            if line.strip() != b"ready":
                stderr = (await worker.stderr.read()).decode(errors="replace")
                raise AssertionError(f"worker {worker.pid} did not start: {line!r}\n{stderr}")
        routed = await prepare(settings)
        orders = json.dumps({"requests": routed, "dates": [day.isoformat() for day in dates]}).encode() + b"\n"
        for worker in workers:
            worker.stdin.write(orders)
            await worker.stdin.drain()
        results = await asyncio.wait_for(asyncio.gather(*(worker.communicate() for worker in workers)), RUN_TIMEOUT_SECONDS)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    reports = []
    for worker, (stdout, stderr) in zip(workers, results):
        assert worker.returncode == 0, stderr.decode(errors="replace")
        reports.append(json.loads(stdout.decode().strip().splitlines()[-1]))

    claims = Counter(number for report in reports for number in report["claimed"])
    filed = [number for report in reports for number in report["filed"]]
    drawn = [number for report in reports for number in report["drawn"]]
    digests = Counter(day for report in reports for day in report["digests"])
    delivered = Counter(key for report in reports for key in report["delivered"])
    services = await open_services(settings)
    try:
        articles = await services.store.count("articles")
        owners = {number: (await services.helpdesk.get(number)).owner_id for number in routed}
        claim_events = {}
        for number in routed:
            claim_events[number] = sum(1 for event in await services.helpdesk.history(number) if event.type == "claimed")
        outbox = await services.store.find("outbox")
        jobs = await services.store.find("jobs")
    finally:
        await services.store.close()
    print(
        f"\n{WORKERS} replicas: {sum(claims.values())} claim wins on {len(routed)} requests "
        f"({WORKERS * 2 * len(routed)} attempts); {len(filed)} requests filed and {len(drawn)} counter numbers, "
        f"{len(filed) + len(routed) - len(set(filed + routed))} and {len(drawn) - len(set(drawn))} duplicates; "
        f"{sum(digests.values())} digests queued for {len(dates)} dates ({WORKERS * 2 * len(dates)} attempts); "
        f"{sum(delivered.values())} outbox deliveries of {len(outbox)} entries"
    )

    assert articles == len(services.knowledge.articles)
    assert claims == Counter(routed)
    assert all(owner and owner.startswith("29:tst-") for owner in owners.values())
    assert set(claim_events.values()) == {1}
    assert len(set(filed + routed)) == len(filed) + len(routed)
    assert sorted(filed + routed) == list(range(1, len(filed) + len(routed) + 1))
    assert sorted(drawn) == list(range(1, len(drawn) + 1))
    assert digests == Counter(day.isoformat() for day in dates)
    assert sorted(job["ran_at"][:10] for job in jobs) == sorted(day.isoformat() for day in dates)
    assert set(delivered.values()) == {1}
    assert set(delivered) == {entry["key"] for entry in outbox}
    assert {entry["state"] for entry in outbox} == {"sent"}
    assert len(outbox) >= QUEUED_OUTBOX_ENTRIES + len(dates) + len(routed)
