"""School days and school hours in the district's time zone, for reminders and reports.

A school day is a weekday that is not listed as a non-school day (holidays,
professional-development days, breaks). School hours are the part of a
school day between the configured start and end times. Moments are stored
in UTC; this module converts them to local time with zone data from tzdata.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from domain.clock import load_zone

SATURDAY = 5


@dataclass(frozen=True)
class SchoolCalendar:
    """Weekdays minus non-school days, with a daily window of school hours."""

    timezone: str
    day_start: time = time(8, 0)
    day_end: time = time(15, 0)
    non_school_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.day_end <= self.day_start:
            raise ValueError(f"school hours end ({self.day_end}) must be after they start ({self.day_start})")

    @classmethod
    def from_ranges(cls, timezone: str, day_start: time, day_end: time, ranges: Iterable[tuple[date, date]]) -> "SchoolCalendar":
        """Build a calendar from inclusive (first, last) ranges of non-school days."""
        days: set[date] = set()
        for first, last in ranges:
            if last < first:
                raise ValueError(f"non-school range ends ({last}) before it starts ({first})")
            days.update(first + timedelta(days=offset) for offset in range((last - first).days + 1))
        return cls(timezone, day_start, day_end, frozenset(days))

    def is_school_day(self, day: date) -> bool:
        return day.weekday() < SATURDAY and day not in self.non_school_days

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(load_zone(self.timezone)).date()

    def school_hours_between(self, start: datetime, end: datetime) -> float:
        """Return the school hours that pass between two UTC moments (0 when end is before start)."""
        if end <= start:
            return 0.0
        zone = load_zone(self.timezone)
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        total = timedelta()
        day = local_start.date()
        while day <= local_end.date():
            if self.is_school_day(day):
                opens = datetime.combine(day, self.day_start, zone)
                closes = datetime.combine(day, self.day_end, zone)
                overlap = min(closes, local_end) - max(opens, local_start)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def school_days_between(self, start: datetime, end: datetime) -> int:
        """Return how many whole school days lie after start's local date, up to and including end's."""
        first, last = self.local_date(start), self.local_date(end)
        count = 0
        day = first + timedelta(days=1)
        while day <= last:
            if self.is_school_day(day):
                count += 1
            day += timedelta(days=1)
        return count
