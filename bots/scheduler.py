"""Runs the timed jobs with APScheduler: the daily triage digest, the service-level checks and the champion and visit checks.

The jobs only write claims and outbox entries (see escalation/reminders.py),
so running them in every bot process is safe: each digest and reminder is
sent once. Times are the district's local time, with zone data from tzdata.
"""

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bots.dedupe import purge_inbound
from bots.notifier import Notifier
from config.settings import Settings
from domain.clock import load_zone, utc_now
from escalation.reminders import Reminders
from privacy import purge_closed
from storage import StorageError

logger = logging.getLogger(__name__)

# How often each process checks whether another one published an article. A
# check is one storage read; a reload, when one is due, rebuilds the index in a thread.
KNOWLEDGE_SYNC_SECONDS = 60


class HelpdeskScheduler(AsyncIOScheduler):
    """An AsyncIOScheduler that lets the jobs it is running finish when the bot stops.

    APScheduler 3.11's `shutdown` cancels running coroutine jobs at once, so
    the jobs are wrapped with `tracked` and `stop` waits for them first.
    """

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.running_jobs: set[asyncio.Task] = set()

    def tracked(self, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """Return the job wrapped so that `stop` can wait for its runs."""

        @functools.wraps(job)
        async def run() -> None:
            task = asyncio.current_task()
            self.running_jobs.add(task)
            try:
                await job()
            finally:
                self.running_jobs.discard(task)

        return run

    async def stop(self, timeout: float) -> None:
        """Start no more jobs, give running ones `timeout` seconds to finish, then cancel the rest and shut down."""
        self.pause()
        if self.running_jobs:
            logger.info("waiting up to %.0f s for %d running scheduled jobs", timeout, len(self.running_jobs))
            await asyncio.wait(set(self.running_jobs), timeout=timeout)
        left = set(self.running_jobs)
        if left:
            logger.warning("cancelling %d scheduled jobs still running after %.0f s", len(left), timeout)
        self.shutdown(wait=False)
        if left:
            # The cancelled jobs put outbox entries they were delivering back to pending before they end.
            await asyncio.wait(left, timeout=timeout)


def build_scheduler(settings: Settings, reminders: Reminders, notifier: Notifier) -> HelpdeskScheduler:
    """Return a scheduler (not started) with the digest and service-level jobs."""
    zone = load_zone(settings.timezone)
    scheduler = HelpdeskScheduler(timezone=zone)

    async def post_digest() -> None:
        try:
            if await reminders.digest_due():
                await notifier.flush()
        except StorageError:
            logger.exception("triage digest job failed")

    async def check_service_levels() -> None:
        try:
            if await reminders.run():
                await notifier.flush()
        except StorageError:
            logger.exception("service-level check failed")

    async def housekeeping() -> None:
        """Delete inbound activity claims older than a day, and closed requests past the retention period."""
        try:
            await purge_inbound(reminders.store, utc_now())
            if settings.closed_request_years:
                await purge_closed(reminders.store, settings.closed_request_years, utc_now())
        except StorageError:
            logger.exception("daily housekeeping failed")

    async def check_ladder() -> None:
        """Pass on champion offers nobody answered, queue day-before visit reminders, and post planning cards of new level 3–5 requests."""
        services = notifier.services
        try:
            queued = 0
            if services.champions is not None:
                queued += await services.champions.expire_due() + await services.champions.prompt_new()
            if services.visits is not None:
                queued += await services.visits.send_reminders() + await services.visits.prompt_new()
            if queued:
                await notifier.flush()
        except StorageError:
            logger.exception("champion and visit checks failed")

    async def sync_knowledge() -> None:
        """Pick up articles that another bot process published, so every process suggests them."""
        try:
            await notifier.services.sync_knowledge()
        except Exception:
            # Any failure keeps the current index, which stays complete, and the next run tries again.
            logger.exception("knowledge-base sync failed; the current index stays in use")

    digest_at = settings.digest_time
    scheduler.add_job(
        scheduler.tracked(post_digest), CronTrigger(day_of_week="mon-fri", hour=digest_at.hour, minute=digest_at.minute, timezone=zone),
        id="triage-digest", coalesce=True, misfire_grace_time=3600,
    )
    scheduler.add_job(
        scheduler.tracked(check_service_levels), IntervalTrigger(minutes=settings.sla.check_minutes, timezone=zone),
        id="service-levels", coalesce=True, max_instances=1,
    )
    scheduler.add_job(
        scheduler.tracked(check_ladder), IntervalTrigger(minutes=settings.sla.check_minutes, timezone=zone), id="ladder-checks", coalesce=True, max_instances=1,
    )
    scheduler.add_job(
        scheduler.tracked(sync_knowledge), IntervalTrigger(seconds=KNOWLEDGE_SYNC_SECONDS, timezone=zone),
        id="knowledge-sync", coalesce=True, max_instances=1,
    )
    scheduler.add_job(scheduler.tracked(housekeeping), CronTrigger(hour=2, minute=30, timezone=zone), id="housekeeping", coalesce=True, misfire_grace_time=3600)
    return scheduler
