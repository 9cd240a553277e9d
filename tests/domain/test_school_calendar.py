"""School days and school hours in America/Vancouver, with zone data from tzdata."""

from datetime import date, datetime, time, timezone

import pytest

from domain.school_calendar import SchoolCalendar

# 2026-12-21..2027-01-01 is winter break; 2027-01-29 a professional-development day.
CALENDAR = SchoolCalendar.from_ranges(
    "America/Vancouver", time(8, 0), time(15, 0), [(date(2026, 12, 21), date(2027, 1, 1)), (date(2027, 1, 29), date(2027, 1, 29))]
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_weekends_and_holidays_are_not_school_days():
    assert CALENDAR.is_school_day(date(2026, 12, 4))
    assert not CALENDAR.is_school_day(date(2026, 12, 5))
    assert not CALENDAR.is_school_day(date(2026, 12, 24))
    assert not CALENDAR.is_school_day(date(2027, 1, 29))
    assert CALENDAR.is_school_day(date(2027, 1, 4))


def test_school_hours_skip_the_weekend():
    # Friday 14:00 local (21:00 UTC, UTC-7) to Monday 09:00 local (16:00 UTC): 1 h on Friday, 1 h on Monday.
    hours = CALENDAR.school_hours_between(utc(2026, 12, 4, 21), utc(2026, 12, 7, 16))

    assert hours == pytest.approx(2.0)


def test_school_hours_skip_winter_break():
    # Friday Dec 18 14:00 local to Monday Jan 4 10:00 local.
    hours = CALENDAR.school_hours_between(utc(2026, 12, 18, 21), utc(2027, 1, 4, 17))

    assert hours == pytest.approx(3.0)


def test_school_hours_use_permanent_utc_minus_seven():
    # 08:00 local is 15:00 UTC under British Columbia's permanent UTC-7 (tzdata 2026f), not 16:00.
    hours = CALENDAR.school_hours_between(utc(2026, 12, 7, 15), utc(2026, 12, 7, 16))

    assert hours == pytest.approx(1.0)


def test_local_date_crosses_midnight_utc():
    # 02:00 UTC on Saturday is still Friday evening in Vancouver.
    assert CALENDAR.local_date(utc(2026, 12, 5, 2)) == date(2026, 12, 4)


def test_school_days_between_counts_after_start():
    assert CALENDAR.school_days_between(utc(2026, 12, 4, 18), utc(2026, 12, 7, 18)) == 1
    assert CALENDAR.school_days_between(utc(2026, 12, 4, 18), utc(2026, 12, 4, 22)) == 0
    assert CALENDAR.school_days_between(utc(2027, 1, 28, 18), utc(2027, 2, 1, 18)) == 1


def test_reversed_range_is_rejected():
    with pytest.raises(ValueError, match="ends"):
        SchoolCalendar.from_ranges("America/Vancouver", time(8), time(15), [(date(2027, 1, 5), date(2027, 1, 1))])
