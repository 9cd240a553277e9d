"""Report output formats: the touch rows as CSV and the figures as JSON."""

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from reports.figures import TOUCH_COLUMNS


def touches_csv(rows: Iterable[dict[str, Any]]) -> str:
    """Return the touch rows as CSV text with a header line, columns in TOUCH_COLUMNS order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TOUCH_COLUMNS)
    writer.writerows([_safe_cell(row.get(column)) for column in TOUCH_COLUMNS] for row in rows)
    return buffer.getvalue()


def figures_json(figures: dict[str, Any]) -> str:
    return json.dumps(figures, indent=2, ensure_ascii=False) + "\n"


def _safe_cell(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula (=, +, -, @) with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
