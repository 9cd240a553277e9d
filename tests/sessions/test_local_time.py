"""Local session times: clock-change gaps and repeats, British Columbia's permanent UTC-7, and malformed input."""

from datetime import datetime, timezone

import pytest

from domain.errors import InvalidInput
from sessions.local_time import checked_duration, parse_local_start, session_time_text

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("day", "clock", "expected"),
    [
        ("2027-01-14", "15:30", datetime(2027, 1, 14, 22, 30, tzinfo=timezone.utc)),
        ("2027-07-14", "15:30", datetime(2027, 7, 14, 22, 30, tzinfo=timezone.utc)),
        # Before November 2026 these were the spring-forward gap and the fall-back repeat.
        ("2027-03-14", "02:30", datetime(2027, 3, 14, 9, 30, tzinfo=timezone.utc)),
        ("2027-11-07", "01:30", datetime(2027, 11, 7, 8, 30, tzinfo=timezone.utc)),
    ],
    ids=["winter", "summer", "old-spring-gap", "old-fall-repeat"],
)
def test_vancouver_is_utc_minus_7_all_year(day, clock, expected):
    assert parse_local_start(day, clock, "America/Vancouver", NOW) == expected


def test_toronto_converts_standard_and_daylight_time():
    winter = parse_local_start("2027-01-14", "15:30", "America/Toronto", NOW)
    summer = parse_local_start("2027-07-14", "15:30", "America/Toronto", NOW)

    assert winter == datetime(2027, 1, 14, 20, 30, tzinfo=timezone.utc)
    assert summer == datetime(2027, 7, 14, 19, 30, tzinfo=timezone.utc)


def test_toronto_spring_gap_is_rejected():
    with pytest.raises(InvalidInput, match="does not exist in America/Toronto") as caught:
        parse_local_start("2027-03-14", "02:30", "America/Toronto", NOW)

    assert "time" in caught.value.problems


def test_toronto_fall_repeat_is_rejected():
    with pytest.raises(InvalidInput, match="happens twice in America/Toronto") as caught:
        parse_local_start("2027-11-07", "01:30", "America/Toronto", NOW)

    assert "time" in caught.value.problems


@pytest.mark.parametrize(("day", "clock"), [("2027-03-14", "01:59"), ("2027-03-14", "03:00"), ("2027-11-07", "00:59"), ("2027-11-07", "02:00")])
def test_toronto_times_beside_clock_change_are_accepted(day, clock):
    assert parse_local_start(day, clock, "America/Toronto", NOW) > NOW


def test_past_time_is_rejected():
    with pytest.raises(InvalidInput, match="is in the past"):
        parse_local_start("2026-12-01", "03:59", "America/Vancouver", NOW)


def test_time_more_than_a_year_ahead_is_rejected():
    with pytest.raises(InvalidInput, match="more than a year ahead"):
        parse_local_start("2028-12-02", "09:00", "America/Vancouver", NOW)


@pytest.mark.parametrize(
    ("day", "clock", "problem"),
    [
        ("2027-02-30", "15:30", "does not exist"),
        ("14/01/2027", "15:30", "must look like 2027-01-14"),
        (None, "15:30", "must look like 2027-01-14"),
        ("2027-01-14", "25:00", "does not exist"),
        ("2027-01-14", "3:30 PM", "must look like 15:30"),
        ("2027-01-14", 1530, "must look like 15:30"),
    ],
)
def test_malformed_date_or_time_is_rejected(day, clock, problem):
    with pytest.raises(InvalidInput, match=problem):
        parse_local_start(day, clock, "America/Vancouver", NOW)


def test_seconds_from_the_client_are_dropped():
    assert parse_local_start("2027-01-14", "15:30:45", "America/Vancouver", NOW) == datetime(2027, 1, 14, 22, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(("value", "minutes"), [("45", 45), (90, 90), (" 15 ", 15), ("180", 180)])
def test_duration_accepts_whole_minutes(value, minutes):
    assert checked_duration(value) == minutes


@pytest.mark.parametrize("value", ["10", "181", "45.5", "", None, True, "forty", "²", "٤٥"])
def test_duration_rejects_other_values(value):
    with pytest.raises(InvalidInput, match="whole number of minutes from 15 to 180"):
        checked_duration(value)


def test_time_text_shows_local_span_and_zone():
    assert session_time_text("2027-01-14T22:30:00Z", "2027-01-14T23:15:00Z", "America/Vancouver") == "Thu Jan 14, 2027, 3:30–4:15 PM (America/Vancouver)"
    assert session_time_text("2027-01-14T18:30:00Z", "2027-01-14T19:30:00Z", "America/Vancouver") == "Thu Jan 14, 2027, 11:30 AM–12:30 PM (America/Vancouver)"
