"""CSV and JSON output of a report."""

import csv
import io
import json

from reports.export import figures_json, touches_csv
from reports.figures import TOUCH_COLUMNS


def test_csv_header_and_order():
    text = touches_csv([{"request": 7, "school": "Maple Elementary", "level": 0, "extra": "ignored"}])
    rows = list(csv.reader(io.StringIO(text)))

    assert rows[0] == list(TOUCH_COLUMNS)
    assert rows[1][0] == "7"
    assert rows[1][TOUCH_COLUMNS.index("school")] == "Maple Elementary"
    assert len(rows[1]) == len(TOUCH_COLUMNS)


def test_csv_neutralises_formulas():
    text = touches_csv([{"school": "=HYPERLINK(\"http://x\")", "by_name": "@admin", "category": "+1", "kind": "-2"}])
    row = next(csv.DictReader(io.StringIO(text)))

    assert row["school"].startswith("'=")
    assert row["by_name"] == "'@admin"
    assert row["category"] == "'+1"
    assert row["kind"] == "'-2"


def test_json_keeps_accents():
    text = figures_json({"school": "École Banting Middle"})

    assert "École" in text
    assert json.loads(text) == {"school": "École Banting Middle"}
