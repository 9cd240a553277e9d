"""Reports on teacher touches and the helpdesk's work, for leaders: figures, chart and export."""

from reports.build import build_report, report_context
from reports.chart import Chart, alt_text, render_chart
from reports.data import ReportData, load_report_data
from reports.export import figures_json, touches_csv
from reports.figures import TOUCH_COLUMNS, ReportContext, compute_report, touch_rows
from reports.query import SCHOOL_LEVELS, InvalidReportQuery, ReportQuery, parse_query

__all__ = [
    "Chart",
    "InvalidReportQuery",
    "ReportContext",
    "ReportData",
    "ReportQuery",
    "SCHOOL_LEVELS",
    "TOUCH_COLUMNS",
    "alt_text",
    "build_report",
    "compute_report",
    "figures_json",
    "load_report_data",
    "parse_query",
    "render_chart",
    "report_context",
    "touch_rows",
    "touches_csv",
]
