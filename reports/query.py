"""The scope of a report: a range of local dates and optional school filters."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from domain.clock import load_zone
from domain.schools import SchoolDirectory

SCHOOL_LEVELS = ("elementary", "middle", "secondary")
# British Columbia's school year starts in September.
SCHOOL_YEAR_FIRST_MONTH = 9


class InvalidReportQuery(ValueError):
    """A report's dates or filters are invalid; the message names the value and the rule."""


@dataclass(frozen=True)
class ReportQuery:
    """Local dates [start, end) in the district's zone, and optional filters by school level and school."""

    start: date
    end: date
    school_level: str | None = None
    school: str | None = None

    def utc_bounds(self, zone_name: str) -> tuple[str, str]:
        """Return the range as UTC times in the stored format, cut to seconds ('2026-09-01T07:00:00')."""
        zone = load_zone(zone_name)
        return (_utc_text(datetime.combine(self.start, time(0), zone)), _utc_text(datetime.combine(self.end, time(0), zone)))

    def to_dict(self) -> dict[str, str | None]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "school_level": self.school_level, "school": self.school}


def parse_query(
    start_text: str,
    end_text: str,
    directory: SchoolDirectory,
    school_level: str | None = None,
    school: str | None = None,
) -> ReportQuery:
    """Check the dates and filters given as text and return the query. Raises InvalidReportQuery.

    The school name is matched without regard to case and returned as the
    directory spells it.
    """
    start = _parse_date("from", start_text)
    end = _parse_date("to", end_text)
    if end <= start:
        raise InvalidReportQuery(
            f"the end date 'to' ({end}) must be after the start date 'from' ({start}); the range includes 'from' and excludes 'to'"
        )
    level = (school_level or "").strip().lower() or None
    if level is not None and level not in SCHOOL_LEVELS:
        raise InvalidReportQuery(f"school level '{school_level}' is invalid; use one of {', '.join(SCHOOL_LEVELS)}")
    name = (school or "").strip() or None
    if name is not None:
        found = directory.get(name)
        if found is None:
            raise InvalidReportQuery(f"school '{name}' is not in the school directory; check the spelling against config/schools.csv")
        name = found.name
    return ReportQuery(start, end, level, name)


def school_year_so_far(today: date) -> tuple[date, date]:
    """Return the range from 1 September of the current school year to the day after `today`. July and August belong to the school year before."""
    year = today.year if today.month >= SCHOOL_YEAR_FIRST_MONTH else today.year - 1
    return date(year, SCHOOL_YEAR_FIRST_MONTH, 1), today + timedelta(days=1)


def _parse_date(name: str, text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidReportQuery(f"'{name}' date '{text}' is invalid; use YYYY-MM-DD, for example 2026-09-01") from None


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
