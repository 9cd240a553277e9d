"""Runs the timed jobs with APScheduler: the daily triage digest, the service-level checks and the champion and visit checks.

The jobs only write claims and outbox entries (see escalation/reminders.py),
so running them in every bot process is safe: each digest and reminder is
sent once. Times are the district's local time, with zone data from tzdata.
"""

import logging

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


def build_scheduler(settings: Settings, reminders: Reminders, notifier: Notifier) -> AsyncIOScheduler:
    """Return a scheduler (not started) with the digest and service-level jobs."""
    zone = load_zone(settings.timezone)
    scheduler = AsyncIOScheduler(timezone=zone)

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

    digest_at = settings.digest_time
    scheduler.add_job(
        post_digest, CronTrigger(day_of_week="mon-fri", hour=digest_at.hour, minute=digest_at.minute, timezone=zone),
        id="triage-digest", coalesce=True, misfire_grace_time=3600,
    )
    scheduler.add_job(
        check_service_levels, IntervalTrigger(minutes=settings.sla.check_minutes, timezone=zone),
        id="service-levels", coalesce=True, max_instances=1,
    )
    scheduler.add_job(
        check_ladder, IntervalTrigger(minutes=settings.sla.check_minutes, timezone=zone), id="ladder-checks", coalesce=True, max_instances=1,
    )
    scheduler.add_job(housekeeping, CronTrigger(hour=2, minute=30, timezone=zone), id="housekeeping", coalesce=True, misfire_grace_time=3600)
    return scheduler
