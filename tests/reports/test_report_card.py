"""The report card: Adaptive Cards 1.5 schema, size, the inline chart with alt text, and its facts."""

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from cards.report_card import CARD_BYTE_BUDGET, CHART_LEFT_OUT, report_card
from reports.chart import CARD_PALETTE_COLOURS, render_chart
from reports.figures import compute_report
from tests.conftest import card_text, walk
from tests.reports.conftest import year_figures
from tests.reports.fixture import FIR, QUERY, context, report_data

REPO = Path(__file__).resolve().parents[2]
# CI checks out a copy of shared/ beside the repository.
SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "adaptive-cards" / "1.5.0" / "adaptive-card.json"
MAX_CARD_BYTES = 28 * 1024
DISTRICT = "School District 43 (Coquitlam)"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft6Validator:
    if not SCHEMA_PATH.is_file():
        pytest.fail(f"the Adaptive Card 1.5 schema was not found at {SCHEMA_PATH}; put a copy of shared/ beside the repository")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft6Validator.check_schema(schema)
    return jsonschema.Draft6Validator(schema)


@pytest.fixture(scope="module")
def figures():
    return compute_report(report_data(), QUERY, context())


@pytest.fixture(scope="module")
def card(figures):
    chart = render_chart(figures, 560, 260, CARD_PALETTE_COLOURS)
    return report_card(figures, DISTRICT, chart.png, chart.alt_text)


def images(card):
    return [node for node in walk(card) if node.get("type") == "Image"]


def facts(card) -> dict[str, str]:
    return {fact["title"]: fact["value"] for node in walk(card) if node.get("type") == "FactSet" for fact in node["facts"]}


def test_report_card_matches_schema(card, validator):
    errors = [f"{list(error.absolute_path)}: {error.message[:200]}" for error in validator.iter_errors(card)]

    assert not errors, "\n".join(errors)
    assert card["version"] == "1.5"


def test_report_card_stays_under_28_kb(card):
    size = len(json.dumps(card).encode("utf-8"))

    assert size < MAX_CARD_BYTES, f"the report card is {size:,} bytes"


def test_year_chart_kept_under_28_kb():
    # Hatch patterns make the PNG larger, but a school year with every level must still fit the card's budget.
    figures = year_figures()
    chart = render_chart(figures, 560, 260, CARD_PALETTE_COLOURS)
    card = report_card(figures, DISTRICT, chart.png, chart.alt_text)

    assert len(images(card)) == 1
    assert CHART_LEFT_OUT not in card_text(card)
    assert len(json.dumps(card).encode("utf-8")) < MAX_CARD_BYTES


def test_chart_inline_with_alt_text(card):
    [image] = images(card)

    assert image["url"].startswith("data:image/png;base64,")
    assert image["altText"].startswith("Bar chart of teacher touches by month from Sep 2026 to Oct 2026")


def test_key_figures_as_facts(card):
    shown = facts(card)

    assert shown["Teacher touches"] == "10"
    assert shown["Teachers reached"] == "7"
    assert shown["Requests filed"] == "9 (1 merged duplicate left out)"
    assert shown["Open now"] == "3 (1 open 30 days or more)"
    assert shown["Solved by self-help"] == "22% (2 of 9)"
    assert shown["Resolution"] == "median 12.0 h, 90th percentile 35.5 h (school hours)"
    assert shown["Ratings"] == "3.5 out of 5 from 4"
    assert shown["Small-group sessions"] == "1 with 3 attendees"


def test_breakdowns_by_level_and_school_level(card):
    shown = facts(card)

    assert shown["Level 2 · small group"] == "3"
    assert shown["Level 5 · in class"] == "0"
    assert shown["Elementary (K–5)"] == "4"
    assert shown["Secondary (9–12)"] == "4"


def test_subtitle_names_range_and_filter(figures):
    filtered = compute_report(report_data(), replace(QUERY, school=FIR), context())

    assert "1 Sep 2026 to 31 Oct 2026, all schools of School District 43 \\(Coquitlam\\)" in card_text(report_card(figures, DISTRICT))
    assert "1 Sep 2026 to 31 Oct 2026, Fir Secondary" in card_text(report_card(filtered, DISTRICT))


def test_oversized_chart_left_out(figures):
    card = report_card(figures, DISTRICT, b"\x89PNG" + bytes(CARD_BYTE_BUDGET), "A chart")

    assert images(card) == []
    assert CHART_LEFT_OUT in card_text(card)


def test_card_without_chart_has_no_image(figures, validator):
    card = report_card(figures, DISTRICT)

    assert images(card) == []
    assert not list(validator.iter_errors(card))
