"""The "report" command: key figures for the helpdesk team and leaders, as a card with the chart."""

import asyncio
import logging
import re
from datetime import date
from typing import Any

from cards.report_card import report_card
from dialogs.context import Services
from domain.actor import Actor, Role
from domain.clock import utc_now
from reports import SCHOOL_LEVELS, InvalidReportQuery, ReportQuery, build_report, parse_query, render_chart
from reports.chart import CARD_PALETTE_COLOURS
from reports.query import school_year_so_far

logger = logging.getLogger(__name__)

COMMAND = "report"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REJECTION = (
    "Sorry, reports are only for district leaders and the helpdesk team. "
    "To see where your own requests stand, type **my requests**."
)
USAGE = (
    "Type **report** for this school year so far, **report 2026-09-01 2027-01-01** for a range "
    "(the second date is not included), and add **elementary**, **middle** or **secondary** to see one school level."
)


class ReportDialog:
    def __init__(self, services: Services):
        self.services = services

    @staticmethod
    def is_command(text: str) -> bool:
        """Return True for "report" followed only by dates and school levels, so questions that start with the word still become requests."""
        words = text.split()
        return bool(words) and words[0] == COMMAND and all(DATE.match(word) or word in SCHOOL_LEVELS for word in words[1:])

    async def reply(self, actor: Actor, text: str) -> str | dict[str, Any]:
        """Return the report card for the command, or a text that explains a refusal or a bad command."""
        if not (actor.has(Role.TRIAGER) or actor.has(Role.TST) or actor.has(Role.LEADER)):
            logger.info("report by %s rejected: not a leader or on the helpdesk team", actor.id)
            return REJECTION
        settings = self.services.settings
        now = utc_now()
        try:
            query = self._query(text.split()[1:], settings.calendar.local_date(now))
        except InvalidReportQuery as error:
            return f"That report cannot be made: {error}. {USAGE}"

        _, figures = await build_report(self.services.store, settings, query, now)
        chart = await asyncio.to_thread(render_chart, figures, 560, 260, CARD_PALETTE_COLOURS)
        logger.info("report %s to %s for %s", query.start, query.end, actor.id)
        return report_card(figures, settings.district_name, chart.png, chart.alt_text)

    def _query(self, words: list[str], today: date) -> ReportQuery:
        """Build the query from the words after "report". Without dates it covers the school year so far, today included."""
        dates = [word for word in words if DATE.match(word)]
        levels = [word for word in words if word in SCHOOL_LEVELS]
        if len(dates) > 2 or len(levels) > 1:
            raise InvalidReportQuery("give at most two dates and one school level")
        year_start, tomorrow = school_year_so_far(today)
        start = dates[0] if dates else year_start.isoformat()
        end = dates[1] if len(dates) == 2 else tomorrow.isoformat()
        return parse_query(start, end, self.services.settings.schools, levels[0] if levels else None)
