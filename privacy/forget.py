"""Forgetting a person: their profile goes, and their requests and events stay for reports under a pseudonym.

What is changed, in one atomic batch:

* the people document is deleted, and so are their intake keys and article votes;
* requests they filed get the pseudonym as teacher and lose the description
  and preferred dates; requests they owned get the pseudonym as owner;
* events they made get the pseudonym and lose their note, which is text they wrote;
* other events that name them as owner get the pseudonym there;
* touches and article drafts that name them get the pseudonym;
* the knowledge-base gaps recorded from their requests lose their text;
* each of their requests gets a `refresh_cards` outbox entry, so the channel
  cards in Teams are redrawn without the text once the bot runs again.

Resolution notes written by staff on the person's requests are kept, because
they record the help given. The pseudonym is a keyed hash of the person id,
so it is the same on every call and cannot be reversed without the key
stored in `meta/privacy`.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import datetime
from typing import Any

from domain.clock import to_iso, utc_now
from storage import VERSION_FIELD, Delete, Op, Put, Store, VersionConflict

logger = logging.getLogger(__name__)

FORMER_NAME = "Former member"
PSEUDONYM_PREFIX = "former-"


async def pseudonym_for(store: Store, person_id: str) -> str:
    """Return the stable pseudonym of a person: a keyed hash of the id, with a key made on first use."""
    meta = await store.get("meta", "privacy")
    if meta is None:
        try:
            await store.apply([Put("meta", "privacy", {"pseudonym_key": secrets.token_hex(32)}, 0)])
        except VersionConflict:
            pass
        meta = await store.get("meta", "privacy")
    digest = hmac.new(bytes.fromhex(meta["pseudonym_key"]), person_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:20]


async def forget_person(store: Store, person_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Delete the person's profile and pseudonymise everything else that names them; return what changed, by kind."""
    if not person_id or person_id.startswith(PSEUDONYM_PREFIX):
        raise ValueError(f"'{person_id}' is not a person id that can be forgotten")
    pseudonym = await pseudonym_for(store, person_id)
    now_text = to_iso(now or utc_now())
    ops: list[Op] = []
    counts = {"profile": 0, "requests": 0, "events": 0, "touches": 0, "votes": 0, "drafts": 0, "gaps": 0}

    profile = await store.get("people", person_id)
    if profile is not None:
        ops.append(Delete("people", person_id, profile[VERSION_FIELD]))
        counts["profile"] = 1

    filed = await store.find("requests", teacher_id=person_id)
    owned = [doc for doc in await store.find("requests", owner_id=person_id) if doc["teacher_id"] != person_id]
    for doc in filed + owned:
        ops.extend(_forget_in_request(doc, person_id, pseudonym, now_text))
        counts["requests"] += 1
    for doc in filed:
        gap = await store.get("kb_gaps", f"request-{doc['number']}")
        if gap is not None:
            ops.append(Put("kb_gaps", f"request-{doc['number']}", {**_plain(gap), "text": ""}, gap[VERSION_FIELD]))
            counts["gaps"] += 1

    events = {(doc["request"], doc["seq"]): doc for doc in await store.find("events", actor_id=person_id)}
    for doc in await store.find("events"):
        if _names_owner(doc, person_id):
            events[(doc["request"], doc["seq"])] = doc
    for doc in events.values():
        ops.append(Put("events", f"{doc['request']}-{doc['seq']:05d}", _forget_in_event(doc, person_id, pseudonym), doc[VERSION_FIELD]))
    counts["events"] = len(events)

    touches = {(doc["request"], doc["seq"]): doc for doc in await store.find("touches", teacher_id=person_id)}
    touches.update({(doc["request"], doc["seq"]): doc for doc in await store.find("touches", by_id=person_id)})
    for doc in touches.values():
        changed = {**_plain(doc), **{name: pseudonym for name in ("teacher_id", "by_id") if doc.get(name) == person_id}}
        ops.append(Put("touches", f"{doc['request']}-{doc['seq']:05d}", changed, doc[VERSION_FIELD]))
    counts["touches"] = len(touches)

    for doc in await store.find("article_marks", teacher=person_id):
        ops.append(Delete("article_marks", f"vote:{person_id}:{doc['article']}", doc[VERSION_FIELD]))
        counts["votes"] += 1

    for doc in await store.find("article_drafts"):
        if person_id in (doc.get("author_id"), doc.get("decided_by_id")):
            ops.append(Put("article_drafts", doc["article"], _forget_in_draft(doc, person_id, pseudonym), doc[VERSION_FIELD]))
            counts["drafts"] += 1

    await store.apply(ops)
    logger.info("forgot person %s as %s: %s", person_id, pseudonym, counts)
    return {"pseudonym": pseudonym, **counts}


def _forget_in_request(doc: dict[str, Any], person_id: str, pseudonym: str, now_text: str) -> list[Op]:
    request = _plain(doc)
    ops: list[Op] = []
    if request["teacher_id"] == person_id:
        if request.get("intake_id"):
            ops.append(Delete("intakes", f"{person_id}:{request['intake_id']}"))
        request.update(teacher_id=pseudonym, teacher_name=FORMER_NAME, description="", preferred_dates="")
    if request.get("owner_id") == person_id:
        request.update(owner_id=pseudonym, owner_name=FORMER_NAME)
    ops.append(Put("requests", str(request["number"]), request, doc[VERSION_FIELD]))
    key = f"{request['number']}-forget-{doc[VERSION_FIELD]:05d}-refresh_cards"
    entry = {
        "key": key, "request": request["number"], "seq": doc[VERSION_FIELD], "kind": "refresh_cards", "target": "staff",
        "created_at": now_text, "state": "pending", "attempts": 0,
    }
    ops.append(Put("outbox", key, entry, 0))
    return ops


def _names_owner(event: dict[str, Any], person_id: str) -> bool:
    return any((event.get(side) or {}).get("owner_id") == person_id for side in ("before", "after"))


def _forget_in_event(doc: dict[str, Any], person_id: str, pseudonym: str) -> dict[str, Any]:
    event = _plain(doc)
    if event["actor_id"] == person_id:
        event.update(actor_id=pseudonym, actor_name=FORMER_NAME, note="")
    for side in ("before", "after"):
        fields = dict(event.get(side) or {})
        if fields.get("owner_id") == person_id:
            fields.update(owner_id=pseudonym, owner_name=FORMER_NAME)
        event[side] = fields
    return event


def _forget_in_draft(doc: dict[str, Any], person_id: str, pseudonym: str) -> dict[str, Any]:
    draft = _plain(doc)
    if draft.get("author_id") == person_id:
        draft.update(author_id=pseudonym, author_name=FORMER_NAME)
    if draft.get("decided_by_id") == person_id:
        draft.update(decided_by_id=pseudonym, decided_by_name=FORMER_NAME)
    return draft


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in doc.items() if name != VERSION_FIELD}
