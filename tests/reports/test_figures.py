"""Every report figure against the hand-computed district in fixture.py."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.data import ReportData
from reports.figures import compute_report, percentile, touch_rows
from reports.query import ReportQuery
from reports.school_hours import SchoolHours
from tests.reports.fixture import CALENDAR, CEDAR, FIR, MAPLE, QUERY, context, report_data


@pytest.fixture(scope="module")
def report():
    return compute_report(report_data(), QUERY, context())


def by_key(rows, key):
    return {row[key]: row for row in rows}


# Touches


def test_touch_total_counts_range_only(report):
    # R1, R15 in September; R2, R3 twice, R5 three times, R6 and R7 in October.
    assert report["touches"]["total"] == 10


def test_touches_by_local_month(report):
    assert report["touches"]["by_month"] == [{"month": "2026-09", "count": 2}, {"month": "2026-10", "count": 8}]


def test_touches_by_month_and_level(report):
    assert report["touches"]["by_month_and_level"] == [
        {"month": "2026-09", "counts": [2, 0, 0, 0, 0, 0]},
        {"month": "2026-10", "counts": [1, 3, 3, 1, 0, 0]},
    ]


def test_touches_by_support_level(report):
    counts = [row["count"] for row in report["touches"]["by_level"]]

    assert counts == [3, 3, 3, 1, 0, 0]
    assert report["touches"]["by_level"][2]["label"] == "Level 2 · small group"


def test_touches_by_school(report):
    assert report["touches"]["by_school"] == [
        {"school": FIR, "school_level": "secondary", "count": 4},
        {"school": MAPLE, "school_level": "elementary", "count": 4},
        {"school": CEDAR, "school_level": "middle", "count": 2},
    ]


def test_touches_by_school_level(report):
    counts = {row["school_level"]: row["count"] for row in report["touches"]["by_school_level"]}

    assert counts == {"elementary": 4, "middle": 2, "secondary": 4}


def test_touches_by_category(report):
    rows = report["touches"]["by_category"]

    assert [(row["category"], row["count"]) for row in rows] == [
        ("forms", 3), ("teams-meetings", 3), ("teams-assignments", 2), ("minecraft", 1), ("onenote", 1),
    ]
    assert rows[0]["name"] == "Microsoft Forms"
    assert rows[2]["name"] == "teams-assignments"


def test_touches_by_tst_leave_out_self_help(report):
    assert report["touches"]["by_tst"] == [
        {"id": "tst-b", "name": "Isaiah Langer", "count": 4},
        {"id": "tst-a", "name": "Adele Vance", "count": 2},
        {"id": "champion-c1", "name": "champion-c1", "count": 1},
    ]


# Teachers


def test_distinct_teachers_reached(report):
    # t1, t2, t3, t4, t5, t6 and t7; t1 and t2 have two touches each.
    assert report["teachers"]["reached"] == 7


def test_share_of_each_school_reached(report):
    rows = by_key(report["teachers"]["by_school"], "school")

    assert [row["school"] for row in report["teachers"]["by_school"]] == [CEDAR, FIR, MAPLE]
    assert (rows[MAPLE]["reached"], rows[MAPLE]["teachers"], rows[MAPLE]["share"]) == (2, 20, 0.1)
    assert (rows[CEDAR]["reached"], rows[CEDAR]["teachers"], rows[CEDAR]["share"]) == (1, 40, 0.025)
    assert (rows[FIR]["reached"], rows[FIR]["teachers"], rows[FIR]["share"]) == (4, 50, 0.08)


def test_school_outside_directory_listed_without_share():
    data = report_data()
    extra = {**data.touches[1], "school": "Old Name Elementary", "teacher_id": "t9"}
    report = compute_report(replace(data, touches=[*data.touches, extra]), QUERY, context())
    rows = by_key(report["teachers"]["by_school"], "school")

    assert rows["Old Name Elementary"] == {"school": "Old Name Elementary", "school_level": "unknown", "teachers": None, "reached": 1, "share": None}
    assert {row["school_level"]: row["count"] for row in report["touches"]["by_school_level"]}["unknown"] == 1


# Requests


def test_requests_filed_skip_merged_and_outside(report):
    # R2, R3, R5, R6, R7, R9, R10, R12 and R15; R4 is merged; R1, R8, R11, R13 and R14 fall outside.
    assert report["requests"]["filed"] == 9
    assert report["requests"]["merged_duplicates"] == 1


def test_requests_filed_by_month(report):
    assert report["requests"]["by_month"] == [{"month": "2026-09", "count": 4}, {"month": "2026-10", "count": 5}]


def test_deflection_rate(report):
    # R7 and R15 were resolved at level 0.
    assert report["requests"]["deflected"] == 2
    assert report["requests"]["deflection_rate"] == pytest.approx(2 / 9, abs=1e-4)


def test_reopened_count(report):
    assert report["requests"]["reopened"] == 1


# Response times in school hours


def test_first_response_times(report):
    # R2 2, R3 1, R5 0.5, R6 1, R10 1, R12 1, R15 2 school hours.
    first = report["response_times"]["first_response"]

    assert first["count"] == 7
    assert first["median_hours"] == 1.0
    assert first["p90_hours"] == 2.0


def test_resolution_times(report):
    # R2 8, R3 37 (Thanksgiving Monday skipped), R5 34, R6 16, R7 0, R15 2; R12 closed automatically.
    resolution = report["response_times"]["resolution"]

    assert resolution["count"] == 6
    assert resolution["median_hours"] == 12.0
    assert resolution["p90_hours"] == 35.5


def test_times_empty_without_requests():
    report = compute_report(ReportData(), QUERY, context())

    assert report["response_times"]["first_response"] == {"count": 0, "median_hours": None, "p90_hours": None}
    assert report["requests"]["deflection_rate"] is None
    assert report["ratings"]["mean"] is None


def test_percentile_interpolates_between_ranks():
    assert percentile([0, 2, 8, 16, 34, 37], 0.5) == 12
    assert percentile([0, 2, 8, 16, 34, 37], 0.9) == pytest.approx(35.5)
    assert percentile([4.0], 0.9) == 4.0


# Ratings, backlog, champions, sessions and gaps


def test_ratings_in_range(report):
    # R1 3, R2 4, R3 2 (before its reopening) and R6 5; R13's rating is in August.
    ratings = report["ratings"]

    assert ratings["count"] == 4
    assert ratings["mean"] == 3.5
    assert ratings["distribution"] == {"1": 0, "2": 1, "3": 1, "4": 1, "5": 1}


def test_backlog_by_age(report):
    # R14 7 hours old, R9 4.1 days, R10 48 days; R11 is with the teacher.
    backlog = report["backlog"]

    assert backlog["total"] == 3
    assert [row["count"] for row in backlog["by_age"]] == [1, 0, 1, 0, 1]
    assert backlog["by_age"][0]["bucket"] == "under 1 day"


def test_champion_activity(report):
    assert report["champions"] == {"touches": 1, "teachers": 1}


def test_session_counts_each_attendee(report):
    assert report["sessions"] == {"sessions": 1, "attendees": 3, "teachers": 3}


def test_kb_gaps_in_range(report):
    assert report["kb_gaps"] == {"count": 2}


def test_query_echoed(report):
    assert report["query"]["from"] == "2026-09-01"
    assert report["query"]["to"] == "2026-11-01"
    assert report["query"]["timezone"] == "America/Vancouver"


# Filters


def test_school_level_filter():
    report = compute_report(report_data(), replace(QUERY, school_level="secondary"), context())

    assert report["touches"]["total"] == 4
    assert report["teachers"]["reached"] == 4
    assert [row["school"] for row in report["teachers"]["by_school"]] == [FIR]
    assert report["requests"]["filed"] == 4
    assert report["requests"]["deflection_rate"] == 0.0
    assert report["backlog"]["total"] == 1
    assert report["ratings"]["count"] == 1
    assert report["kb_gaps"] == {"count": 0}


def test_school_level_filter_times():
    # R5 34 and R6 16 school hours; R12 closed automatically.
    report = compute_report(report_data(), replace(QUERY, school_level="secondary"), context())
    resolution = report["response_times"]["resolution"]

    assert resolution["median_hours"] == 25.0
    assert resolution["p90_hours"] == pytest.approx(32.2)


def test_school_filter():
    report = compute_report(report_data(), replace(QUERY, school=MAPLE), context())

    assert report["touches"]["total"] == 4
    assert report["requests"]["filed"] == 4
    assert report["requests"]["deflection_rate"] == 0.5
    assert report["backlog"]["total"] == 2
    assert report["kb_gaps"] == {"count": None}


def test_elementary_gap_filter():
    report = compute_report(report_data(), replace(QUERY, school_level="elementary"), context())

    assert report["kb_gaps"] == {"count": 1}


def test_one_month_range_keeps_boundary():
    report = compute_report(report_data(), ReportQuery(date(2026, 10, 1), date(2026, 11, 1)), context())

    # R15's touch at 03:00 UTC on 1 October is still 30 September locally.
    assert report["touches"]["by_month"] == [{"month": "2026-10", "count": 8}]


# Export rows


def test_touch_rows_sorted_with_local_dates():
    rows = touch_rows(report_data(), QUERY, context())

    assert len(rows) == 10
    assert rows[0]["request"] == 1
    assert rows[0]["local_date"] == "2026-09-01"
    assert rows[1]["request"] == 15
    assert rows[1]["local_date"] == "2026-09-30"
    assert rows[-1]["local_date"] == "2026-10-31"
    assert rows[-1]["level_label"] == "Level 0 · self-help"
    assert rows[3]["by_name"] == "Adele Vance"


# School hours


def test_school_hours_index_matches_example():
    start = datetime(2026, 10, 5, 15, tzinfo=timezone.utc)
    end = datetime(2026, 10, 13, 17, tzinfo=timezone.utc)
    index = SchoolHours(CALENDAR, date(2026, 10, 1), date(2026, 10, 31))

    assert index.hours_between(start.timestamp(), end.timestamp()) == 37.0


def test_school_hours_index_rejects_outside_span():
    index = SchoolHours(CALENDAR, date(2026, 10, 1), date(2026, 10, 2))

    with pytest.raises(ValueError, match="outside the school-hours span"):
        index.elapsed(datetime(2026, 10, 3, 8, tzinfo=timezone.utc).timestamp())


SPAN_START = datetime(2026, 2, 1, tzinfo=timezone.utc)
moments = st.integers(min_value=0, max_value=400 * 24 * 60).map(lambda minutes: SPAN_START + timedelta(minutes=minutes))


@settings(max_examples=300, deadline=None)
@given(moments, moments)
def test_school_hours_index_matches_calendar(start, end):
    # The span covers March 2026, when Vancouver still changed clocks, and the permanent UTC-7 from November.
    index = SchoolHours(CALENDAR, date(2026, 1, 30), date(2027, 3, 10))

    assert index.hours_between(start.timestamp(), end.timestamp()) == pytest.approx(CALENDAR.school_hours_between(start, end), abs=1e-9)
