"""Export of everything the helpdesk stores about one person, for an access request."""

from datetime import datetime
from typing import Any

from champions.directory import CHAMPIONS
from champions.offer import MATCHES, OFFERS
from domain.clock import to_iso, utc_now
from sessions.planner import SESSIONS
from storage import VERSION_FIELD, Store
from visits.visit import VISITS

MARKS_COLLECTION = "article_marks"
DRAFTS_COLLECTION = "article_drafts"


async def export_person(store: Store, person_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Return the person's profile, their requests with history and touches, and what they did elsewhere, as JSON-ready data.

    `person_id` is the Entra ID object id the bot keys people by. Sessions
    show the person's own attendance and history entries, never the names or
    addresses of the other teachers invited.
    """
    requests = sorted((_plain(doc) for doc in await store.find("requests", teacher_id=person_id)), key=lambda doc: doc["number"])
    own_numbers = {request["number"] for request in requests}
    for request in requests:
        request["history"] = await _sorted(store, "events", "seq", request=request["number"])
        request["touches"] = await _sorted(store, "touches", "seq", request=request["number"])

    actions = [event for event in await _sorted(store, "events", "at", actor_id=person_id) if event["request"] not in own_numbers]
    owned = sorted(doc["number"] for doc in await store.find("requests", owner_id=person_id))
    profile = await store.get("people", person_id)
    champion = await store.get(CHAMPIONS, person_id)
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
        "intake_forms": await _intake_forms(store, person_id),
        "champion": _plain(champion) if champion else None,
        "champion_offers": await _naming(store, OFFERS, "offered_at", person_id, ("champion_id", "teacher_id", "offered_by")),
        "champion_matches": await _matches(store, person_id),
        "sessions": await _sessions(store, person_id),
        "visits": [_without(visit, "calendar_key") for visit in await _naming(store, VISITS, "created_at", person_id, ("teacher_id", "organizer_id"))],
        "queued_messages": await _sorted(store, "outbox", "created_at", target=person_id),
    }


async def _intake_forms(store: Store, person_id: str) -> list[dict[str, Any]]:
    """Return the intake form ids the person submitted, from the keys `<person id>:<form id>`, with the request each opened."""
    prefix = f"{person_id}:"
    forms = [{"form": key.removeprefix(prefix), "request": doc.get("request")} for key, doc in (await store.documents("intakes")).items() if key.startswith(prefix)]
    return sorted(forms, key=lambda form: str(form["request"]))


async def _naming(store: Store, collection: str, order: str, person_id: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Return the documents, keyed by their `id` field, where any of `fields` is the person's id, sorted by `order`."""
    found: dict[str, dict[str, Any]] = {}
    for name in fields:
        for doc in await _sorted(store, collection, order, **{name: person_id}):
            found[doc["id"]] = doc
    return sorted(found.values(), key=lambda doc: (str(doc.get(order, "")), repr(doc)))


async def _matches(store: Store, person_id: str) -> list[dict[str, Any]]:
    """Return the champion searches the person ran as TST or was offered in as champion."""
    docs = [_plain(doc) for doc in await store.find(MATCHES)]
    return sorted((doc for doc in docs if doc.get("tst_id") == person_id or person_id in (doc.get("tried") or [])), key=lambda doc: doc["request"])


async def _sessions(store: Store, person_id: str) -> list[dict[str, Any]]:
    views = [_session_view(_plain(doc), person_id) for doc in await store.find(SESSIONS)]
    return sorted((view for view in views if view is not None), key=lambda view: (view["start"], view["id"]))


def _session_view(session: dict[str, Any], person_id: str) -> dict[str, Any] | None:
    """Return what a session stores about the person, or None when it does not name them."""
    attendee = next((item for item in session.get("attendees") or [] if item.get("teacher_id") == person_id), None)
    history = [entry for entry in session.get("history") or [] if entry.get("by") == person_id]
    organised = session.get("organizer_id") == person_id
    if attendee is None and not history and not organised:
        return None
    view = {name: session.get(name) for name in ("id", "topic", "category", "status", "start", "end", "timezone", "organizer_id", "organizer_name", "join_url")}
    if attendee is not None:
        view["attendance"] = attendee
    if organised:
        view["attendees"] = [{name: item.get(name) for name in ("request", "response", "attended")} for item in session.get("attendees") or []]
    view["history"] = history
    return view


def _without(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if key != name}


async def _sorted(store: Store, collection: str, order: str, **equals: Any) -> list[dict[str, Any]]:
    docs = [_plain(doc) for doc in await store.find(collection, **equals)]
    return sorted(docs, key=lambda doc: (str(doc.get(order, "")), repr(doc)))


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in doc.items() if name != VERSION_FIELD}
