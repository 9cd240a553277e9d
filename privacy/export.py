"""Export of everything the helpdesk stores about one person, for an access request."""

from datetime import datetime
from typing import Any

from domain.clock import to_iso, utc_now
from storage import VERSION_FIELD, Store

MARKS_COLLECTION = "article_marks"
DRAFTS_COLLECTION = "article_drafts"


async def export_person(store: Store, person_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Return the person's profile, their requests with history and touches, and what they did elsewhere, as JSON-ready data.

    `person_id` is the Entra ID object id the bot keys people by.
    """
    requests = sorted((_plain(doc) for doc in await store.find("requests", teacher_id=person_id)), key=lambda doc: doc["number"])
    own_numbers = {request["number"] for request in requests}
    for request in requests:
        request["history"] = await _sorted(store, "events", "seq", request=request["number"])
        request["touches"] = await _sorted(store, "touches", "seq", request=request["number"])

    actions = [event for event in await _sorted(store, "events", "at", actor_id=person_id) if event["request"] not in own_numbers]
    owned = sorted(doc["number"] for doc in await store.find("requests", owner_id=person_id))
    profile = await store.get("people", person_id)
    return {
        "person_id": person_id,
        "exported_at": to_iso(now or utc_now()),
        "profile": _plain(profile) if profile else None,
        "requests": requests,
        "touches": await _sorted(store, "touches", "at", teacher_id=person_id),
        "actions_on_other_requests": actions,
        "requests_owned": owned,
        "article_votes": await _sorted(store, MARKS_COLLECTION, "at", teacher=person_id),
        "article_drafts": await _sorted(store, DRAFTS_COLLECTION, "drafted_at", author_id=person_id),
    }


async def _sorted(store: Store, collection: str, order: str, **equals: Any) -> list[dict[str, Any]]:
    docs = [_plain(doc) for doc in await store.find(collection, **equals)]
    return sorted(docs, key=lambda doc: (str(doc.get(order, "")), repr(doc)))


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in doc.items() if name != VERSION_FIELD}
