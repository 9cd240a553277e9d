"""Retention: closed requests older than the configured number of years are deleted."""

import logging
from datetime import datetime

from domain.clock import to_iso
from champions.offer import MATCHES, OFFERS
from privacy.forget import PSEUDONYM_PREFIX, pseudonym_for
from privacy.scrub import scrub_document
from sessions.planner import MEMBERS, SESSIONS
from storage import VERSION_FIELD, Delete, Op, Put, Store
from visits.visit import VISITS

logger = logging.getLogger(__name__)


async def purge_closed(store: Store, older_than_years: int, now: datetime) -> int:
    """Delete closed requests last changed more than `older_than_years` ago; return how many were deleted.

    Each request goes in its own atomic batch with its events, intake key,
    channel posts, outbox entries, knowledge-base gap, visits, champion
    offers and match, and session reservation. Its touches stay, because
    reports count them, with the teacher replaced by their pseudonym, and so
    do the sessions it attended, with the teacher's attendee entry and
    history entries pseudonymised. Requests that are resolved but never
    closed are kept.
    """
    if older_than_years < 1:
        raise ValueError(f"older_than_years must be at least 1, got {older_than_years}")
    cutoff = to_iso(_years_before(now, older_than_years))
    purged = 0
    for request in await store.find("requests", status="closed"):
        if request.get("updated_at", "") >= cutoff:
            continue
        await store.apply(await _purge_ops(store, request))
        purged += 1
    if purged:
        logger.info("deleted %d closed requests last changed before %s", purged, cutoff)
    return purged


async def _purge_ops(store: Store, request: dict) -> list[Op]:
    number = request["number"]
    ops: list[Op] = [Delete("requests", str(number), request[VERSION_FIELD])]
    ops.extend(Delete("events", f"{number}-{event['seq']:05d}") for event in await store.find("events", request=number))
    ops.extend(Delete("outbox", entry["key"]) for entry in await store.find("outbox", request=number))
    if request.get("intake_id"):
        ops.append(Delete("intakes", f"{request['teacher_id']}:{request['intake_id']}"))
    for key in (f"{number}:triage", f"{number}:tst"):
        if await store.get("posts", key) is not None:
            ops.append(Delete("posts", key))
    if await store.get("kb_gaps", f"request-{number}") is not None:
        ops.append(Delete("kb_gaps", f"request-{number}"))
    pseudonym = await pseudonym_for(store, request["teacher_id"]) if not request["teacher_id"].startswith(PSEUDONYM_PREFIX) else request["teacher_id"]
    for touch in await store.find("touches", request=number):
        kept = {name: value for name, value in touch.items() if name != VERSION_FIELD}
        ops.append(Put("touches", f"{number}-{touch['seq']:05d}", {**kept, "teacher_id": pseudonym}, touch[VERSION_FIELD]))
    ops.extend(await _ladder_ops(store, number, request["teacher_id"], pseudonym))
    return ops


async def _ladder_ops(store: Store, number: int, teacher_id: str, pseudonym: str) -> list[Op]:
    """Return the deletes of the request's visits, champion offers, match and session reservation, and the session rewrites."""
    ops: list[Op] = [Delete(VISITS, visit["id"], visit[VERSION_FIELD]) for visit in await store.find(VISITS, request=number)]
    ops.extend(Delete(OFFERS, offer["id"], offer[VERSION_FIELD]) for offer in await store.find(OFFERS, request=number))
    for collection in (MATCHES, MEMBERS):
        doc = await store.get(collection, str(number))
        if doc is not None:
            ops.append(Delete(collection, str(number), doc[VERSION_FIELD]))
    for session in await store.find(SESSIONS):
        if any(attendee.get("request") == number for attendee in session.get("attendees") or []):
            kept = {name: value for name, value in session.items() if name != VERSION_FIELD}
            ops.append(Put(SESSIONS, session["id"], scrub_document(kept, teacher_id, pseudonym), session[VERSION_FIELD]))
    return ops


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year - years, day=28)
