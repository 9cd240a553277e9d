"""Every collection the helpdesk writes, and whether it contains personal data.

Forget reads this list to know which collections to rewrite. A test
compares it with the collections that the code writes, so a new collection
fails the tests until it is added here. A collection with personal data
also needs handling in privacy/export.py, privacy/forget.py and
privacy/retention.py.
"""

from dataclasses import dataclass
from enum import StrEnum


class DataKind(StrEnum):
    # Ids, names, e-mail addresses or text of people, which export lists and forget pseudonymises or deletes.
    PERSONAL = "personal"
    # Copies that bots.dedupe.purge_inbound deletes after a day. Forget deletes the ones that name the person.
    TRANSIENT = "transient"
    NOTHING_PERSONAL = "nothing personal"


@dataclass(frozen=True)
class Collection:
    """The data kind of one collection, and a description of its contents."""

    kind: DataKind
    contents: str


COLLECTIONS: dict[str, Collection] = {
    "people": Collection(DataKind.PERSONAL, "name, school, grade, subject and personal-chat contact, which forget deletes"),
    "intakes": Collection(DataKind.PERSONAL, "keys made of person id and intake form id, which forget and purge delete"),
    "requests": Collection(DataKind.PERSONAL, "teacher and owner ids and names, the description and preferred dates the teacher wrote"),
    "events": Collection(DataKind.PERSONAL, "request history: actor ids and names, notes people wrote, owner changes"),
    "touches": Collection(DataKind.PERSONAL, "teacher and helper ids, kept for reports under pseudonyms"),
    "outbox": Collection(DataKind.PERSONAL, "queued messages: target person ids, names and texts that name people"),
    "kb_gaps": Collection(DataKind.PERSONAL, "the folded description of a request that found no article, without a person id"),
    "article_marks": Collection(DataKind.PERSONAL, "votes keyed by teacher id, and view and deflection markers with request numbers only"),
    "article_drafts": Collection(DataKind.PERSONAL, "ids and names of the draft's author and of the triager who decided"),
    "champions": Collection(DataKind.PERSONAL, "the champion directory (id, name, user principal name, school), whose entry forget deletes"),
    "champion_offers": Collection(DataKind.PERSONAL, "champion and teacher ids, names and the champion's user principal name"),
    "champion_matches": Collection(DataKind.PERSONAL, "ids of the champions tried and the TST's id and name"),
    "sessions": Collection(DataKind.PERSONAL, "organiser and attendee ids, names and e-mail addresses, and a history with notes"),
    "visits": Collection(DataKind.PERSONAL, "teacher and organiser ids and names, the organiser's note and a history with notes"),
    "inbound": Collection(DataKind.TRANSIENT, "claims of inbound activities: conversation ids and stored invoke responses, which may show names"),
    # NOTE: a draft's title and summary start as the request's description, and forget leaves articles unchanged.
    # The TST edits the draft and a triager reviews it, so it should no longer contain the teacher's words.
    "articles": Collection(DataKind.NOTHING_PERSONAL, "knowledge-base articles, including drafts written from requests"),
    "article_stats": Collection(DataKind.NOTHING_PERSONAL, "view, vote and deflection counts per article"),
    "session_members": Collection(DataKind.NOTHING_PERSONAL, "which session reserved a request number"),
    "posts": Collection(DataKind.NOTHING_PERSONAL, "channel threads of requests and the digest: conversation and activity ids"),
    "jobs": Collection(DataKind.NOTHING_PERSONAL, "claims of timed jobs, keyed by request number, visit id or date"),
    "counters": Collection(DataKind.NOTHING_PERSONAL, "the last number given to requests, sessions, offers and visits"),
    "meta": Collection(DataKind.NOTHING_PERSONAL, "the Bot Connector address, the bot's account, the pseudonym key and the knowledge-base revision"),
}

PERSONAL = tuple(name for name, collection in COLLECTIONS.items() if collection.kind is DataKind.PERSONAL)
TRANSIENT = tuple(name for name, collection in COLLECTIONS.items() if collection.kind is DataKind.TRANSIENT)
