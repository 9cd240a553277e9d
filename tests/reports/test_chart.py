"""The touches chart: a PNG of the expected size, its alt text, and the reduced palette for cards."""

import io
from datetime import date
from pathlib import Path

from PIL import Image

from reports.chart import alt_text, render_chart
from reports.data import ReportData
from reports.figures import compute_report
from reports.query import ReportQuery
from tests.reports.fixture import QUERY, context, report_data

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


def test_chart_is_png_of_requested_size():
    chart = render_chart(compute_report(report_data(), QUERY, context()), width_px=640, height_px=300)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "chart.png").write_bytes(chart.png)

    with Image.open(io.BytesIO(chart.png)) as image:
        assert image.format == "PNG"
        assert image.size == (640, 300)


def test_alt_text_states_each_month():
    text = alt_text(compute_report(report_data(), QUERY, context()))

    assert "from Sep 2026 to Oct 2026" in text
    assert "Total 10." in text
    assert "Sep 2026: 2 (self-help 2)." in text
    assert "Oct 2026: 8 (self-help 1, remote 3, small group 3, champion 1)." in text


def test_card_palette_is_smaller():
    figures = compute_report(report_data(), QUERY, context())

    full = render_chart(figures).png
    reduced = render_chart(figures, palette_colours=32).png

    assert len(reduced) < len(full) / 2
    with Image.open(io.BytesIO(reduced)) as image:
        assert image.mode == "P"


def test_empty_range_still_draws():
    figures = compute_report(ReportData(), ReportQuery(date(2026, 9, 1), date(2027, 7, 1)), context())
    chart = render_chart(figures)

    assert chart.png.startswith(b"\x89PNG")
    assert "Total 0." in chart.alt_text
    assert "Jun 2027: 0." in chart.alt_text
