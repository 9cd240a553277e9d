"""The stored documents a report reads, loaded from the store as rows of the fields the figures read."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from storage import Store
from storage.projection import FieldPath, Projection

GAPS_COLLECTION = "kb_gaps"
CHAMPIONS_COLLECTION = "champions"
# The history events that the figures read. Other events stay in storage.
REPORTED_EVENT_TYPES = ("rated", "reopened", "auto_closed")

# The fields the figures read from each collection, each with the value that
# a document lacking it reads as. Rows have the values in this order.
REQUEST_FIELDS: Mapping[FieldPath, Any] = {
    "number": None,
    "school": "",
    "created_at": None,
    "status": None,
    "level": None,
    "first_response_at": None,
    "resolved_at": None,
    "merged_into": None,
}
TOUCH_FIELDS: Mapping[FieldPath, Any] = {
    "request": None,
    "at": None,
    "teacher_id": "",
    "school": "",
    "category": "",
    "level": None,
    "kind": "",
    "by_id": "",
    "session_id": None,
}
EVENT_FIELDS: Mapping[FieldPath, Any] = {"request": None, "seq": 0, "type": None, "at": None, ("after", "rating"): None}
GAP_FIELDS: Mapping[FieldPath, Any] = {"at": None, "school_level": None}
PERSON_FIELDS: Mapping[FieldPath, Any] = {"id": None, "name": None}


@dataclass(frozen=True)
class Rows:
    """Documents read as tuples of the values of `fields`, in that order, as `Store.project` returns them."""

    fields: tuple[FieldPath, ...]
    values: Sequence[tuple[Any, ...]]

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class ReportData:
    """Stored requests, teacher touches, the reported events, knowledge gaps and people's names.

    Each collection is a list of documents (dicts), or `Rows` of its fields
    above, as `load_report_data` reads them from the store. The figures
    read both the same way.
    """

    requests: Sequence[Mapping[str, Any]] | Rows = field(default_factory=list)
    touches: Sequence[Mapping[str, Any]] | Rows = field(default_factory=list)
    events: Sequence[Mapping[str, Any]] | Rows = field(default_factory=list)
    gaps: Sequence[Mapping[str, Any]] | Rows = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)


def rows_of(documents: Sequence[Mapping[str, Any]] | Rows, fields: Mapping[FieldPath, Any]) -> Sequence[tuple[Any, ...]]:
    """Return the documents as rows of `fields`. Raises ValueError for `Rows` of other fields."""
    if isinstance(documents, Rows):
        if documents.fields != tuple(fields):
            raise ValueError(f"the rows have the fields {documents.fields}, but the figures read {tuple(fields)}")
        return documents.values
    return Projection(fields).rows(documents)


async def load_report_data(store: Store) -> ReportData:
    """Read the fields the figures need. A collection never written reads as empty.

    The rows are read-only tuples from `Store.project`, which the TinyDB
    store keeps between reports instead of copying every document.
    """
    requests = await store.project("requests", REQUEST_FIELDS)
    touches = await store.project("touches", TOUCH_FIELDS)
    events: list[tuple[Any, ...]] = []
    for event_type in REPORTED_EVENT_TYPES:
        events.extend(await store.project("events", EVENT_FIELDS, type=event_type))
    gaps = await store.project(GAPS_COLLECTION, GAP_FIELDS)
    # Champions who never wrote to the bot are only in the champion directory, so its names come first
    # and the people collection's, from each person's own Teams account, replace them.
    names = {}
    for collection in (CHAMPIONS_COLLECTION, "people"):
        names.update({person_id: name for person_id, name in await store.project(collection, PERSON_FIELDS) if person_id and name})
    return ReportData(
        Rows(tuple(REQUEST_FIELDS), requests),
        Rows(tuple(TOUCH_FIELDS), touches),
        Rows(tuple(EVENT_FIELDS), events),
        Rows(tuple(GAP_FIELDS), gaps),
        names,
    )
