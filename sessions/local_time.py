"""Reading a session's local date and time, and showing a session's time, in the district's zone.

A local time that a clock change skips (02:30 on the spring-forward night
in America/Toronto) does not exist, and one it repeats (01:30 on the
fall-back night) happens twice, so both are rejected rather than guessed.
British Columbia has stayed on UTC-7 since November 2026 (tzdata 2026f), so
America/Vancouver has neither from then on. Older zone data would wrongly
reject or shift such times, so zones come from the tzdata package.
"""

import re
from datetime import date, datetime, time, timedelta, timezone

from domain.clock import from_iso, load_zone
from domain.errors import InvalidInput, shown

MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 180
# The furthest ahead a session may be booked, to catch a mistyped year.
MAX_DAYS_AHEAD = 366


def parse_local_start(date_text: object, time_text: object, zone_name: str, now: datetime) -> datetime:
    """Return the UTC moment of a local date ("YYYY-MM-DD") and time ("HH:MM") in `zone_name`.

    Raises InvalidInput, naming the field, for a malformed value, a time that
    does not exist or happens twice in that zone, a time that is not after
    `now`, or one more than a year ahead.
    """
    day = _date(date_text)
    clock = _clock(time_text)
    zone = load_zone(zone_name)
    wall = datetime.combine(day, clock)
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    readable = f"{day:%a %b %-d, %Y} at {clock:%-I:%M %p}"

    if first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != wall:
        raise InvalidInput(
            f"{readable} does not exist in {zone_name}: the clocks skip that hour when daylight saving time starts. Pick another time.",
            {"time": "That time is skipped by the clock change."},
        )
    if first.utcoffset() != second.utcoffset():
        raise InvalidInput(
            f"{readable} happens twice in {zone_name}, because the clocks go back that night. Pick a time outside that hour.",
            {"time": "That time happens twice on the night the clocks go back."},
        )
    start = first.astimezone(timezone.utc)
    if start <= now:
        raise InvalidInput(f"{readable} ({zone_name}) is in the past. Pick a later time.", {"date": "The time is in the past."})
    if start - now > timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput(f"{readable} is more than a year ahead; check the year.", {"date": "The date is more than a year ahead."})
    return start


def checked_duration(value: object) -> int:
    """Return a session length in whole minutes from a card value; raises InvalidInput outside 15–180."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    # ASCII digits only: str.isdigit() also accepts "²", which int() rejects, and other scripts' digits.
    # Four digits at most, because int() raises ValueError past 4,300 digits and no valid length has more.
    if not (text.isascii() and text.isdigit() and len(text) <= 4) or not MIN_DURATION_MINUTES <= int(text) <= MAX_DURATION_MINUTES:
        raise InvalidInput(
            f"The length must be a whole number of minutes from {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES}, not {shown(value)}.",
            {"duration": "Pick a length."},
        )
    return int(text)


def session_time_text(start: str, end: str, zone_name: str) -> str:
    """Format stored UTC start and end as local text, e.g. 'Thu Jan 14, 2027, 3:30–4:15 PM (America/Vancouver)'."""
    zone = load_zone(zone_name)
    local_start = from_iso(start).astimezone(zone)
    local_end = from_iso(end).astimezone(zone)
    if local_start.date() != local_end.date():
        span = f"{local_start:%a %b %-d, %Y, %-I:%M %p} – {local_end:%a %b %-d, %-I:%M %p}"
    elif local_start.strftime("%p") == local_end.strftime("%p"):
        span = f"{local_start:%a %b %-d, %Y, %-I:%M}–{local_end:%-I:%M %p}"
    else:
        span = f"{local_start:%a %b %-d, %Y, %-I:%M %p}–{local_end:%-I:%M %p}"
    return f"{span} ({zone_name})"


def local_date_text(moment: datetime, zone_name: str) -> str:
    """Return the local date of a UTC moment as YYYY-MM-DD, the format of Input.Date."""
    return moment.astimezone(load_zone(zone_name)).date().isoformat()


def _date(value: object) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise InvalidInput(f"The date must look like 2027-01-14, not {value!r}.", {"date": "Pick a date."})
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidInput(f"The date {value!r} does not exist.", {"date": "Pick a date."}) from error


def _clock(value: object) -> time:
    # Input.Time sends "HH:MM"; some clients add seconds.
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", value.strip()):
        raise InvalidInput(f"The time must look like 15:30, not {value!r}.", {"time": "Pick a time."})
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidInput(f"The time {value!r} does not exist.", {"time": "Pick a time."}) from error
    return parsed.replace(second=0)
