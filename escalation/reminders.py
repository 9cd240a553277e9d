"""Service levels: reminders for work that waits too long, auto-close, and the daily triage digest.

Each reminder and each digest is claimed with a conditional write keyed by
the request, the kind and the local school day, in the same batch as the
outbox entry that delivers it. So a reminder goes out at most once a school
day however many times the check runs, and with several bot processes only
one of them sends it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from config.settings import Settings
from domain.clock import from_iso, to_iso, utc_now
from domain.errors import HelpdeskError
from domain.request import Request, Status
from escalation.ladder import Ladder
from storage import Put, Store, VersionConflict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Overdue:
    """A request past a service level: which rule it broke and where to re-post it."""

    request: Request
    kind: str
    place: str
    reason: str


class Reminders:
    def __init__(self, store: Store, ladder: Ladder, settings: Settings, now: Callable[[], datetime] = utc_now):
        self.store = store
        self.ladder = ladder
        self.settings = settings
        self._now = now

    async def overdue(self) -> list[Overdue]:
        """Return every request past a service level now, oldest first."""
        now = self._now()
        calendar = self.settings.calendar
        sla = self.settings.sla
        found: list[Overdue] = []
        for request in await self.ladder.awaiting_triage():
            days = calendar.school_days_between(from_iso(request.queued_at or request.updated_at), now)
            if days >= sla.untriaged_school_days:
                found.append(Overdue(request, "untriaged", "triage", f"It has waited {days} school days for triage."))
        for request in await self.ladder.queue():
            if request.state in (Status.ROUTED, Status.ESCALATED) and request.queued_at:
                hours = calendar.school_hours_between(from_iso(request.queued_at), now)
                if hours >= sla.unclaimed_school_hours:
                    found.append(Overdue(request, "unclaimed", "tst", f"Nobody has claimed it for {hours:.1f} school hours."))
            elif request.state is Status.WAITING_ON_TEACHER and request.waiting_since:
                days = (now - from_iso(request.waiting_since)).days
                if days >= sla.waiting_on_teacher_days:
                    found.append(Overdue(request, "waiting", "tst", f"The teacher has not answered for {days} days."))
        return sorted(found, key=lambda item: item.request.created_at)

    async def run(self) -> dict[str, int]:
        """Send today's reminders and auto-close requests that waited too long; return counts by kind."""
        now = self._now()
        if not self.settings.calendar.is_school_day(self.settings.calendar.local_date(now)):
            return {}
        counts: dict[str, int] = {}
        today = self.settings.calendar.local_date(now).isoformat()
        for item in await self.overdue():
            if not await self._claim(f"{item.kind}:{item.request.number}:{today}", item, now):
                continue
            if item.kind == "waiting":
                try:
                    await self.ladder.auto_close(item.request.number, self.settings.sla.waiting_on_teacher_days)
                except HelpdeskError as error:
                    logger.info("auto-close of request %d skipped: %s", item.request.number, error)
                    continue
            counts[item.kind] = counts.get(item.kind, 0) + 1
        if counts:
            logger.info("service-level check sent %s", counts)
        return counts

    async def digest_due(self) -> bool:
        """Queue today's triage digest unless it went out already or today is not a school day."""
        now = self._now()
        calendar = self.settings.calendar
        today = calendar.local_date(now)
        if not calendar.is_school_day(today):
            return False
        key = f"digest:{today.isoformat()}"
        entry = {"key": key, "request": 0, "seq": 0, "kind": "digest", "target": "triage", "created_at": to_iso(now), "state": "pending", "attempts": 0}
        try:
            await self.store.apply([Put("jobs", key, {"ran_at": to_iso(now)}, 0), Put("outbox", key, entry, 0)])
        except VersionConflict:
            return False
        logger.info("triage digest for %s queued", today)
        return True

    async def _claim(self, key: str, item: Overdue, now: datetime) -> bool:
        ops = [Put("jobs", key, {"ran_at": to_iso(now)}, 0)]
        if item.kind != "waiting":
            entry = {
                "key": key, "request": item.request.number, "seq": 0, "kind": "reminder", "target": "triage",
                "place": item.place, "reason": item.reason, "created_at": to_iso(now), "state": "pending", "attempts": 0,
            }
            ops.append(Put("outbox", key, entry, 0))
        try:
            await self.store.apply(ops)
        except VersionConflict:
            return False
        return True
