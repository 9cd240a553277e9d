"""A small district whose report figures were worked out by hand, for September and October 2026.

The district's zone is America/Vancouver, at UTC-7 all autumn (permanent from
November 2026), so local midnight is 07:00 UTC and school hours (08:00-15:00
local) are 15:00-22:00 UTC. Monday 12 October is a non-school day.

Requests (R) and what each tests:

* R1 filed 31 Aug 23:30 local, just before the range, solved by self-help
  1 Sep 00:10 local: its touch counts, the request is not filed in range.
* R2 filed 30 Sep, resolved at level 1 on 1 Oct: spans two months; rated 4.
* R3 resolved by TST A, rated 2, reopened, resolved again by TST B: two
  touches for one request. The rating before the reopening still counts.
* R4 a duplicate of R3, closed by the merge: not filed, not deflected.
* R5 a small-group session with three attendees (T4, T5, T6): three touches.
* R6 a Technology Champion meeting; rated 5.
* R7 filed Saturday 31 Oct and solved by self-help at 23:30 local,
  06:30 UTC on 1 Nov: in the range and in October.
* R8 filed at 00:00 local on 1 Nov: outside the range.
* R9 and R10 open (backlog); R11 has suggestions in front of the teacher,
  so it is not backlog; R14 was routed 7 hours before `NOW`.
* R12 closed automatically while waiting on the teacher: filed, but not
  in the resolution times.
* R13 resolved at 23:59:59 local on 31 Aug: its touch is outside the range.
* R15 answered by the triager at 20:00 local on 30 Sep, 03:00 UTC on
  1 Oct: a touch in September, a deflected request.
"""

from datetime import date, datetime, time, timezone

from domain.school_calendar import SchoolCalendar
from domain.schools import School, SchoolDirectory
from reports.data import ReportData
from reports.figures import ReportContext
from reports.query import ReportQuery

MAPLE = "Maple Elementary"
CEDAR = "Cedar Middle"
FIR = "Fir Secondary"
DIRECTORY = SchoolDirectory(
    (
        School(MAPLE, "elementary", "Coquitlam", 20),
        School(CEDAR, "middle", "Coquitlam", 40),
        School(FIR, "secondary", "Port Moody", 50),
    )
)
CALENDAR = SchoolCalendar("America/Vancouver", time(8, 0), time(15, 0), frozenset({date(2026, 10, 12)}))
NOW = datetime(2026, 11, 2, 19, 0, tzinfo=timezone.utc)
QUERY = ReportQuery(date(2026, 9, 1), date(2026, 11, 1))
CATEGORY_NAMES = {"forms": "Microsoft Forms", "onenote": "OneNote Class Notebook"}
NAMES = {"tst-a": "Adele Vance", "tst-b": "Isaiah Langer", "triager-m": "Megan Bowen"}


def request(number, teacher, school, category, created, status, level=None, first_response=None, resolved=None, **extra):
    return {
        "number": number, "teacher_id": teacher, "school": school, "category": category, "created_at": created,
        "status": status, "level": level, "first_response_at": first_response, "resolved_at": resolved,
        "merged_into": None, "rating": None, **extra,
    }


def touch(number, seq, teacher, school, category, level, kind, at, by):
    return {
        "request": number, "seq": seq, "teacher_id": teacher, "school": school, "category": category,
        "level": level, "kind": kind, "at": at, "by_id": by,
    }


def event(number, seq, event_type, at, after=None):
    return {"request": number, "seq": seq, "type": event_type, "at": at, "actor_id": "x", "actor_name": "x", "before": {}, "after": after or {}, "note": ""}


REQUESTS = [
    request(1, "t1", MAPLE, "forms", "2026-09-01T06:30:00Z", "closed", 0, None, "2026-09-01T07:10:00Z", rating=3),
    request(2, "t2", MAPLE, "onenote", "2026-09-30T16:00:00Z", "closed", 1, "2026-09-30T18:00:00Z", "2026-10-01T17:00:00Z", rating=4),
    request(3, "t3", CEDAR, "teams-assignments", "2026-10-05T15:00:00Z", "resolved", 1, "2026-10-05T16:00:00Z", "2026-10-13T17:00:00Z"),
    request(4, "t3", CEDAR, "teams-assignments", "2026-10-05T15:30:00Z", "closed", None, None, "2026-10-05T16:30:00Z", merged_into=3),
    request(5, "t4", FIR, "teams-meetings", "2026-10-13T22:30:00Z", "resolved", 2, "2026-10-14T15:30:00Z", "2026-10-20T21:00:00Z"),
    request(6, "t7", FIR, "minecraft", "2026-10-26T17:00:00Z", "closed", 3, "2026-10-26T18:00:00Z", "2026-10-28T19:00:00Z", rating=5),
    request(7, "t1", MAPLE, "forms", "2026-10-31T23:00:00Z", "resolved", 0, None, "2026-11-01T06:30:00Z"),
    request(8, "t2", MAPLE, "forms", "2026-11-01T07:00:00Z", "resolved", 0, None, "2026-11-01T07:30:00Z"),
    request(9, "t8", FIR, "forms", "2026-10-29T16:00:00Z", "awaiting_triage"),
    request(10, "t2", MAPLE, "onedrive", "2026-09-15T16:00:00Z", "claimed", 1, "2026-09-15T17:00:00Z"),
    request(11, "t5", FIR, "forms", "2026-11-02T18:00:00Z", "suggested"),
    request(12, "t6", FIR, "onenote", "2026-09-08T16:00:00Z", "closed", 1, "2026-09-08T17:00:00Z", "2026-09-16T16:00:00Z"),
    request(13, "t3", CEDAR, "forms", "2026-08-28T16:00:00Z", "resolved", 1, "2026-08-28T17:00:00Z", "2026-09-01T06:59:59Z"),
    request(14, "t1", MAPLE, "forms", "2026-11-02T12:00:00Z", "routed", 1, "2026-11-02T12:30:00Z"),
    request(15, "t2", MAPLE, "forms", "2026-09-30T20:00:00Z", "resolved", 0, "2026-10-01T03:00:00Z", "2026-10-01T03:00:00Z"),
]

TOUCHES = [
    touch(1, 2, "t1", MAPLE, "forms", 0, "self_help", "2026-09-01T07:10:00Z", "t1"),
    touch(2, 5, "t2", MAPLE, "onenote", 1, "remote", "2026-10-01T17:00:00Z", "tst-a"),
    touch(3, 4, "t3", CEDAR, "teams-assignments", 1, "remote", "2026-10-05T20:00:00Z", "tst-a"),
    touch(3, 8, "t3", CEDAR, "teams-assignments", 1, "remote", "2026-10-13T17:00:00Z", "tst-b"),
    touch(5, 4, "t4", FIR, "teams-meetings", 2, "small_group", "2026-10-20T21:00:00Z", "tst-b"),
    touch(5, 5, "t5", FIR, "teams-meetings", 2, "small_group", "2026-10-20T21:00:00Z", "tst-b"),
    touch(5, 6, "t6", FIR, "teams-meetings", 2, "small_group", "2026-10-20T21:00:00Z", "tst-b"),
    touch(6, 4, "t7", FIR, "minecraft", 3, "champion", "2026-10-28T19:00:00Z", "champion-c1"),
    touch(7, 2, "t1", MAPLE, "forms", 0, "self_help", "2026-11-01T06:30:00Z", "t1"),
    touch(8, 2, "t2", MAPLE, "forms", 0, "self_help", "2026-11-01T07:30:00Z", "t2"),
    touch(13, 3, "t3", CEDAR, "forms", 1, "remote", "2026-09-01T06:59:59Z", "tst-a"),
    touch(15, 2, "t2", MAPLE, "forms", 0, "self_help", "2026-10-01T03:00:00Z", "triager-m"),
]

EVENTS = [
    event(1, 3, "rated", "2026-09-01T08:00:00Z", {"rating": 3, "status": "closed"}),
    event(2, 6, "rated", "2026-10-01T20:00:00Z", {"rating": 4, "status": "closed"}),
    event(3, 5, "rated", "2026-10-06T16:00:00Z", {"rating": 2, "status": "closed"}),
    event(3, 6, "reopened", "2026-10-09T16:00:00Z", {"rating": None, "status": "awaiting_triage"}),
    event(6, 5, "rated", "2026-10-28T20:00:00Z", {"rating": 5, "status": "closed"}),
    event(12, 5, "auto_closed", "2026-09-16T16:00:00Z", {"status": "closed"}),
    event(13, 4, "rated", "2026-08-30T16:00:00Z", {"rating": 1, "status": "closed"}),
]

GAPS = [
    {"text": "class notebook sections missing", "category": "onenote", "school_level": "elementary", "at": "2026-09-10T16:00:00Z"},
    {"text": "breakout rooms for students", "category": "teams-meetings", "school_level": "middle", "at": "2026-10-20T16:00:00Z"},
    {"text": "sway embed", "category": "sway", "school_level": "elementary", "at": "2026-11-01T07:00:00Z"},
]


def report_data() -> ReportData:
    return ReportData(REQUESTS, TOUCHES, EVENTS, GAPS, NAMES)


def context() -> ReportContext:
    return ReportContext(DIRECTORY, CALENDAR, NOW, CATEGORY_NAMES)
