"""Fast school-hour arithmetic over a span of days, for reports over many requests.

`SchoolCalendar.school_hours_between` walks the days between two moments,
which is too slow for 100,000 requests. `SchoolHours` precomputes, for each
local day of a span, when school opens and closes (as UTC seconds and as
stored UTC text) and the school seconds before that day, so each question
is two binary searches and gives the same answer as the calendar. For many
stored times at once, `hours_between_texts` parses them and searches the
days with numpy.
"""

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from itertools import chain

import numpy as np

from domain.clock import load_zone
from domain.school_calendar import SchoolCalendar

SECONDS_PER_HOUR = 3600
# Non-school days have no opening time. As a text bound, "" makes every
# stored time compare as after the day's close, so the day adds nothing.
NO_SCHOOL_TEXT = ""
# The form in which storage writes times (domain.clock.to_iso): digits with
# these separators at these positions, 20 characters in all.
STORED_TIME_SEPARATORS = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":", 19: "Z"}
STORED_TIME_LENGTH = len("2026-09-01T07:00:00Z")
_DIGIT_POSITIONS = [position for position in range(STORED_TIME_LENGTH) if position not in STORED_TIME_SEPARATORS]


class SchoolHours:
    """School seconds between UTC moments, for moments between the first and last local day of a span."""

    def __init__(self, calendar: SchoolCalendar, first_day: date, last_day: date):
        if calendar.day_start.microsecond or calendar.day_end.microsecond:
            raise ValueError("the school day's start and end must be whole seconds, because elapsed_at compares times as text cut to seconds")
        zone = load_zone(calendar.timezone)
        self.first_day = first_day
        self.last_day = last_day
        self._midnights: list[float] = []
        self._opens: list[float] = []
        self._closes: list[float] = []
        self._before: list[float] = []
        self._midnight_texts: list[str] = []
        self._open_texts: list[str] = []
        self._close_texts: list[str] = []
        elapsed = 0.0
        day = first_day
        while day <= last_day:
            self._midnights.append(datetime.combine(day, datetime.min.time(), zone).timestamp())
            self._midnight_texts.append(_utc_text(self._midnights[-1]))
            if calendar.is_school_day(day):
                opens = datetime.combine(day, calendar.day_start, zone).timestamp()
                closes = datetime.combine(day, calendar.day_end, zone).timestamp()
                self._open_texts.append(_utc_text(opens))
                self._close_texts.append(_utc_text(closes))
            else:
                opens = closes = 0.0
                self._open_texts.append(NO_SCHOOL_TEXT)
                self._close_texts.append(NO_SCHOOL_TEXT)
            self._opens.append(opens)
            self._closes.append(closes)
            self._before.append(elapsed)
            elapsed += closes - opens
            day += timedelta(days=1)
        self._end = datetime.combine(day, datetime.min.time(), zone).timestamp()
        self._end_text = _utc_text(self._end)
        self._day_arrays = tuple(np.array(values, dtype=np.float64) for values in (self._midnights, self._opens, self._closes, self._before))

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

    def elapsed_at(self, at: str) -> float:
        """Return `elapsed` for a stored UTC time text, such as '2026-09-01T15:30:00Z'. Raises ValueError outside the span.

        The day and whether school is open come from comparing the text
        with the day's bounds, which are UTC text cut to seconds. A text
        whose first 19 characters equal a bound compares as at or after
        it, and `elapsed` is continuous there, so only times strictly
        inside school hours are parsed, and the result equals `elapsed`.
        """
        index = bisect_right(self._midnight_texts, at) - 1
        if index < 0 or at >= self._end_text:
            raise ValueError(f"time {at} is outside the school-hours span {self.first_day} to {self.last_day}")
        if at <= self._open_texts[index]:
            return self._before[index]
        if at >= self._close_texts[index]:
            return self._before[index] + (self._closes[index] - self._opens[index])
        return self._before[index] + (datetime.fromisoformat(at).timestamp() - self._opens[index])

    def hours_between_texts(self, starts: Sequence[str], ends: Sequence[str]) -> list[float]:
        """Return `hours_between` for each start and end given as stored UTC time texts, in order. Raises ValueError outside the span.

        When every text has the stored form, the times are parsed and
        looked up with numpy, about five times as fast as one by one in
        benchmarks/reports.py. The arithmetic and so the results are the same.
        """
        if len(starts) != len(ends):
            raise ValueError(f"{len(starts)} start times but {len(ends)} end times were given. Give one end for each start.")
        start_seconds = stored_times_as_seconds(starts)
        end_seconds = stored_times_as_seconds(ends)
        if start_seconds is None or end_seconds is None:
            return self._hours_between_texts_one_by_one(starts, ends)
        return self.hours_between_many(start_seconds, end_seconds).tolist()

    def hours_between_many(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Return `hours_between` for each start and end in arrays of UTC seconds, with the same arithmetic."""
        seconds = self._elapsed_many(ends) - self._elapsed_many(starts)
        return np.where(seconds > 0, seconds / SECONDS_PER_HOUR, 0.0)

    def _elapsed_many(self, moments: np.ndarray) -> np.ndarray:
        """Return `elapsed` for each moment of an array of UTC seconds, with the same arithmetic."""
        midnights, opens, closes, before = self._day_arrays
        index = np.searchsorted(midnights, moments, side="right") - 1
        if moments.size and (index.min() < 0 or moments.max() >= self._end):
            raise ValueError(f"a time is outside the school-hours span {self.first_day} to {self.last_day}")
        # Before the opening, min(moment, close) - open is at most 0, and elapsed adds nothing.
        return before[index] + np.maximum(np.minimum(moments, closes[index]) - opens[index], 0.0)

    def _hours_between_texts_one_by_one(self, starts: Sequence[str], ends: Sequence[str]) -> list[float]:
        elapsed_at = self.elapsed_at
        hours = []
        for start, end in zip(starts, ends, strict=True):
            seconds = elapsed_at(end) - elapsed_at(start)
            # Equal to hours_between's "0 when end is before start", because elapsed never decreases.
            hours.append(seconds / SECONDS_PER_HOUR if seconds > 0 else 0.0)
        return hours


def school_hours_between_texts(
    calendar: SchoolCalendar, starts_and_ends: Sequence[tuple[Sequence[str], Sequence[str]]]
) -> list[Sequence[float]]:
    """Return the school hours from each start to its end, for lists of stored UTC time texts, in order.

    The index spans the local days of all the times, and a day more on
    each side.
    """
    columns = [column for pair in starts_and_ends for column in pair]
    if not any(columns):
        return [[] for _ in starts_and_ends]
    zone = load_zone(calendar.timezone)
    seconds = [stored_times_as_seconds(column) for column in columns]
    if any(array is None for array in seconds):
        earliest = datetime.fromisoformat(min(chain.from_iterable(columns))).astimezone(zone)
        latest = datetime.fromisoformat(max(chain.from_iterable(columns))).astimezone(zone)
    else:
        earliest = datetime.fromtimestamp(min(array.min() for array in seconds if array.size), zone)
        latest = datetime.fromtimestamp(max(array.max() for array in seconds if array.size), zone)
    index = SchoolHours(calendar, earliest.date() - timedelta(days=1), latest.date() + timedelta(days=1))

    hours = []
    for pair, (starts, ends) in enumerate(starts_and_ends):
        start_seconds, end_seconds = seconds[2 * pair], seconds[2 * pair + 1]
        if start_seconds is None or end_seconds is None:
            # The texts were already found not to be all in the stored form, so parse them one by one.
            hours.append(index._hours_between_texts_one_by_one(starts, ends))
        else:
            hours.append(index.hours_between_many(start_seconds, end_seconds))
    return hours


def stored_times_as_seconds(texts: Sequence[str]) -> np.ndarray | None:
    """Return stored UTC time texts ('2026-09-01T07:00:00Z') as an array of UTC seconds.

    Returns None when any text has another form, such as fractions of a
    second or an offset, because those need `datetime.fromisoformat`.
    Raises ValueError for an impossible date or time in the stored form.
    """
    if not texts:
        return np.empty(0, dtype=np.float64)
    try:
        if set(map(len, texts)) != {STORED_TIME_LENGTH}:
            return None
        raw = "".join(texts).encode("ascii")
    except (TypeError, UnicodeEncodeError):
        # A value that is not text, or text that is not ASCII.
        return None
    characters = np.frombuffer(raw, dtype=np.uint8).reshape(len(texts), STORED_TIME_LENGTH)
    for position, separator in STORED_TIME_SEPARATORS.items():
        if not (characters[:, position] == ord(separator)).all():
            return None
    # Subtracting from unsigned bytes wraps characters below '0' round to large values.
    if not ((characters[:, _DIGIT_POSITIONS] - ord("0")) <= 9).all():
        return None
    # numpy reads '2026-09-01T07:00:00' as datetime.fromisoformat does, and raises ValueError for an impossible date or time.
    moments = np.ascontiguousarray(characters[:, : STORED_TIME_LENGTH - 1]).view(f"S{STORED_TIME_LENGTH - 1}").ravel()
    return moments.astype("datetime64[s]").astype(np.int64).astype(np.float64)


def _utc_text(seconds: float) -> str:
    """Return UTC seconds as stored UTC text cut to seconds, as the reports compare times ('2026-09-01T07:00:00')."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
