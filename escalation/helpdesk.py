"""The request lifecycle: intake, self-help, triage, claims and resolution.

Every change goes through `_transition`, which re-reads the request, checks
the rule, and writes the new request, its history event, any teacher touch
and any notifications in one atomic batch conditional on the version it
read. Two people acting at once therefore cannot both win: the loser
re-reads and meets the rule again (for a claim, "already claimed").
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from domain.actor import Actor, Role
from domain.catalogue import Catalogue
from domain.clock import from_iso, to_iso, utc_now
from domain.errors import AlreadyClaimed, InvalidInput, InvalidTransition, NotAllowed, NotFound
from domain.intake import IntakeForm
from domain.request import Event, Level, Request, Status, Touch
from storage import Op, Put, Store, VersionConflict

logger = logging.getLogger(__name__)

TRACKED_FIELDS = (
    "status", "level", "channel", "queue", "owner_id", "owner_name",
    "resolved_article", "resolution_note", "rating", "merged_into", "related",
)
NOTE_MAX_CHARS = 4000
# Hints for a required text left empty, by the text's name; other texts get "write the <text> and send it again".
MISSING_TEXT_HINTS = {
    "note": "write what was done so the teacher and the team can see it",
    "resolution note": "write what was done so the teacher and the team can see it",
}
MAX_ATTEMPTS = 8
# A note or message that repeats the request's last event within this time is a double click or a replay.
REPEAT_WINDOW = timedelta(minutes=10)

# The queue that serves each support level; TSTs see every queue in their channel.
QUEUES = {
    Level.SELF_HELP: "self_help",
    Level.REMOTE: "remote",
    Level.SMALL_GROUP: "small_group",
    Level.CHAMPION: "champion",
    Level.SITE_VISIT: "site_visit",
    Level.IN_CLASS: "in_class",
}

# A teacher touch is named after the level that gave the help.
TOUCH_KINDS = QUEUES


class Suggester(Protocol):
    """The knowledge-base search that the helpdesk uses for suggestions."""

    def search(self, text: str, limit: int = 3, category: str | None = None) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Notification:
    """A message owed after a change: `kind` names the message and `target` the recipient."""

    kind: str
    target: str


class Helpdesk:
    """Carries out every action on a request, checking the actor's role on the server."""

    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        suggester: Suggester,
        tst_channels: Sequence[str],
        suggestion_count: int = 3,
        now: Callable[[], Any] = utc_now,
    ):
        self.store = store
        self.catalogue = catalogue
        self.suggester = suggester
        self.tst_channels = tuple(tst_channels)
        self.suggestion_count = suggestion_count
        self._now = now

    # Reading

    async def get(self, number: int) -> Request:
        """Return the request, or raise NotFound."""
        doc = await self.store.get("requests", str(number))
        if doc is None:
            raise NotFound(f"Request #{number} was not found.")
        return Request.from_doc(doc)

    async def requests_of(self, teacher_id: str) -> list[Request]:
        """Return the teacher's requests, newest first."""
        docs = await self.store.find("requests", teacher_id=teacher_id)
        return sorted((Request.from_doc(doc) for doc in docs), key=lambda request: request.number, reverse=True)

    async def history(self, number: int) -> list[Event]:
        """Return the request's events, oldest first."""
        docs = await self.store.find("events", request=number)
        return sorted((Event.from_doc(doc) for doc in docs), key=lambda event: event.seq)

    async def _request_for_intake(self, intake_key: str) -> Request | None:
        doc = await self.store.get("intakes", intake_key)
        return await self.get(doc["request"]) if doc else None

    # Teacher actions

    async def open_request(self, actor: Actor, form: IntakeForm) -> Request:
        """Record a new request and attach knowledge-base suggestions.

        Submitting the same form twice returns the request the first submit
        made, so a double click or a replayed submit files one request.
        """
        intake_key = f"{actor.id}:{form.intake_id}"
        existing = await self._request_for_intake(intake_key)
        if existing is not None:
            return existing

        number = await self.store.next_number("requests")
        now = to_iso(self._now())
        results = self.suggester.search(form.description, limit=self.suggestion_count)
        suggestions = [result.article.id for result in results]
        status = Status.SUGGESTED if suggestions else Status.AWAITING_TRIAGE
        request = Request(
            number=number,
            teacher_id=actor.id,
            teacher_name=actor.name,
            category=form.category,
            description=form.description,
            scope=form.scope,
            school=form.school,
            grade=form.grade,
            subject=form.subject,
            urgency=form.urgency,
            preferred_dates=form.preferred_dates,
            status=status.value,
            suggested_articles=suggestions,
            intake_id=form.intake_id,
            created_at=now,
            updated_at=now,
            queued_at=now if status is Status.AWAITING_TRIAGE else None,
        )
        event = Event(number, 1, "created", actor.id, actor.name, now, {}, _tracked(request))
        ops = [
            Put("intakes", intake_key, {"request": number}, 0),
            Put("requests", request.key, request.to_doc(), 0),
            Put("events", event.key, event.to_doc(), 0),
        ]
        if status is Status.AWAITING_TRIAGE:
            ops.extend(_outbox_ops(request, 1, [Notification("triage_post", "triage")], now))
        try:
            await self.store.apply(ops)
        except VersionConflict:
            # The same form was submitted at the same moment elsewhere, and that submit won.
            winner = await self._request_for_intake(intake_key)
            if winner is None:
                raise
            return winner
        request.version = 1
        logger.info("request %d opened by %s with %d suggestions", number, actor.id, len(suggestions))
        return request

    async def accept_suggestion(self, actor: Actor, number: int, article_id: str | None) -> Request:
        """Resolve the request at level 0 because a suggested answer solved it."""

        def change(request: Request) -> None:
            self._require_teacher(actor, request)
            self._require_status(request, Status.SUGGESTED)
            if article_id is not None and article_id not in request.suggested_articles:
                raise InvalidInput(f"Article '{article_id}' was not suggested for {request.reference}.")
            request.status = Status.RESOLVED.value
            request.level = Level.SELF_HELP.value
            request.resolved_article = article_id or (request.suggested_articles[0] if request.suggested_articles else None)
            request.resolution_note = "Solved by a knowledge-base answer."

        return await self._transition(number, actor, "self_help_accepted", change, touch=True)

    async def decline_suggestion(self, actor: Actor, number: int) -> Request:
        """Send the request on to triage because the suggestions did not help."""

        def change(request: Request) -> None:
            self._require_teacher(actor, request)
            self._require_status(request, Status.SUGGESTED)
            request.status = Status.AWAITING_TRIAGE.value
            request.queued_at = to_iso(self._now())

        return await self._transition(
            number, actor, "self_help_declined", change, notify=[Notification("triage_post", "triage")]
        )

    async def rate(self, actor: Actor, number: int, rating: int, comment: str = "") -> Request:
        """Record the teacher's 1–5 rating and close the request."""
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise InvalidInput(f"The rating must be a whole number from 1 to 5, not {rating!r}.")
        comment = _checked_note(comment, required=False)

        def change(request: Request) -> None:
            self._require_teacher(actor, request)
            if request.rating is not None:
                raise InvalidTransition(f"You already rated {request.reference} {request.rating} out of 5. Thank you!")
            self._require_status(request, Status.RESOLVED)
            request.rating = rating
            request.status = Status.CLOSED.value

        return await self._transition(
            number, actor, "rated", change, note=comment, notify=[Notification("refresh_cards", "staff")]
        )

    # Triage

    async def route(self, actor: Actor, number: int, level: int, channel: str) -> Request:
        """Set the support level and the TST channel, and post the request there."""
        self._require_role(actor, Role.TRIAGER, "route requests")
        self._check_route(level, channel)

        def change(request: Request) -> None:
            self._require_status(request, Status.AWAITING_TRIAGE, Status.ROUTED)
            if request.state is Status.ROUTED and request.level == level and request.channel == channel:
                raise InvalidTransition(f"{request.reference} is already routed to {channel} at {Level(level).label.lower()}.")
            request.status = Status.ROUTED.value
            request.level = level
            request.channel = channel
            request.queue = QUEUES[Level(level)]
            request.queued_at = to_iso(self._now())
            request.first_response_at = request.first_response_at or to_iso(self._now())

        return await self._transition(
            number,
            actor,
            "routed",
            change,
            notify=[Notification("tst_post", "tst"), Notification("refresh_cards", "staff"), Notification("routed", "teacher")],
        )

    async def answer(self, actor: Actor, number: int, article_id: str) -> Request:
        """Resolve the request at level 0 by sending the teacher a knowledge-base article."""
        self._require_role(actor, Role.TRIAGER, "answer requests from the knowledge base")

        def change(request: Request) -> None:
            self._require_status(request, Status.AWAITING_TRIAGE, Status.ROUTED)
            request.status = Status.RESOLVED.value
            request.level = Level.SELF_HELP.value
            request.resolved_article = article_id
            request.resolution_note = "Answered by the triager with a knowledge-base article."
            request.first_response_at = request.first_response_at or to_iso(self._now())

        return await self._transition(
            number,
            actor,
            "answered",
            change,
            touch=True,
            notify=[Notification("resolved", "teacher"), Notification("refresh_cards", "staff")],
        )

    def _check_route(self, level: Any, channel: Any) -> None:
        """Check a support level and TST channel chosen by a triager; raises InvalidInput."""
        if not isinstance(level, int) or isinstance(level, bool) or level not in {item.value for item in Level}:
            raise InvalidInput(f"The support level must be a whole number from 0 to 5, not {level!r}.")
        if level == Level.SELF_HELP:
            raise InvalidInput("To resolve at level 0, answer the request with a knowledge-base article instead.")
        if channel not in self.tst_channels:
            raise InvalidInput(f"'{channel}' is not a configured TST channel; pick one of {', '.join(self.tst_channels)}.")

    # TST work

    async def claim(self, actor: Actor, number: int) -> Request:
        """Make the actor the owner; raises AlreadyClaimed when someone else won."""
        self._require_role(actor, Role.TST, "claim requests")

        def change(request: Request) -> None:
            if request.owner_id == actor.id:
                raise InvalidTransition(f"You already own {request.reference}.")
            if request.owner_id:
                raise AlreadyClaimed(request.reference, request.owner_name or "Another TST")
            self._require_status(request, Status.ROUTED, Status.ESCALATED)
            request.status = Status.CLAIMED.value
            request.owner_id = actor.id
            request.owner_name = actor.name
            request.first_response_at = request.first_response_at or to_iso(self._now())

        return await self._transition(
            number, actor, "claimed", change, notify=[Notification("claimed", "teacher"), Notification("refresh_cards", "staff")]
        )

    async def unclaim(self, actor: Actor, number: int) -> Request:
        """Give the request back to the TST channel's queue."""

        def change(request: Request) -> None:
            self._require_owner(actor, request)
            self._require_status(request, Status.CLAIMED, Status.IN_PROGRESS, Status.WAITING_ON_TEACHER)
            request.status = Status.ROUTED.value
            request.owner_id = None
            request.owner_name = None
            request.queued_at = to_iso(self._now())

        return await self._transition(number, actor, "unclaimed", change, notify=[Notification("refresh_cards", "staff")])

    async def add_note(self, actor: Actor, number: int, text: str) -> Request:
        """Add a working note to the history; the first note marks the request in progress."""
        note = _checked_note(text, required=True, what="note")

        def change(request: Request) -> None:
            self._require_owner(actor, request)
            self._require_status(request, Status.CLAIMED, Status.IN_PROGRESS, Status.WAITING_ON_TEACHER)
            request.status = Status.IN_PROGRESS.value

        return await self._transition(
            number, actor, "note", change, note=note, notify=[Notification("refresh_cards", "staff")], collapse_repeat=True
        )

    async def resolve(self, actor: Actor, number: int, resolution_note: str) -> Request:
        """Mark the request resolved with a required note, count the teacher touch and ask for a rating."""
        note = _checked_note(resolution_note, required=True, what="resolution note")

        def change(request: Request) -> None:
            self._require_owner(actor, request)
            self._require_status(request, Status.CLAIMED, Status.IN_PROGRESS, Status.WAITING_ON_TEACHER)
            request.status = Status.RESOLVED.value
            request.resolution_note = note

        return await self._transition(
            number,
            actor,
            "resolved",
            change,
            note=note,
            touch=True,
            notify=[Notification("resolved", "teacher"), Notification("refresh_cards", "staff")],
        )

    # Rules

    @staticmethod
    def _require_role(actor: Actor, role: Role, action: str) -> None:
        if not actor.has(role):
            raise NotAllowed(f"Only a {ROLE_NAMES[role]} can {action}.")

    @staticmethod
    def _require_teacher(actor: Actor, request: Request) -> None:
        if request.teacher_id != actor.id:
            raise NotAllowed(f"Only the teacher who filed {request.reference} can do that.")

    @staticmethod
    def _require_owner(actor: Actor, request: Request) -> None:
        if request.owner_id != actor.id and not actor.has(Role.ADMIN):
            owner = request.owner_name or "nobody yet"
            raise NotAllowed(f"Only the owner of {request.reference} can do that (owner: {owner}).")

    @staticmethod
    def _require_status(request: Request, *allowed: Status) -> None:
        if request.state not in allowed:
            raise InvalidTransition(f"{request.reference} is {request.state.label.lower()}, so that action no longer applies.")

    # The one write path

    async def _transition(
        self,
        number: int,
        actor: Actor,
        event_type: str,
        change: Callable[[Request], None],
        note: str = "",
        touch: bool = False,
        notify: Sequence[Notification] = (),
        collapse_repeat: bool = False,
    ) -> Request:
        step = Step(number, event_type, change, note, touch, tuple(notify), collapse_repeat)
        return (await self._transition_many(actor, [step]))[0]

    async def _transition_many(
        self, actor: Actor, steps: Sequence["Step"], extra_ops: Callable[[str], Awaitable[Sequence[Op]]] | None = None
    ) -> list[Request]:
        """Apply changes to one or more requests in one atomic batch, re-reading all of them on a conflict.

        `extra_ops`, given the UTC time of the attempt, returns more writes
        for the same batch (a session's own document, say). It is called
        again on every attempt, so it can re-read what it writes.
        """
        for _ in range(MAX_ATTEMPTS):
            now = to_iso(self._now())
            ops: list[Op] = []
            changed_requests: list[Request] = []
            repeats: set[int] = set()
            for step in steps:
                request = await self.get(step.number)
                if step.collapse_repeat and await self._repeats_last_event(request, actor, step):
                    repeats.add(step.number)
                else:
                    ops.extend(_change_ops(request, actor, step, now))
                changed_requests.append(request)
            if extra_ops is not None:
                ops.extend(await extra_ops(now))
            try:
                await self.store.apply(ops)
            except VersionConflict:
                logger.debug("requests %s changed during %s by %s; retrying", [s.number for s in steps], steps[0].event_type, actor.id)
                continue
            for request, step in zip(changed_requests, steps):
                if step.number in repeats:
                    logger.info("request %d: repeated %s by %s ignored", step.number, step.event_type, actor.id)
                    continue
                request.version += 1
                logger.info("request %d: %s by %s", step.number, step.event_type, actor.id)
            return changed_requests
        numbers = ", ".join(f"#{step.number}" for step in steps)
        raise InvalidTransition(f"Request {numbers} is changing too fast to update right now; please try again.")

    async def _repeats_last_event(self, request: Request, actor: Actor, step: "Step") -> bool:
        """Return True when the request's last event is this step by the same actor with the same note, within REPEAT_WINDOW.

        Each change raises the version by one and its event has that version
        as its sequence number, so the last event is found by key.
        """
        last = await self.store.get("events", f"{request.number}-{request.version:05d}")
        if last is None or (last["type"], last["actor_id"], last.get("note", "")) != (step.event_type, actor.id, step.note):
            return False
        return self._now() - from_iso(last["at"]) <= REPEAT_WINDOW


@dataclass(frozen=True)
class Step:
    """One change to one request within a transition: the rule-checking change and what it records."""

    number: int
    event_type: str
    change: Callable[[Request], None]
    note: str = ""
    touch: bool = False
    notify: tuple[Notification, ...] = ()
    # True for notes and messages, where the same text again right after is a double click, not news.
    collapse_repeat: bool = False


def _change_ops(request: Request, actor: Actor, step: Step, now: str) -> list[Put]:
    """Apply the step's change to the request and return the writes that record it, conditional on its version."""
    before = _tracked(request)
    step.change(request)
    request.updated_at = now
    if request.state in (Status.RESOLVED, Status.CLOSED) and request.resolved_at is None:
        request.resolved_at = now
    after = _tracked(request)
    seq = request.version + 1
    changed = [name for name in TRACKED_FIELDS if before[name] != after[name]]
    event = Event(
        request.number, seq, step.event_type, actor.id, actor.name, now,
        {name: before[name] for name in changed}, {name: after[name] for name in changed}, step.note,
    )
    ops = [
        Put("requests", request.key, request.to_doc(), request.version),
        Put("events", event.key, event.to_doc(), 0),
    ]
    if step.touch:
        level = Level(request.level if request.level is not None else Level.SELF_HELP)
        record = Touch(request.number, seq, request.teacher_id, request.school, request.category, level.value, TOUCH_KINDS[level], now, actor.id)
        ops.append(Put("touches", record.key, record.to_doc(), 0))
    ops.extend(_outbox_ops(request, seq, step.notify, now))
    return ops


ROLE_NAMES = {
    Role.TEACHER: "teacher",
    Role.TRIAGER: "triager",
    Role.TST: "Technology Support Teacher",
    Role.LEADER: "district leader",
    Role.ADMIN: "helpdesk admin",
}


def _tracked(request: Request) -> dict[str, Any]:
    return {name: getattr(request, name) for name in TRACKED_FIELDS}


def _outbox_ops(request: Request, seq: int, notify: Sequence[Notification], now: str) -> list[Put]:
    ops = []
    for item in notify:
        key = f"{request.key}-{seq:05d}-{item.kind}"
        doc = {"key": key, "request": request.number, "seq": seq, "kind": item.kind, "target": item.target, "created_at": now, "state": "pending", "attempts": 0}
        ops.append(Put("outbox", key, doc, 0))
    return ops


def _checked_note(text: Any, required: bool, what: str = "comment") -> str:
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InvalidInput(f"The {what} must be text.")
    text = text.replace("\x00", "").strip()  # PostgreSQL's JSONB cannot store NUL characters.
    if required and not text:
        hint = MISSING_TEXT_HINTS.get(what, f"write the {what} and send it again")
        raise InvalidInput(f"The {what} is missing; {hint}.")
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidInput(f"The {what} is {len(text):,} characters long; the limit is {NOTE_MAX_CHARS:,}.")
    return text
