"""A PNG bar chart of teacher touches by month, stacked by support level, with alt text that states the same numbers."""

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from domain.request import Level

# Okabe–Ito colours, distinguishable with the common kinds of colour blindness.
LEVEL_COLOURS = ("#56B4E9", "#0072B2", "#009E73", "#E69F00", "#D55E00", "#CC79A7")
LEVEL_NAMES = ("self-help", "remote", "small group", "champion", "site visit", "in class")
# A palette this small keeps the card's inline image a few kilobytes without visible banding.
CARD_PALETTE_COLOURS = 32


@dataclass(frozen=True)
class Chart:
    """A rendered chart and the text that describes it to people who cannot see it."""

    png: bytes
    alt_text: str


def render_chart(figures: dict[str, Any], width_px: int = 640, height_px: int = 300, palette_colours: int | None = None) -> Chart:
    """Draw touches by month and level from `compute_report` output.

    With `palette_colours` the PNG is reduced to that many colours, which
    makes it several times smaller for an inline card image.
    """
    rows = figures["touches"]["by_month_and_level"]
    labels = _tick_labels([row["month"] for row in rows])
    dpi = 100
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()

    positions = list(range(len(rows)))
    bottoms = [0] * len(rows)
    for level in Level:
        values = [row["counts"][level] for row in rows]
        if any(values):
            axes.bar(positions, values, bottom=bottoms, color=LEVEL_COLOURS[level], label=f"{level.value} {LEVEL_NAMES[level]}", width=0.7)
            bottoms = [bottom + value for bottom, value in zip(bottoms, values)]
    axes.set_xticks(positions, labels=labels, fontsize=9 if len(rows) > 6 else 10)
    axes.set_ylabel("Teacher touches")
    axes.set_title("Teacher touches by month and support level", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.get_major_locator().set_params(integer=True)
    if any(bottoms):
        axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        axes.text(0.5, 0.5, "No teacher touches in this range", transform=axes.transAxes, ha="center", va="center", color="#555555")
        axes.set_ylim(0, 1)
    figure.tight_layout()

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    png = buffer.getvalue()
    if palette_colours:
        png = _reduce_palette(png, palette_colours)
    return Chart(png, alt_text(figures))


def alt_text(figures: dict[str, Any]) -> str:
    """Describe the chart in words: the range, the total and each month's touches by level."""
    touches = figures["touches"]
    rows = touches["by_month_and_level"]
    if not rows:
        return "Bar chart of teacher touches by month: the range has no months."
    first, last = _month_label(rows[0]["month"]), _month_label(rows[-1]["month"])
    parts = [f"Bar chart of teacher touches by month from {first} to {last}, stacked by support level. Total {touches['total']}."]
    for row in rows:
        counts = [f"{LEVEL_NAMES[level]} {count}" for level, count in enumerate(row["counts"]) if count]
        detail = f" ({', '.join(counts)})" if counts else ""
        parts.append(f"{_month_label(row['month'])}: {sum(row['counts'])}{detail}.")
    return " ".join(parts)


def _tick_labels(months: list[str]) -> list[str]:
    """Return labels such as 'Sep 2026' for up to six months. Longer ranges get the month alone, with the year below the first month and each January."""
    if len(months) <= 6:
        return [_month_label(month) for month in months]
    labels = []
    for index, month in enumerate(months):
        name, year = _month_label(month).split()
        labels.append(f"{name}\n{year}" if index == 0 or name == "Jan" else name)
    return labels


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return date(int(year), int(number), 1).strftime("%b %Y")


def _reduce_palette(png: bytes, colours: int) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        reduced = image.convert("RGB").quantize(colors=colours)
        buffer = io.BytesIO()
        reduced.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
