"""School hours between stored time texts: parsed with numpy or one by one, always equal to the arithmetic on seconds."""

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.clock import to_iso
from domain.school_calendar import SchoolCalendar
from reports.school_hours import SchoolHours, school_hours_between_texts, stored_times_as_seconds
from tests.reports.fixture import CALENDAR

SPAN_START = datetime(2026, 2, 1, tzinfo=timezone.utc)
# Whole minutes, so that many moments fall exactly on an opening, a closing or a midnight.
moments = st.integers(min_value=0, max_value=400 * 24 * 60).map(lambda minutes: SPAN_START + timedelta(minutes=minutes))
INDEX = SchoolHours(CALENDAR, date(2026, 1, 30), date(2027, 3, 10))


def offset_text(moment: datetime) -> str:
    """Return the moment in another ISO form than storage writes, which the numpy path leaves to fromisoformat."""
    return moment.isoformat()


@settings(max_examples=300, deadline=None)
@given(moments)
def test_elapsed_at_equals_elapsed(moment):
    assert INDEX.elapsed_at(to_iso(moment)) == INDEX.elapsed(moment.timestamp())


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(moments, moments), min_size=1, max_size=40))
def test_hours_between_texts_equal_seconds(pairs):
    starts = [to_iso(start) for start, _ in pairs]
    ends = [to_iso(end) for _, end in pairs]
    expected = [INDEX.hours_between(start.timestamp(), end.timestamp()) for start, end in pairs]

    assert INDEX.hours_between_texts(starts, ends) == expected
    assert INDEX.hours_between_texts([offset_text(start) for start, _ in pairs], ends) == expected


def test_vectorised_path_matches_one_by_one():
    starts = [to_iso(SPAN_START + timedelta(minutes=37 * step)) for step in range(5000)]
    ends = [to_iso(SPAN_START + timedelta(minutes=37 * step + 11 * (step % 300))) for step in range(5000)]

    vectorised = INDEX.hours_between_texts(starts, ends)
    one_by_one = INDEX._hours_between_texts_one_by_one(starts, ends)

    assert vectorised == one_by_one
    assert any(hours > 0 for hours in vectorised)


def test_stored_times_parsed_exactly():
    texts = ["2026-09-01T07:00:00Z", "2026-11-01T06:59:59Z", "2027-03-14T10:30:00Z"]

    seconds = stored_times_as_seconds(texts)

    assert seconds.tolist() == [datetime.fromisoformat(text).timestamp() for text in texts]


@pytest.mark.parametrize(
    "text",
    [
        "2026-09-01T07:00:00.5Z",
        "2026-09-01T07:00:00+00:00",
        "2026-09-01T07:00:00",
        "2026-09-01 07:00:00Z",
        "2026-09-01T07:0a:00Z",
        "2026-09-01T07:00:0\u0669Z",
        None,
    ],
)
def test_other_time_forms_not_parsed(text):
    assert stored_times_as_seconds(["2026-09-01T07:00:00Z", text]) is None


def test_impossible_stored_time_raises():
    with pytest.raises(ValueError):
        stored_times_as_seconds(["2026-02-30T07:00:00Z"])


def test_time_outside_span_raises():
    index = SchoolHours(CALENDAR, date(2026, 10, 1), date(2026, 10, 2))

    with pytest.raises(ValueError, match="outside the school-hours span"):
        index.hours_between_texts(["2026-10-01T16:00:00Z"], ["2026-10-05T16:00:00Z"])
    with pytest.raises(ValueError, match="outside the school-hours span"):
        index.elapsed_at("2026-09-30T16:00:00Z")


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="Give one end for each start"):
        INDEX.hours_between_texts(["2026-10-01T16:00:00Z"], [])


def test_span_covers_every_time():
    # R3 of the fixture: 37 school hours from Monday 5 October to Tuesday 13 October, Thanksgiving Monday skipped.
    first, second = school_hours_between_texts(CALENDAR, [(["2026-10-05T15:00:00Z"], ["2026-10-13T17:00:00Z"]), ([], [])])

    assert list(first) == [37.0]
    assert list(second) == []


def test_span_without_times_empty():
    assert school_hours_between_texts(CALENDAR, [([], []), ([], [])]) == [[], []]


def test_sub_second_school_day_rejected():
    calendar = SchoolCalendar("America/Vancouver", time(8, 0, 0, 500), time(15, 0))

    with pytest.raises(ValueError, match="whole seconds"):
        SchoolHours(calendar, date(2026, 10, 1), date(2026, 10, 2))
