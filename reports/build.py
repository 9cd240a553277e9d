"""Builds a report from the settings and the store: the one entry point for the CLI, the bot and the dashboard."""

import asyncio
from datetime import datetime

from config.settings import Settings
from reports.data import ReportData, load_report_data
from reports.figures import ReportContext, compute_report
from reports.query import ReportQuery
from storage import Store


def report_context(settings: Settings, now: datetime) -> ReportContext:
    category_names = {category.id: category.name for category in settings.catalogue.categories}
    return ReportContext(settings.schools, settings.calendar, now, category_names)


async def build_report(store: Store, settings: Settings, query: ReportQuery, now: datetime) -> tuple[ReportData, dict]:
    """Load the stored documents once and compute every figure. Returns the documents too, for the CSV rows.

    The figures take about a quarter of a second over 100,000 requests, so
    they are computed in a worker thread and the event loop keeps serving
    other teachers. The rows are immutable tuples, so the thread cannot
    change what the store keeps.
    """
    data = await load_report_data(store)
    figures = await asyncio.to_thread(compute_report, data, query, report_context(settings, now))
    return data, figures
