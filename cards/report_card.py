"""Builds the report card: key figures as FactSets, touches by support and school level, and the chart inline.

The chart travels inside the card as a `data:` URI (Adaptive Cards 1.2 and
later accept them for images) rather than as a link to the bot. A link
would need the bot's public address, which the settings do not have, and a
signed link would expire while the message stays in the chat. The chart is
drawn with a reduced palette, about 6 KB for two months and 10 KB for a
school year, and left out when the card would pass CARD_BYTE_BUDGET.
"""

import base64
import json
from datetime import date, timedelta
from typing import Any

from cards.builders import literal
from cards.templates import render

# Teams accepts messages of about 100 KB but advises keeping cards well under 28 KB.
CARD_BYTE_BUDGET = 24 * 1024
SCHOOL_LEVEL_LABELS = {"elementary": "Elementary (K–5)", "middle": "Middle (6–8)", "secondary": "Secondary (9–12)", "unknown": "Not in the school directory"}
CHART_LEFT_OUT = "The chart was left out to keep this message small; the Dashboard tab shows it."


def report_card(figures: dict[str, Any], district_name: str, chart_png: bytes | None = None, chart_alt_text: str = "") -> dict[str, Any]:
    """Build the card from `reports.compute_report` output, with the chart PNG inline when it fits."""
    data = _card_data(figures, district_name)
    if chart_png:
        data["chart"] = {"url": "data:image/png;base64," + base64.b64encode(chart_png).decode("ascii"), "altText": chart_alt_text}
        card = render("report", data)
        if len(json.dumps(card).encode("utf-8")) <= CARD_BYTE_BUDGET:
            return card
        data["note"] = CHART_LEFT_OUT
    data["chart"] = None
    return render("report", data)


def _card_data(figures: dict[str, Any], district_name: str) -> dict[str, Any]:
    query = figures["query"]
    start = date.fromisoformat(query["from"])
    last = date.fromisoformat(query["to"]) - timedelta(days=1)
    scope = [literal(query["school"])] if query.get("school") else []
    if query.get("school_level"):
        scope.append(f"{query['school_level']} schools")
    subtitle = f"{_day(start)} to {_day(last)}" + (f", {' and '.join(scope)}" if scope else f", all schools of {literal(district_name)}")
    return {
        "title": "Helpdesk report",
        "subtitle": subtitle,
        "keyFacts": [{"title": title, "value": value} for title, value in _key_facts(figures)],
        "levelFacts": [{"title": row["label"], "value": str(row["count"])} for row in figures["touches"]["by_level"]],
        "schoolLevelFacts": [
            {"title": SCHOOL_LEVEL_LABELS.get(row["school_level"], row["school_level"]), "value": str(row["count"])}
            for row in figures["touches"]["by_school_level"]
        ],
        "chart": None,
        "note": "",
    }


def _key_facts(figures: dict[str, Any]) -> list[tuple[str, str]]:
    requests = figures["requests"]
    times = figures["response_times"]
    ratings = figures["ratings"]
    backlog = figures["backlog"]
    sessions = figures["sessions"]
    filed = f"{requests['filed']}"
    merged = requests["merged_duplicates"]
    if merged:
        filed += f" ({merged} merged duplicate{'s' if merged != 1 else ''} left out)"
    deflection = "No requests filed"
    if requests["deflection_rate"] is not None:
        deflection = f"{requests['deflection_rate']:.0%} ({requests['deflected']} of {requests['filed']})"
    oldest = backlog["by_age"][-1]
    open_now = str(backlog["total"])
    if oldest["count"]:
        open_now += f" ({oldest['count']} open {oldest['bucket']})"
    gaps = figures["kb_gaps"]["count"]

    return [
        ("Teacher touches", str(figures["touches"]["total"])),
        ("Teachers reached", str(figures["teachers"]["reached"])),
        ("Requests filed", filed),
        ("Solved by self-help", deflection),
        ("First response", _time_text(times["first_response"])),
        ("Resolution", _time_text(times["resolution"])),
        ("Ratings", f"{ratings['mean']:.1f} out of 5 from {ratings['count']}" if ratings["count"] else "None yet"),
        ("Open now", open_now),
        ("Small-group sessions", f"{sessions['sessions']} with {sessions['attendees']} attendees"),
        ("Champion touches", str(figures["champions"]["touches"])),
        ("Knowledge-base gaps", "Not recorded by school" if gaps is None else str(gaps)),
    ]


def _time_text(summary: dict[str, Any]) -> str:
    if not summary["count"]:
        return "No requests yet"
    return f"median {summary['median_hours']:.1f} h, 90th percentile {summary['p90_hours']:.1f} h (school hours)"


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"
