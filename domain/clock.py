"""Time: UTC for storage, the district's zone for display, zone data from the tzdata package."""

import functools
import re
from datetime import datetime, timezone
from importlib import resources
from zoneinfo import ZoneInfo

import tzdata


@functools.cache
def load_zone(name: str) -> ZoneInfo:
    """Load a time zone from the tzdata package, never from the operating system.

    Operating-system zone files lag behind: British Columbia's move to
    permanent UTC-7 in November 2026 is in tzdata 2026f but not in older
    system packages. Raises LookupError for an unknown zone name.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", name):
        raise LookupError(f"time zone '{name}' is not a valid IANA name such as America/Vancouver")
    try:
        with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as handle:
            return ZoneInfo.from_file(handle, key=name)
    except (FileNotFoundError, IsADirectoryError, ValueError) as error:
        raise LookupError(f"time zone '{name}' is not in tzdata {tzdata.IANA_VERSION}; use an IANA name such as America/Vancouver") from error


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(timezone.utc)


def to_iso(moment: datetime) -> str:
    """Format a UTC moment for storage."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def from_iso(text: str) -> datetime:
    """Parse a stored UTC moment."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_text(text: str, zone_name: str) -> str:
    """Format a stored UTC moment as local date and time, e.g. 'Fri Dec 4, 1:05 PM'."""
    local = from_iso(text).astimezone(load_zone(zone_name))
    return local.strftime("%a %b %-d, %-I:%M %p")


def age_text(since: str, now: datetime) -> str:
    """Return the time since a stored UTC moment as a short text such as '3 d' or '5 h'."""
    hours = (now - from_iso(since)).total_seconds() / 3600
    return f"{hours / 24:.0f} d" if hours >= 24 else f"{max(hours, 0):.0f} h"
