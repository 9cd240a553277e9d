"""Report figures computed from stored documents: touches, teachers reached, deflection, response times, ratings and backlog.

Every function here is pure: it reads rows of the fields in reports.data,
as `reports.data.load_report_data` reads them from the store, or lists of
plain documents, and returns JSON-ready values. Stored times are UTC text
(`2026-09-01T07:00:00Z`), so the functions compare them as text with
bounds cut to seconds (`2026-09-01T07:00:00`), which orders them as times:
a stored time whose first 19 characters equal a bound compares as after
it, as the time does. They convert to local time only by binary search
over precomputed boundaries, and parse times only for the school-hour
figures and the backlog's ages.

Which documents each figure counts:

* touches: teacher touches whose time falls in the range, by the school
  recorded on the touch. A reopened request that is helped again has two
  touches, and a session has one touch per attendee. Counts by TST leave
  out level-0 touches, whose `by_id` is the teacher or the triager.
* requests filed, deflection and response times: requests created in the
  range, except duplicates closed by a merge (`merged_into` set).
* ratings and reopenings: `rated` and `reopened` events in the range.
* backlog: requests open at `now` in the helpdesk's hands, whatever the range.
"""

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from itertools import compress
from math import floor
from operator import itemgetter
from typing import Any

import numpy as np

from domain.clock import from_iso, load_zone
from domain.request import LEVEL_LABELS, Level, Status
from domain.school_calendar import SchoolCalendar
from domain.schools import School, SchoolDirectory
from reports.data import EVENT_FIELDS, GAP_FIELDS, REQUEST_FIELDS, TOUCH_FIELDS, ReportData, rows_of
from reports.query import SCHOOL_LEVELS, ReportQuery
from reports.school_hours import school_hours_between_texts

UNKNOWN_LEVEL = "unknown"
CHAMPION_KIND = "champion"
SESSION_KIND = "small_group"
SECONDS_PER_DAY = 86400
SELF_HELP = Level.SELF_HELP.value
# The median and the 90th percentile, as fractions of the sorted values.
SUMMARY_FRACTIONS = (0.5, 0.9)

Row = tuple[Any, ...]
# Positions of the fields in the rows of reports.data.
TOUCH_REQUEST, TOUCH_AT, TOUCH_TEACHER, TOUCH_SCHOOL, TOUCH_CATEGORY, TOUCH_LEVEL, TOUCH_KIND, TOUCH_BY, TOUCH_SESSION = (
    list(TOUCH_FIELDS).index(name) for name in ("request", "at", "teacher_id", "school", "category", "level", "kind", "by_id", "session_id")
)
REQUEST_NUMBER, REQUEST_SCHOOL, REQUEST_CREATED, REQUEST_STATUS, REQUEST_LEVEL, REQUEST_FIRST_RESPONSE, REQUEST_RESOLVED, REQUEST_MERGED_INTO = (
    list(REQUEST_FIELDS).index(name)
    for name in ("number", "school", "created_at", "status", "level", "first_response_at", "resolved_at", "merged_into")
)
EVENT_REQUEST, EVENT_SEQ, EVENT_TYPE, EVENT_AT, EVENT_RATING = (list(EVENT_FIELDS).index(name) for name in ("request", "seq", "type", "at", ("after", "rating")))
GAP_AT, GAP_SCHOOL_LEVEL = (list(GAP_FIELDS).index(name) for name in ("at", "school_level"))

# Open work in the helpdesk's hands. New and suggested requests are still with the teacher.
BACKLOG_STATUSES = frozenset(
    status.value
    for status in (Status.AWAITING_TRIAGE, Status.ROUTED, Status.CLAIMED, Status.IN_PROGRESS, Status.WAITING_ON_TEACHER, Status.ESCALATED)
)
RESOLVED_STATUSES = frozenset((Status.RESOLVED.value, Status.CLOSED.value))
# Upper bounds in days (exclusive) and labels of the backlog age buckets. The last bucket has no upper bound.
AGE_BUCKETS: tuple[tuple[float, str], ...] = (
    (1, "under 1 day"),
    (3, "1 to 3 days"),
    (7, "3 to 7 days"),
    (30, "7 to 30 days"),
    (float("inf"), "30 days or more"),
)


@dataclass(frozen=True)
class ReportContext:
    """Inputs of the figures besides the documents: schools, calendar, the current time and category names."""

    directory: SchoolDirectory
    calendar: SchoolCalendar
    now: datetime
    category_names: Mapping[str, str] = field(default_factory=dict)


class Schools:
    """The school directory as a case-insensitive lookup, and the query's school filters."""

    def __init__(self, directory: SchoolDirectory, query: ReportQuery):
        self.by_key = {school.name.casefold(): school for school in directory.schools}
        self.query = query
        self._level_filter = query.school_level
        self._school_filter = query.school.casefold() if query.school else None
        self.filtered = self._school_filter is not None or self._level_filter is not None

    def get(self, name: str) -> School | None:
        return self.by_key.get((name or "").strip().casefold())

    def level_of(self, name: str) -> str:
        school = self.get(name)
        return school.level if school else UNKNOWN_LEVEL

    def matches(self, name: str) -> bool:
        """Return True when a school name passes the query's school and school-level filters."""
        if self._school_filter is None and self._level_filter is None:
            return True
        key = (name or "").strip().casefold()
        if self._school_filter is not None and key != self._school_filter:
            return False
        if self._level_filter is not None:
            school = self.by_key.get(key)
            return school is not None and school.level == self._level_filter
        return True

    def select(self, rows: list[Row], school_of: Callable[[Row], str]) -> list[Row]:
        """Return the rows whose school (`school_of(row)`) passes the filters, or `rows` itself without filters.

        Each name is checked once, because rows repeat a few school names many times.
        """
        if not self.filtered:
            return rows
        results: dict[str, bool] = {}
        selected = []
        for row in rows:
            name = school_of(row)
            result = results.get(name)
            if result is None:
                result = results[name] = self.matches(name)
            if result:
                selected.append(row)
        return selected

    def listed(self) -> list[School]:
        """Return the directory's schools that pass the filters, by name."""
        return sorted((school for school in self.by_key.values() if self.matches(school.name)), key=lambda school: school.name)


class LocalMonths:
    """The local months that a query's range touches, found for a UTC time by binary search."""

    def __init__(self, query: ReportQuery, zone_name: str):
        zone = load_zone(zone_name)
        self.labels: list[str] = []
        self._starts: list[str] = []
        month = date(query.start.year, query.start.month, 1)
        while month < query.end:
            self.labels.append(f"{month.year:04d}-{month.month:02d}")
            self._starts.append(_time_text(datetime.combine(max(month, query.start), time(0), zone)))
            month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        # A time before the second month's start is in the first month, and so on.
        self._index_of = partial(bisect_right, self._starts[1:])

    def index_of(self, at: str) -> int:
        """Return the index of the month containing a UTC time already known to lie in the range."""
        return self._index_of(at)

    def indexes_of(self, times: Iterable[str]) -> Iterable[int]:
        """Return the index of the month containing each UTC time, for times already known to lie in the range."""
        return map(self._index_of, times)


class LocalDays:
    """The local dates of a query's range, found for a UTC time by binary search."""

    def __init__(self, query: ReportQuery, zone_name: str):
        zone = load_zone(zone_name)
        self.dates = [query.start + timedelta(days=offset) for offset in range((query.end - query.start).days)]
        self._starts = [_time_text(datetime.combine(day, time(0), zone)) for day in self.dates]

    def date_of(self, at: str) -> date:
        """Return the local date of a UTC time already known to lie in the range."""
        return self.dates[bisect_right(self._starts, at) - 1]


def compute_report(data: ReportData, query: ReportQuery, context: ReportContext) -> dict[str, Any]:
    """Compute every figure for the query and return them as one JSON-ready dict."""
    requests = rows_of(data.requests, REQUEST_FIELDS)
    events = rows_of(data.events, EVENT_FIELDS)
    schools = Schools(context.directory, query)
    start, end = query.utc_bounds(context.calendar.timezone)
    months = LocalMonths(query, context.calendar.timezone)
    touches = select_touches(rows_of(data.touches, TOUCH_FIELDS), start, end, schools)
    filed, merged = filed_requests(requests, start, end, schools)
    events_in_range = select_events(events, requests, start, end, schools)
    return {
        "query": {**query.to_dict(), "timezone": context.calendar.timezone, "now": _time_text(context.now) + "Z"},
        "touches": touch_figures(touches, months, schools, context.category_names, data.names),
        "teachers": teacher_figures(touches, schools),
        "requests": request_figures(filed, merged, months, events_in_range),
        "response_times": response_time_figures(filed, events, context.calendar),
        "ratings": rating_figures(events_in_range),
        "backlog": backlog_figures(requests, schools, context.now),
        "champions": champion_figures(touches),
        "sessions": session_figures(touches),
        "kb_gaps": gap_figures(rows_of(data.gaps, GAP_FIELDS), start, end, query),
    }


# Selection


def select_touches(touches: Iterable[Row], start: str, end: str, schools: Schools) -> list[Row]:
    """Return the touch rows in [start, end) whose school passes the filters."""
    return schools.select(_rows_in_range(touches, TOUCH_AT, start, end), itemgetter(TOUCH_SCHOOL))


def filed_requests(requests: Iterable[Row], start: str, end: str, schools: Schools) -> tuple[list[Row], int]:
    """Return the request rows created in [start, end) that pass the filters, without merged duplicates, and how many duplicates were left out."""
    created = schools.select(_rows_in_range(requests, REQUEST_CREATED, start, end), itemgetter(REQUEST_SCHOOL))
    filed = [request for request in created if request[REQUEST_MERGED_INTO] is None]
    return filed, len(created) - len(filed)


def select_events(events: Iterable[Row], requests: Sequence[Row], start: str, end: str, schools: Schools) -> list[Row]:
    """Return the event rows in [start, end) whose request's school passes the filters."""
    in_range = _rows_in_range(events, EVENT_AT, start, end)
    if not schools.filtered:
        return in_range
    school_of = {request[REQUEST_NUMBER]: request[REQUEST_SCHOOL] for request in requests}
    return schools.select(in_range, lambda event: school_of.get(event[EVENT_REQUEST], ""))


# Touches and teachers


def touch_figures(
    touches: list[Row],
    months: LocalMonths,
    schools: Schools,
    category_names: Mapping[str, str],
    names: Mapping[str, str],
) -> dict[str, Any]:
    """Count touches by month, school, school level, category, support level and TST."""
    levels = _levels(touches)
    by_month_level = [[0] * len(Level) for _ in months.labels]
    for (month, level), count in Counter(zip(months.indexes_of(map(itemgetter(TOUCH_AT), touches)), levels)).items():
        by_month_level[month][level] += count
    # Level 0 is the only level that is false, and its by_id is the teacher or the triager, not a TST.
    by_tst = Counter(compress(map(itemgetter(TOUCH_BY), touches), levels))
    by_school = Counter(map(itemgetter(TOUCH_SCHOOL), touches))
    by_category = Counter(map(itemgetter(TOUCH_CATEGORY), touches))

    by_school_level = {level: 0 for level in SCHOOL_LEVELS}
    for school, count in by_school.items():
        level = schools.level_of(school)
        by_school_level[level] = by_school_level.get(level, 0) + count
    level_totals = [sum(row[level] for row in by_month_level) for level in range(len(Level))]
    return {
        "total": len(touches),
        "by_month": [{"month": label, "count": sum(row)} for label, row in zip(months.labels, by_month_level)],
        "by_month_and_level": [{"month": label, "counts": row} for label, row in zip(months.labels, by_month_level)],
        "by_level": [{"level": level.value, "label": LEVEL_LABELS[level], "count": level_totals[level]} for level in Level],
        "by_school_level": [{"school_level": level, "count": count} for level, count in by_school_level.items()],
        "by_school": [
            {"school": school, "school_level": schools.level_of(school), "count": count} for school, count in _most_common(by_school)
        ],
        "by_category": [
            {"category": category, "name": category_names.get(category, category), "count": count}
            for category, count in _most_common(by_category)
        ],
        "by_tst": [{"id": tst_id, "name": names.get(tst_id, tst_id), "count": count} for tst_id, count in _most_common(by_tst)],
    }


def teacher_figures(touches: list[Row], schools: Schools) -> dict[str, Any]:
    """Count distinct teachers touched, overall and per school, with each school's share of its teachers."""
    by_recorded_school: dict[str, set[str]] = defaultdict(set)
    for recorded, teacher in zip(map(itemgetter(TOUCH_SCHOOL), touches), map(itemgetter(TOUCH_TEACHER), touches)):
        by_recorded_school[recorded].add(teacher)
    # Names that differ only in case or spaces are the same directory school.
    reached: dict[str, set[str]] = defaultdict(set)
    for recorded, teachers in by_recorded_school.items():
        school = schools.get(recorded)
        reached[school.name if school else recorded] |= teachers

    rows = []
    for school in schools.listed():
        count = len(reached.pop(school.name, ()))
        share = round(count / school.teachers, 4) if school.teachers else None
        rows.append({"school": school.name, "school_level": school.level, "teachers": school.teachers or None, "reached": count, "share": share})
    for name, teachers in sorted(reached.items()):
        rows.append({"school": name, "school_level": UNKNOWN_LEVEL, "teachers": None, "reached": len(teachers), "share": None})
    return {"reached": len(set().union(*by_recorded_school.values())), "by_school": rows}


def champion_figures(touches: list[Row]) -> dict[str, int]:
    """Count champion touches and the distinct teachers they reached."""
    champion = [touch for touch in touches if touch[TOUCH_KIND] == CHAMPION_KIND]
    return {"touches": len(champion), "teachers": len({touch[TOUCH_TEACHER] for touch in champion})}


def session_figures(touches: list[Row]) -> dict[str, int]:
    """Count small-group sessions and their attendees, one touch per attendee.

    A session is the touches with the same `session_id`, or, for touches
    without one, the touches recorded by the same person at the same second,
    as recording attendance writes every attendee's touch in one batch.
    """
    attendees = [touch for touch in touches if touch[TOUCH_KIND] == SESSION_KIND]
    sessions = {touch[TOUCH_SESSION] or (touch[TOUCH_BY], touch[TOUCH_AT]) for touch in attendees}
    return {"sessions": len(sessions), "attendees": len(attendees), "teachers": len({touch[TOUCH_TEACHER] for touch in attendees})}


# Requests


def request_figures(filed: list[Row], merged: int, months: LocalMonths, events: list[Row]) -> dict[str, Any]:
    """Count filed, deflected (resolved at level 0), merged and reopened requests."""
    deflected = len([request for request in filed if request[REQUEST_STATUS] in RESOLVED_STATUSES and request[REQUEST_LEVEL] == SELF_HELP])
    by_month = Counter(months.indexes_of(map(itemgetter(REQUEST_CREATED), filed)))
    return {
        "filed": len(filed),
        "deflected": deflected,
        "deflection_rate": round(deflected / len(filed), 4) if filed else None,
        "merged_duplicates": merged,
        "reopened": len([event for event in events if event[EVENT_TYPE] == "reopened"]),
        "by_month": [{"month": label, "count": by_month[index]} for index, label in enumerate(months.labels)],
    }


def response_time_figures(filed: list[Row], events: Iterable[Row], calendar: SchoolCalendar) -> dict[str, Any]:
    """Return the median and 90th percentile, in school hours, of time to first response and to resolution.

    Resolution counts requests that are resolved or closed now, except those
    closed automatically because the teacher did not reply.
    """
    auto_closed = _auto_closed_requests(events)
    responded = [request for request in filed if request[REQUEST_FIRST_RESPONSE]]
    resolved = [
        request
        for request in filed
        if request[REQUEST_RESOLVED] and request[REQUEST_STATUS] in RESOLVED_STATUSES and request[REQUEST_NUMBER] not in auto_closed
    ]
    if not responded and not resolved:
        return {"first_response": _summary([]), "resolution": _summary([])}

    first_response_hours, resolution_hours = school_hours_between_texts(
        calendar,
        [
            (list(map(itemgetter(REQUEST_CREATED), responded)), list(map(itemgetter(REQUEST_FIRST_RESPONSE), responded))),
            (list(map(itemgetter(REQUEST_CREATED), resolved)), list(map(itemgetter(REQUEST_RESOLVED), resolved))),
        ],
    )
    return {"first_response": _summary(first_response_hours), "resolution": _summary(resolution_hours)}


def rating_figures(events: list[Row]) -> dict[str, Any]:
    """Summarise the 1–5 ratings given in the range: count, mean and how many of each value."""
    ratings = [event[EVENT_RATING] for event in events if event[EVENT_TYPE] == "rated"]
    ratings = [rating for rating in ratings if isinstance(rating, int) and 1 <= rating <= 5]
    distribution = Counter(ratings)
    return {
        "count": len(ratings),
        "mean": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "distribution": {str(value): distribution.get(value, 0) for value in range(1, 6)},
    }


def backlog_figures(requests: Iterable[Row], schools: Schools, now: datetime) -> dict[str, Any]:
    """Count the requests open now in the helpdesk's hands, by age since they were filed."""
    counts = [0] * len(AGE_BUCKETS)
    now_seconds = now.timestamp()
    open_requests = schools.select([request for request in requests if request[REQUEST_STATUS] in BACKLOG_STATUSES], itemgetter(REQUEST_SCHOOL))
    for request in open_requests:
        age_days = (now_seconds - from_iso(request[REQUEST_CREATED]).timestamp()) / SECONDS_PER_DAY
        counts[next(index for index, (bound, _) in enumerate(AGE_BUCKETS) if age_days < bound)] += 1
    return {"total": sum(counts), "by_age": [{"bucket": label, "count": count} for (_, label), count in zip(AGE_BUCKETS, counts)]}


def gap_figures(gaps: Iterable[Row], start: str, end: str, query: ReportQuery) -> dict[str, Any]:
    """Count knowledge-base gaps (questions that found no article) in the range.

    Gaps are stored with a school level but no school, so with a school
    filter the count is None.
    """
    if query.school is not None:
        return {"count": None}
    count = sum(1 for gap in _rows_in_range(gaps, GAP_AT, start, end) if query.school_level is None or gap[GAP_SCHOOL_LEVEL] == query.school_level)
    return {"count": count}


# Rows for export


TOUCH_COLUMNS = (
    "request", "at", "local_date", "teacher_id", "school", "school_level", "category", "level", "level_label", "kind", "by_id", "by_name",
)


def touch_rows(
    data: ReportData, query: ReportQuery, context: ReportContext
) -> list[dict[str, Any]]:
    """Return the touches behind the figures as flat rows, oldest first, with the columns in TOUCH_COLUMNS."""
    schools = Schools(context.directory, query)
    start, end = query.utc_bounds(context.calendar.timezone)
    days = LocalDays(query, context.calendar.timezone)
    touches = select_touches(rows_of(data.touches, TOUCH_FIELDS), start, end, schools)
    rows = []
    for touch in sorted(touches, key=_touch_order):
        level = _level(touch[TOUCH_LEVEL])
        rows.append(
            {
                "request": touch[TOUCH_REQUEST],
                "at": touch[TOUCH_AT],
                "local_date": days.date_of(touch[TOUCH_AT]).isoformat(),
                "teacher_id": touch[TOUCH_TEACHER],
                "school": touch[TOUCH_SCHOOL],
                "school_level": schools.level_of(touch[TOUCH_SCHOOL]),
                "category": touch[TOUCH_CATEGORY],
                "level": level,
                "level_label": LEVEL_LABELS[Level(level)],
                "kind": touch[TOUCH_KIND],
                "by_id": touch[TOUCH_BY],
                "by_name": data.names.get(touch[TOUCH_BY], ""),
            }
        )
    return rows


# Helpers


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Return the percentile of sorted values by linear interpolation between the closest ranks (numpy's default method)."""
    position = (len(ordered) - 1) * fraction
    lower, upper = _percentile_ranks(len(ordered), fraction)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _summary(hours: Sequence[float]) -> dict[str, Any]:
    count = len(hours)
    if not count:
        return {"count": 0, "median_hours": None, "p90_hours": None}
    # percentile reads only the values at two ranks each, so partitioning around those ranks
    # is enough, in linear time. The values and the arithmetic are those of a full sort.
    ranks = sorted({rank for fraction in SUMMARY_FRACTIONS for rank in _percentile_ranks(count, fraction)})
    ordered = np.partition(np.asarray(hours, dtype=np.float64), ranks)
    median, p90 = (float(percentile(ordered, fraction)) for fraction in SUMMARY_FRACTIONS)
    return {"count": count, "median_hours": round(median, 2), "p90_hours": round(p90, 2)}


def _percentile_ranks(count: int, fraction: float) -> tuple[int, int]:
    """Return the two ranks that `percentile` reads for `count` sorted values."""
    lower = floor((count - 1) * fraction)
    return lower, min(lower + 1, count - 1)


def _auto_closed_requests(events: Iterable[Row]) -> set[Any]:
    """Return the numbers of requests whose latest closing or reopening event is an automatic close."""
    latest: dict[Any, tuple[int, str]] = {}
    for event in [event for event in events if event[EVENT_TYPE] in ("auto_closed", "reopened")]:
        number, seq = event[EVENT_REQUEST], event[EVENT_SEQ]
        if number not in latest or seq > latest[number][0]:
            latest[number] = (seq, event[EVENT_TYPE])
    return {number for number, (_, event_type) in latest.items() if event_type == "auto_closed"}


def _level(level: Any) -> int:
    return level if isinstance(level, int) and 0 <= level < len(Level) else Level.SELF_HELP.value


def _levels(touches: list[Row]) -> list[int]:
    """Return `_level` of each touch, calling it only for values that are not plain ints 0 to 5, which are rare."""
    level_count = len(Level)
    return [level if type(level) is int and 0 <= level < level_count else _level(level) for level in map(itemgetter(TOUCH_LEVEL), touches)]


def _in_range(at: Any, start: str, end: str) -> bool:
    return isinstance(at, str) and start <= at < end


def _rows_in_range(rows: Iterable[Row], position: int, start: str, end: str) -> list[Row]:
    """Return the rows whose time at `position` is text in [start, end), as `_in_range` decides."""
    try:
        return [row for row in rows if start <= row[position] < end]
    except TypeError:
        # Comparing text with anything else raises, such as None for a missing time, so such rows need the careful check.
        return [row for row in rows if _in_range(row[position], start, end)]


def _touch_order(touch: Row) -> tuple[str, Any]:
    """Return the CSV's sort key: time, then request number, with 0 for a touch without one."""
    request = touch[TOUCH_REQUEST]
    return touch[TOUCH_AT], 0 if request is None else request


def _most_common(counter: Counter[str]) -> list[tuple[str, int]]:
    """Return the counts largest first, ties by name, so output is stable."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _time_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
