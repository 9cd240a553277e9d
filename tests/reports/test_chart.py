"""The touches chart: a PNG of the expected size, its alt text, hatches and totals, and the reduced palette for cards."""

import io
from datetime import date
from pathlib import Path

from PIL import Image

from reports.chart import CARD_PALETTE_COLOURS, LEVEL_COLOURS, LEVEL_HATCHES, alt_text, draw_chart, render_chart
from reports.data import ReportData
from reports.figures import compute_report
from reports.query import ReportQuery
from tests.reports.conftest import year_figures
from tests.reports.fixture import QUERY, TOUCHES, context, report_data

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


def test_legend_hatches_differ_by_level():
    # Two levels only: remote and small group touches in October.
    touches = [touch for touch in TOUCHES if touch["level"] in (1, 2)]
    figures = compute_report(ReportData(touches=touches), QUERY, context())

    axes = draw_chart(figures).axes[0]
    handles = axes.get_legend().legend_handles
    labels = [text.get_text() for text in axes.get_legend().get_texts()]

    assert labels == ["2 small group", "1 remote"]
    assert [handle.get_hatch() for handle in handles] == [LEVEL_HATCHES[2], LEVEL_HATCHES[1]]
    assert handles[0].get_hatch() != handles[1].get_hatch()
    assert all(handle.get_hatch() for handle in handles)


def test_bars_carry_their_level_hatch():
    axes = draw_chart(compute_report(report_data(), QUERY, context())).axes[0]

    for container in axes.containers:
        level = int(container.get_label().split()[0])
        assert {bar.get_hatch() or "" for bar in container} == {LEVEL_HATCHES[level]}, container.get_label()


def test_every_level_hatch_distinct():
    assert len(set(LEVEL_HATCHES)) == len(LEVEL_HATCHES)


def test_totals_labelled_on_bars():
    axes = draw_chart(compute_report(report_data(), QUERY, context())).axes[0]

    labels = {text.get_text(): text.xy for text in axes.texts}

    assert set(labels) == {"2", "8"}
    assert labels["2"][1] == 2
    assert labels["8"][1] == 8
    assert axes.get_ylim()[1] > 8


def test_year_chart_totals_fit_and_render():
    figures = year_figures()
    chart = render_chart(figures, 560, 260, CARD_PALETTE_COLOURS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "year-card.png").write_bytes(chart.png)

    axes = draw_chart(figures, 560, 260).axes[0]

    assert [text.get_text() for text in axes.texts] == [str(sum(row["counts"])) for row in figures["touches"]["by_month_and_level"]]


def test_card_palette_keeps_level_colours():
    chart = render_chart(year_figures(), 560, 260, CARD_PALETTE_COLOURS)

    with Image.open(io.BytesIO(chart.png)) as image:
        used = [colour for _, colour in image.convert("RGB").getcolors()]
    for level, colour in enumerate(LEVEL_COLOURS):
        expected = tuple(int(colour[index : index + 2], 16) for index in (1, 3, 5))
        distance = min(sum((a - b) ** 2 for a, b in zip(expected, found)) ** 0.5 for found in used)
        assert distance <= 8, f"level {level} colour {colour} is {distance:.0f} away from the nearest colour in the card chart"
