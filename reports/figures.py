"""Report figures computed from stored documents: touches, teachers reached, deflection, response times, ratings and backlog.

Every function here is pure: it reads lists of plain documents, as
`reports.data.load_report_data` returns them, and returns JSON-ready values.
Stored times are UTC text (`2026-09-01T07:00:00Z`), so the functions compare
their first 19 characters as text, which orders them as times, and convert
to local time only by binary search over precomputed boundaries.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from math import floor
from typing import Any

from domain.clock import from_iso, load_zone
from domain.request import LEVEL_LABELS, Level, Status
from domain.school_calendar import SchoolCalendar
from domain.schools import School, SchoolDirectory
from reports.data import ReportData
from reports.query import SCHOOL_LEVELS, ReportQuery
from reports.school_hours import SchoolHours

UNKNOWN_LEVEL = "unknown"
CHAMPION_KIND = "champion"
SESSION_KIND = "small_group"
TIME_TEXT_LENGTH = len("2026-09-01T07:00:00")
SECONDS_PER_DAY = 86400

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

    def index_of(self, at: str) -> int:
        """Return the index of the month containing a UTC time already known to lie in the range."""
        return bisect_right(self._starts, at[:TIME_TEXT_LENGTH]) - 1


class LocalDays:
    """The local dates of a query's range, found for a UTC time by binary search."""

    def __init__(self, query: ReportQuery, zone_name: str):
        zone = load_zone(zone_name)
        self.dates = [query.start + timedelta(days=offset) for offset in range((query.end - query.start).days)]
        self._starts = [_time_text(datetime.combine(day, time(0), zone)) for day in self.dates]

    def date_of(self, at: str) -> date:
        """Return the local date of a UTC time already known to lie in the range."""
        return self.dates[bisect_right(self._starts, at[:TIME_TEXT_LENGTH]) - 1]


def compute_report(data: ReportData, query: ReportQuery, context: ReportContext) -> dict[str, Any]:
    """Compute every figure for the query and return them as one JSON-ready dict."""
    schools = Schools(context.directory, query)
    start, end = query.utc_bounds(context.calendar.timezone)
    months = LocalMonths(query, context.calendar.timezone)
    touches = select_touches(data.touches, start, end, schools)
    school_of = {doc.get("number"): doc.get("school", "") for doc in data.requests}
    filed, merged = filed_requests(data.requests, start, end, schools)
    events = [event for event in data.events if _in_range(event.get("at"), start, end) and schools.matches(school_of.get(event.get("request"), ""))]
    return {
        "query": {**query.to_dict(), "timezone": context.calendar.timezone, "now": _time_text(context.now) + "Z"},
        "touches": touch_figures(touches, months, schools, context.category_names, data.names),
        "teachers": teacher_figures(touches, schools),
        "requests": request_figures(filed, merged, months, events),
        "response_times": response_time_figures(filed, data.events, context.calendar),
        "ratings": rating_figures(events),
        "backlog": backlog_figures(data.requests, schools, context.now),
        "champions": champion_figures(touches),
        "sessions": session_figures(touches),
        "kb_gaps": gap_figures(data.gaps, start, end, query),
    }


# Selection


def select_touches(touches: Iterable[dict[str, Any]], start: str, end: str, schools: Schools) -> list[dict[str, Any]]:
    """Return the touches in [start, end) whose school passes the filters."""
    return [touch for touch in touches if _in_range(touch.get("at"), start, end) and schools.matches(touch.get("school", ""))]


def filed_requests(requests: Iterable[dict[str, Any]], start: str, end: str, schools: Schools) -> tuple[list[dict[str, Any]], int]:
    """Return the requests created in [start, end) that pass the filters, without merged duplicates, and how many duplicates were left out."""
    filed = []
    merged = 0
    for request in requests:
        if not _in_range(request.get("created_at"), start, end) or not schools.matches(request.get("school", "")):
            continue
        if request.get("merged_into") is not None:
            merged += 1
        else:
            filed.append(request)
    return filed, merged


# Touches and teachers


def touch_figures(
    touches: list[dict[str, Any]],
    months: LocalMonths,
    schools: Schools,
    category_names: Mapping[str, str],
    names: Mapping[str, str],
) -> dict[str, Any]:
    """Count touches by month, school, school level, category, support level and TST."""
    by_month_level = [[0] * len(Level) for _ in months.labels]
    by_school: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    by_tst: Counter[str] = Counter()
    for touch in touches:
        level = _level(touch)
        by_month_level[months.index_of(touch["at"])][level] += 1
        by_school[touch.get("school", "")] += 1
        by_category[touch.get("category", "")] += 1
        if level != Level.SELF_HELP:
            by_tst[touch.get("by_id", "")] += 1

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


def teacher_figures(touches: list[dict[str, Any]], schools: Schools) -> dict[str, Any]:
    """Count distinct teachers touched, overall and per school, with each school's share of its teachers."""
    reached: dict[str, set[str]] = defaultdict(set)
    for touch in touches:
        school = schools.get(touch.get("school", ""))
        reached[school.name if school else touch.get("school", "")].add(touch.get("teacher_id", ""))

    rows = []
    for school in schools.listed():
        count = len(reached.pop(school.name, ()))
        share = round(count / school.teachers, 4) if school.teachers else None
        rows.append({"school": school.name, "school_level": school.level, "teachers": school.teachers or None, "reached": count, "share": share})
    for name, teachers in sorted(reached.items()):
        rows.append({"school": name, "school_level": UNKNOWN_LEVEL, "teachers": None, "reached": len(teachers), "share": None})
    return {"reached": len({touch.get("teacher_id", "") for touch in touches}), "by_school": rows}


def champion_figures(touches: list[dict[str, Any]]) -> dict[str, int]:
    """Count champion touches and the distinct teachers they reached."""
    champion = [touch for touch in touches if touch.get("kind") == CHAMPION_KIND]
    return {"touches": len(champion), "teachers": len({touch.get("teacher_id") for touch in champion})}


def session_figures(touches: list[dict[str, Any]]) -> dict[str, int]:
    """Count small-group sessions and their attendees, one touch per attendee.

    A session is the touches with the same `session_id`, or, for touches
    without one, the touches recorded by the same person at the same second,
    as recording attendance writes every attendee's touch in one batch.
    """
    attendees = [touch for touch in touches if touch.get("kind") == SESSION_KIND]
    sessions = {touch.get("session_id") or (touch.get("by_id"), touch.get("at")) for touch in attendees}
    return {"sessions": len(sessions), "attendees": len(attendees), "teachers": len({touch.get("teacher_id") for touch in attendees})}


# Requests


def request_figures(filed: list[dict[str, Any]], merged: int, months: LocalMonths, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Count filed, deflected (resolved at level 0), merged and reopened requests."""
    deflected = sum(1 for request in filed if _resolved_at_self_help(request))
    by_month = [0] * len(months.labels)
    for request in filed:
        by_month[months.index_of(request["created_at"])] += 1
    return {
        "filed": len(filed),
        "deflected": deflected,
        "deflection_rate": round(deflected / len(filed), 4) if filed else None,
        "merged_duplicates": merged,
        "reopened": sum(1 for event in events if event.get("type") == "reopened"),
        "by_month": [{"month": label, "count": count} for label, count in zip(months.labels, by_month)],
    }


def response_time_figures(filed: list[dict[str, Any]], events: Iterable[dict[str, Any]], calendar: SchoolCalendar) -> dict[str, Any]:
    """Return the median and 90th percentile, in school hours, of time to first response and to resolution.

    Resolution counts requests that are resolved or closed now, except those
    closed automatically because the teacher did not reply.
    """
    auto_closed = _auto_closed_requests(events)
    first_pairs = [(request["created_at"], request["first_response_at"]) for request in filed if request.get("first_response_at")]
    resolved_pairs = [
        (request["created_at"], request["resolved_at"])
        for request in filed
        if request.get("resolved_at") and request.get("status") in RESOLVED_STATUSES and request.get("number") not in auto_closed
    ]
    pairs = first_pairs + resolved_pairs
    if not pairs:
        return {"first_response": _summary([]), "resolution": _summary([])}

    hours = _school_hours_for(pairs, calendar)
    return {
        "first_response": _summary([hours(start, end) for start, end in first_pairs]),
        "resolution": _summary([hours(start, end) for start, end in resolved_pairs]),
    }


def rating_figures(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Summarise the 1–5 ratings given in the range: count, mean and how many of each value."""
    ratings = [event.get("after", {}).get("rating") for event in events if event.get("type") == "rated"]
    ratings = [rating for rating in ratings if isinstance(rating, int) and 1 <= rating <= 5]
    distribution = Counter(ratings)
    return {
        "count": len(ratings),
        "mean": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "distribution": {str(value): distribution.get(value, 0) for value in range(1, 6)},
    }


def backlog_figures(requests: Iterable[dict[str, Any]], schools: Schools, now: datetime) -> dict[str, Any]:
    """Count the requests open now in the helpdesk's hands, by age since they were filed."""
    counts = [0] * len(AGE_BUCKETS)
    now_seconds = now.timestamp()
    for request in requests:
        if request.get("status") not in BACKLOG_STATUSES or not schools.matches(request.get("school", "")):
            continue
        age_days = (now_seconds - from_iso(request["created_at"]).timestamp()) / SECONDS_PER_DAY
        counts[next(index for index, (bound, _) in enumerate(AGE_BUCKETS) if age_days < bound)] += 1
    return {"total": sum(counts), "by_age": [{"bucket": label, "count": count} for (_, label), count in zip(AGE_BUCKETS, counts)]}


def gap_figures(gaps: Iterable[dict[str, Any]], start: str, end: str, query: ReportQuery) -> dict[str, Any]:
    """Count knowledge-base gaps (questions that found no article) in the range.

    Gaps are stored with a school level but no school, so with a school
    filter the count is None.
    """
    if query.school is not None:
        return {"count": None}
    count = sum(
        1
        for gap in gaps
        if _in_range(gap.get("at"), start, end) and (query.school_level is None or gap.get("school_level") == query.school_level)
    )
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
    rows = []
    for touch in sorted(select_touches(data.touches, start, end, schools), key=lambda touch: (touch["at"], touch.get("request", 0))):
        level = _level(touch)
        rows.append(
            {
                "request": touch.get("request"),
                "at": touch["at"],
                "local_date": days.date_of(touch["at"]).isoformat(),
                "teacher_id": touch.get("teacher_id", ""),
                "school": touch.get("school", ""),
                "school_level": schools.level_of(touch.get("school", "")),
                "category": touch.get("category", ""),
                "level": level,
                "level_label": LEVEL_LABELS[Level(level)],
                "kind": touch.get("kind", ""),
                "by_id": touch.get("by_id", ""),
                "by_name": data.names.get(touch.get("by_id", ""), ""),
            }
        )
    return rows


# Helpers


def percentile(ordered: list[float], fraction: float) -> float:
    """Return the percentile of sorted values by linear interpolation between the closest ranks (numpy's default method)."""
    position = (len(ordered) - 1) * fraction
    lower = floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _summary(hours: list[float]) -> dict[str, Any]:
    if not hours:
        return {"count": 0, "median_hours": None, "p90_hours": None}
    ordered = sorted(hours)
    return {"count": len(ordered), "median_hours": round(percentile(ordered, 0.5), 2), "p90_hours": round(percentile(ordered, 0.9), 2)}


def _school_hours_for(pairs: list[tuple[str, str]], calendar: SchoolCalendar):
    """Return a function of two stored times giving the school hours between them, indexed over the days the pairs span."""
    zone = load_zone(calendar.timezone)
    earliest = min(min(start, end) for start, end in pairs)
    latest = max(max(start, end) for start, end in pairs)
    first_day = from_iso(earliest).astimezone(zone).date() - timedelta(days=1)
    last_day = from_iso(latest).astimezone(zone).date() + timedelta(days=1)
    index = SchoolHours(calendar, first_day, last_day)
    # Python 3.11's fromisoformat reads the trailing Z that storage writes.
    return lambda start, end: index.hours_between(datetime.fromisoformat(start).timestamp(), datetime.fromisoformat(end).timestamp())


def _auto_closed_requests(events: Iterable[dict[str, Any]]) -> set[Any]:
    """Return the numbers of requests whose latest closing or reopening event is an automatic close."""
    latest: dict[Any, tuple[int, str]] = {}
    for event in events:
        if event.get("type") in ("auto_closed", "reopened"):
            number = event.get("request")
            seq = event.get("seq", 0)
            if number not in latest or seq > latest[number][0]:
                latest[number] = (seq, event["type"])
    return {number for number, (_, event_type) in latest.items() if event_type == "auto_closed"}


def _resolved_at_self_help(request: dict[str, Any]) -> bool:
    return request.get("status") in RESOLVED_STATUSES and request.get("level") == Level.SELF_HELP


def _level(touch: dict[str, Any]) -> int:
    level = touch.get("level")
    return level if isinstance(level, int) and 0 <= level < len(Level) else Level.SELF_HELP.value


def _in_range(at: Any, start: str, end: str) -> bool:
    return isinstance(at, str) and start <= at[:TIME_TEXT_LENGTH] < end


def _most_common(counter: Counter[str]) -> list[tuple[str, int]]:
    """Return the counts largest first, ties by name, so output is stable."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _time_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
