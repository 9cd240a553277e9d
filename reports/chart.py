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
# A second channel besides colour, so that levels can be distinguished in grey or by
# anyone who cannot see the colours apart: a hatch pattern per level (matplotlib's
# hatch codes), each in the direction or texture of no other. Level 0 is plain.
LEVEL_HATCHES = ("", "///", "...", "xxx", "\\\\\\", "|||")
LEVEL_NAMES = ("self-help", "remote", "small group", "champion", "site visit", "in class")
# Segments are outlined in this colour, so neighbouring levels stay apart when their fills look alike.
EDGE_COLOUR = "#1a1a1a"
EDGE_WIDTH = 0.6
# A palette this small keeps the card's inline image a few kilobytes without visible banding.
CARD_PALETTE_COLOURS = 32


@dataclass(frozen=True)
class Chart:
    """A rendered chart and the text that describes it to people who cannot see it."""

    png: bytes
    alt_text: str


def render_chart(figures: dict[str, Any], width_px: int = 640, height_px: int = 300, palette_colours: int | None = None) -> Chart:
    """Draw touches by month and level from `compute_report` output as a PNG.

    With `palette_colours` the PNG is reduced to that many colours, which
    makes it several times smaller for an inline card image.
    """
    figure = draw_chart(figures, width_px, height_px)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    png = buffer.getvalue()
    if palette_colours:
        png = _reduce_palette(png, palette_colours)
    return Chart(png, alt_text(figures))


def draw_chart(figures: dict[str, Any], width_px: int = 640, height_px: int = 300) -> Figure:
    """Draw touches by month as bars stacked by level, each level with its colour and hatch, and each bar's total on top."""
    rows = figures["touches"]["by_month_and_level"]
    labels = _tick_labels([row["month"] for row in rows])
    dpi = 100
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()

    positions = list(range(len(rows)))
    bottoms = [0] * len(rows)
    top_bars = None
    for level in Level:
        values = [row["counts"][level] for row in rows]
        if any(values):
            top_bars = axes.bar(
                positions,
                values,
                bottom=bottoms,
                width=0.7,
                color=LEVEL_COLOURS[level],
                hatch=LEVEL_HATCHES[level],
                hatchcolor=_contrasting(LEVEL_COLOURS[level]),
                edgecolor=EDGE_COLOUR,
                linewidth=EDGE_WIDTH,
                label=f"{level.value} {LEVEL_NAMES[level]}",
            )
            bottoms = [bottom + value for bottom, value in zip(bottoms, values)]
    axes.set_xticks(positions, labels=labels, fontsize=9 if len(rows) > 6 else 10)
    axes.set_ylabel("Teacher touches")
    axes.set_title("Teacher touches by month and support level", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.get_major_locator().set_params(integer=True)
    if top_bars is not None:
        # The top level's bars end at each month's total, so their labels show the totals.
        # Without thousands separators, as on the y axis, so that ten or more labels fit side by side on the card.
        axes.bar_label(top_bars, labels=[str(total) for total in bottoms], padding=2, fontsize=8 if len(rows) <= 6 else 7)
        axes.set_ylim(0, max(bottoms) * 1.12)
        # Listed top level first, as the bars stack, with handles large enough to show the hatch.
        axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), handlelength=2.4, handleheight=1.6, reverse=True)
    else:
        axes.text(0.5, 0.5, "No teacher touches in this range", transform=axes.transAxes, ha="center", va="center", color="#555555")
        axes.set_ylim(0, 1)
    figure.tight_layout()
    return figure


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


def _contrasting(colour: str) -> str:
    """Return black or white, whichever contrasts more with the colour (WCAG 2 relative luminance)."""
    red, green, blue = (int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5))
    channels = [value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4 for value in (red, green, blue)]
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    # Contrast ratios against white and black: (1.05) / (L + 0.05) and (L + 0.05) / 0.05.
    return "#ffffff" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else "#000000"


def _reduce_palette(png: bytes, colours: int) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        # Pillow's default median cut spends the palette on the many blends at the edges of
        # hatch lines. In the card chart of a school year it moved the pink of level 5 by 47
        # and the orange of level 3 by 31 (RGB distance), which is visible. Fast octree kept
        # every level within 6 and gave a smaller PNG.
        reduced = image.convert("RGB").quantize(colors=colours, method=Image.Quantize.FASTOCTREE)
        buffer = io.BytesIO()
        reduced.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
