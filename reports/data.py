"""The stored documents a report reads, loaded from the store in one pass per collection."""

from dataclasses import dataclass, field
from typing import Any

from storage import Store

GAPS_COLLECTION = "kb_gaps"
# The history events that the figures read. Other events stay in storage.
REPORTED_EVENT_TYPES = ("rated", "reopened", "auto_closed")


@dataclass(frozen=True)
class ReportData:
    """Plain stored documents: requests, teacher touches, the reported events, knowledge gaps and people's names."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    touches: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)


async def load_report_data(store: Store) -> ReportData:
    """Read the documents the figures need. A collection never written reads as empty."""
    requests = await store.find("requests")
    touches = await store.find("touches")
    events: list[dict[str, Any]] = []
    for event_type in REPORTED_EVENT_TYPES:
        events.extend(await store.find("events", type=event_type))
    gaps = await store.find(GAPS_COLLECTION)
    people = await store.find("people")
    names = {doc["id"]: doc["name"] for doc in people if doc.get("id") and doc.get("name")}
    return ReportData(requests, touches, events, gaps, names)
