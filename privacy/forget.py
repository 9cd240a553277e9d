"""Forgetting a person: their profile goes, and the records that name them stay for reports under a pseudonym.

What is changed, in one atomic batch over every collection that
privacy.registry classifies as personal or transient:

* the people document, the champion directory entry, intake keys and
  article votes of the person are deleted, and so are the inbound activity
  claims that name them;
* text they wrote is blanked. That is the description and preferred dates
  of the requests they filed, the notes of events and of session and visit
  history entries they made, the notes of visits they organised, and the
  knowledge-base gaps recorded from their requests;
* everywhere else their id becomes the pseudonym, a name stored beside
  their id becomes FORMER_NAME, and an e-mail address or user principal
  name beside it becomes empty. Their name or address inside other text
  becomes FORMER_NAME (see privacy.scrub);
* each request they filed or owned gets a `refresh_cards` outbox entry, so
  the channel cards in Teams are redrawn once the bot runs again.

Resolution notes written by staff, a visit's outcome note and a session's
topic are kept, because they record the help given. The pseudonym is a
keyed hash of the person id, so it is the same on every call and cannot be
reversed without the key stored in `meta/privacy`.
"""

import copy
import hashlib
import hmac
import logging
import secrets
from collections import Counter
from datetime import datetime
from typing import Any

from domain.clock import to_iso, utc_now
from escalation.ladder import SYSTEM
from privacy.registry import PERSONAL, TRANSIENT
from privacy.scrub import FORMER_NAME, Identity, Scrubber
from storage import VERSION_FIELD, Delete, Op, Put, Store, VersionConflict

logger = logging.getLogger(__name__)

__all__ = ["FORMER_NAME", "PSEUDONYM_PREFIX", "forget_person", "pseudonym_for"]

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
    """Delete the person's own documents and pseudonymise everything else that names them.

    Returns the pseudonym, the number of documents changed and deleted by
    collection, and how many requests get their cards redrawn.
    """
    if not person_id or person_id.startswith(PSEUDONYM_PREFIX) or person_id == SYSTEM.id:
        raise ValueError(f"'{person_id}' is not a person id that can be forgotten")
    pseudonym = await pseudonym_for(store, person_id)
    stored = {name: await store.documents(name) for name in (*PERSONAL, *TRANSIENT)}
    docs = {name: {key: _plain(doc) for key, doc in documents.items()} for name, documents in stored.items()}
    identity = Identity(person_id)
    identity.learn(doc for documents in docs.values() for doc in documents.values())
    scrubber = Scrubber(identity, pseudonym)

    filed = sorted(doc["number"] for doc in docs["requests"].values() if doc.get("teacher_id") == person_id)
    owned = sorted(doc["number"] for doc in docs["requests"].values() if doc.get("owner_id") == person_id)
    deleted = _own_documents(docs, person_id, scrubber)
    for collection, key in deleted:
        del docs[collection][key]
    _blank_written_text(docs, person_id, filed)
    for collection in PERSONAL:
        for key, doc in docs[collection].items():
            docs[collection][key] = scrubber.document(doc)

    ops: list[Op] = [Delete(collection, key, stored[collection][key][VERSION_FIELD]) for collection, key in deleted]
    changed: Counter[str] = Counter()
    for collection, documents in docs.items():
        for key, doc in documents.items():
            if doc != _plain(stored[collection][key]):
                ops.append(Put(collection, key, doc, stored[collection][key][VERSION_FIELD]))
                changed[collection] += 1
    refreshed = sorted(set(filed) | set(owned))
    now_text = to_iso(now or utc_now())
    ops += [_refresh_cards(number, stored["requests"][str(number)][VERSION_FIELD], now_text) for number in refreshed]

    await store.apply(ops)
    summary = {
        "pseudonym": pseudonym,
        "changed": dict(sorted(changed.items())),
        "deleted": dict(sorted(Counter(collection for collection, _ in deleted).items())),
        "cards_refreshed": len(refreshed),
    }
    logger.info("forgot person %s as %s: %s", person_id, pseudonym, {name: value for name, value in summary.items() if name != "pseudonym"})
    return summary


def _own_documents(docs: dict[str, dict[str, dict[str, Any]]], person_id: str, scrubber: Scrubber) -> list[tuple[str, str]]:
    """Return the (collection, key) of the documents that exist only because of the person, or that name them for a day."""
    own = [(collection, person_id) for collection in ("people", "champions") if person_id in docs[collection]]
    own += [("intakes", key) for key in docs["intakes"] if key.startswith(f"{person_id}:")]
    own += [("article_marks", key) for key, doc in docs["article_marks"].items() if doc.get("teacher") == person_id]
    own += [("inbound", key) for key, doc in docs["inbound"].items() if scrubber.mentions(doc)]
    return own


def _blank_written_text(docs: dict[str, dict[str, dict[str, Any]]], person_id: str, filed: list[int]) -> None:
    for request in docs["requests"].values():
        if request.get("teacher_id") == person_id:
            request.update(description="", preferred_dates="")
    for event in docs["events"].values():
        if event.get("actor_id") == person_id:
            event["note"] = ""
    for number in filed:
        gap = docs["kb_gaps"].get(f"request-{number}")
        if gap is not None:
            gap["text"] = ""
    for collection in ("sessions", "visits"):
        for doc in docs[collection].values():
            for entry in doc.get("history") or []:
                if entry.get("by") == person_id:
                    entry["note"] = ""
    for visit in docs["visits"].values():
        if visit.get("organizer_id") == person_id:
            visit["note"] = ""


def _refresh_cards(number: int, version: int, now_text: str) -> Put:
    key = f"{number}-forget-{version:05d}-refresh_cards"
    entry = {
        "key": key, "request": number, "seq": version, "kind": "refresh_cards", "target": "staff",
        "created_at": now_text, "state": "pending", "attempts": 0,
    }
    return Put("outbox", key, entry, 0)


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    """Return a deep copy without the version, so changing nested history entries leaves the stored copy as read."""
    return copy.deepcopy({name: value for name, value in doc.items() if name != VERSION_FIELD})
