"""Fast school-hour arithmetic over a span of days, for reports over many requests.

`SchoolCalendar.school_hours_between` walks the days between two moments,
which is too slow for 100,000 requests. `SchoolHours` precomputes, for each
local day of a span, when school opens and closes (as UTC seconds) and the
school seconds before that day, so each question is two binary searches and
gives the same answer as the calendar.
"""

from bisect import bisect_right
from datetime import date, datetime, timedelta

from domain.clock import load_zone
from domain.school_calendar import SchoolCalendar

SECONDS_PER_HOUR = 3600


class SchoolHours:
    """School seconds between UTC moments, for moments between the first and last local day of a span."""

    def __init__(self, calendar: SchoolCalendar, first_day: date, last_day: date):
        zone = load_zone(calendar.timezone)
        self.first_day = first_day
        self.last_day = last_day
        self._midnights: list[float] = []
        self._opens: list[float] = []
        self._closes: list[float] = []
        self._before: list[float] = []
        elapsed = 0.0
        day = first_day
        while day <= last_day:
            self._midnights.append(datetime.combine(day, datetime.min.time(), zone).timestamp())
            if calendar.is_school_day(day):
                opens = datetime.combine(day, calendar.day_start, zone).timestamp()
                closes = datetime.combine(day, calendar.day_end, zone).timestamp()
            else:
                opens = closes = 0.0
            self._opens.append(opens)
            self._closes.append(closes)
            self._before.append(elapsed)
            elapsed += closes - opens
            day += timedelta(days=1)
        self._end = datetime.combine(day, datetime.min.time(), zone).timestamp()

    def elapsed(self, moment: float) -> float:
        """Return the school seconds from the span's first midnight to `moment` (UTC seconds). Raises ValueError outside the span."""
        index = bisect_right(self._midnights, moment) - 1
        if index < 0 or moment >= self._end:
            raise ValueError(f"moment {moment} is outside the school-hours span {self.first_day} to {self.last_day}")
        opens = self._opens[index]
        if moment <= opens:
            return self._before[index]
        return self._before[index] + (min(moment, self._closes[index]) - opens)

    def hours_between(self, start: float, end: float) -> float:
        """Return the school hours between two UTC moments given in seconds (0 when end is before start)."""
        if end <= start:
            return 0.0
        return (self.elapsed(end) - self.elapsed(start)) / SECONDS_PER_HOUR
