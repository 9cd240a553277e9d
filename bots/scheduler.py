"""Runs the timed jobs with APScheduler: the daily triage digest and the service-level checks.

The jobs only write claims and outbox entries (see escalation/reminders.py),
so running them in every bot process is safe: each digest and reminder is
sent once. Times are the district's local time, with zone data from tzdata.
"""

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bots.notifier import Notifier
from config.settings import Settings
from domain.clock import load_zone
from escalation.reminders import Reminders
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

    digest_at = settings.digest_time
    scheduler.add_job(
        post_digest, CronTrigger(day_of_week="mon-fri", hour=digest_at.hour, minute=digest_at.minute, timezone=zone),
        id="triage-digest", coalesce=True, misfire_grace_time=3600,
    )
    scheduler.add_job(
        check_service_levels, IntervalTrigger(minutes=settings.sla.check_minutes, timezone=zone),
        id="service-levels", coalesce=True, max_instances=1,
    )
    return scheduler
