"""Site visits (level 4) and in-class support (level 5): proposing times, the teacher's pick, booking, reminders and the outcome.

Stored state follows the calendar, never leads it:

* booking first marks the visit `booking` by a conditional write (so two
  clicks cannot book twice), then creates the calendar event, then stores
  the visit as booked together with the request's event and the messages.
  If the event cannot be created, the visit goes back to `proposed` with the
  reason and nothing is booked. If the last write fails, the event is
  cancelled again.
* cancelling a booked visit marks it busy, cancels the event, then stores
  the cancellation. If the calendar call fails the visit stays booked,
  because the calendar still has it.

A busy mark older than BUSY_TIMEOUT belongs to a process that died and no
longer blocks.
"""

import hmac
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from config.settings import Settings
from domain.actor import Actor, Role
from domain.clock import from_iso, load_zone, to_iso, utc_now
from domain.errors import HelpdeskError, InvalidInput, InvalidTransition, NotAllowed, NotFound
from domain.request import Level, Request, Status
from escalation.helpdesk import Helpdesk, _checked_note
from escalation.ladder import SYSTEM
from escalation.visit_ladder import VISIT_LEVELS, VisitLadder, require_owner_or_free, require_visit_work
from graph import GraphNotFound
from sessions.local_time import parse_local_start, session_time_text
from storage import Op, Put, StorageError, Store, VersionConflict
from visits.calendar_file import visit_calendar_file
from visits.visit import ACTIVE, VISITS, Visit, VisitOutcome, VisitStatus
from visits.visit_calendar import GRAPH, CreatedEvent, VisitCalendar

logger = logging.getLogger(__name__)

MAX_OPTIONS = 3
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 480
BUSY_TIMEOUT = timedelta(minutes=5)
HISTORY_KEPT = 30
MAX_ATTEMPTS = 8
FRESH_ARRIVALS = (Status.ROUTED, Status.ESCALATED)


class VisitPlanner:
    """Carries out every visit action, checking the actor's role on the server.

    `now` returns the current UTC time; tests replace it to move past a visit's start.
    """

    def __init__(self, store: Store, helpdesk: Helpdesk, settings: Settings, calendar: VisitCalendar, now: Callable[[], datetime] = utc_now):
        self.store = store
        self.helpdesk = helpdesk
        self.settings = settings
        self.calendar = calendar
        self.now = now
        self.ladder = VisitLadder(helpdesk)

    @property
    def uses_graph(self) -> bool:
        return self.calendar.kind == GRAPH

    async def close(self) -> None:
        await self.calendar.close()

    # Reading

    async def get(self, visit_id: str) -> Visit:
        doc = await self.store.get(VISITS, str(visit_id))
        if doc is None:
            raise NotFound(f"Visit {visit_id} was not found; it may come from an old card.")
        return Visit.from_doc(doc)

    async def current(self, number: int) -> Visit | None:
        """Return the request's active visit, else its latest one, else None."""
        visits = sorted((Visit.from_doc(doc) for doc in await self.store.find(VISITS, request=number)), key=lambda visit: int(visit.id))
        active = [visit for visit in visits if visit.state in ACTIVE]
        return (active or visits or [None])[-1]

    def time_text(self, visit: Visit, index: int | None = None) -> str:
        """Return the booked time, or proposed option `index`, as local text."""
        if index is not None:
            option = visit.options[index]
            return session_time_text(option["start"], option["end"], self.settings.timezone)
        return session_time_text(visit.start or "", visit.end or "", self.settings.timezone)

    def is_busy(self, visit: Visit) -> bool:
        return bool(visit.busy) and self.now() - from_iso(visit.busy["since"]) < BUSY_TIMEOUT

    # The TST proposes

    async def propose(self, actor: Actor, number: int, slots: Sequence[tuple[Any, Any]], duration: Any, note: Any = "") -> Visit:
        """Propose up to three local dates and times; the teacher gets a card to pick one."""
        Helpdesk._require_role(actor, Role.TST, "propose visit times")
        minutes = _checked_duration(duration)
        starts = self._checked_slots(slots)
        note = _checked_note(note, required=False, what="note")
        request = await self.helpdesk.get(number)
        require_visit_work(request)
        require_owner_or_free(actor, request)
        await self._require_replaceable(request)
        options = [{"start": to_iso(start), "end": to_iso(start + timedelta(minutes=minutes))} for start in starts]
        current = await self.current(number)
        if current is not None and current.state is VisitStatus.PROPOSED and (current.options, current.note) == (options, note):
            # The same times again are a double click or a replayed submit, so the first proposal stands.
            return current

        now = to_iso(self.now())
        visit = Visit(
            id=str(await self.store.next_number(VISITS)),
            request=number,
            level=request.level or Level.SITE_VISIT.value,
            teacher_id=request.teacher_id,
            teacher_name=request.teacher_name,
            school=request.school,
            organizer_id=actor.id,
            organizer_name=actor.name,
            options=options,
            calendar=self.calendar.kind,
            calendar_key=secrets.token_urlsafe(18),
            note=note,
            history=[_history(now, actor, "proposed", "")],
            created_at=now,
            updated_at=now,
        )
        times = "; ".join(self.time_text(visit, index) for index in range(len(visit.options)))

        async def visit_ops(now: str) -> list[Op]:
            ops: list[Op] = [Put(VISITS, visit.id, visit.to_doc(), 0)]
            previous = await self.current(number)
            if previous is not None and previous.state in ACTIVE:
                if previous.state is not VisitStatus.PROPOSED:
                    raise InvalidTransition(f"The visit for {request.reference} was booked meanwhile; cancel it before proposing new times.")
                previous.status = VisitStatus.CANCELLED.value
                self._record(previous, now, actor, "replaced", f"New times proposed as visit {visit.id}.")
                ops.append(Put(VISITS, previous.id, previous.to_doc(), previous.version))
            ops.append(self._outbox(visit, "visit_options", "teacher", "proposed", now))
            return ops

        await self.ladder.propose(actor, number, f"Proposed {visit.kind_label} times: {times}.", visit_ops)
        logger.info("visit %s for request %d proposed by %s with %d times", visit.id, number, actor.id, len(starts))
        return await self.get(visit.id)

    # The teacher picks a time

    async def choose(self, actor: Actor, visit_id: str, option: Any) -> Visit:
        """Book the picked time on both calendars; a calendar failure leaves the visit unbooked with the reason."""
        visit = await self.get(visit_id)
        if visit.teacher_id != actor.id:
            raise NotAllowed("These visit times were sent to another teacher.")
        index = _checked_option(option, len(visit.options))
        if visit.state is VisitStatus.BOOKED:
            raise InvalidTransition(f"Your {visit.kind_label} is already booked for {self.time_text(visit)}.")
        if visit.state not in (VisitStatus.PROPOSED, VisitStatus.BOOKING):
            raise InvalidTransition(f"These times were withdrawn ({visit.state.value}); your TST will send new ones.")
        if from_iso(visit.options[index]["start"]) <= self.now():
            raise InvalidInput("That time has passed. Pick another one, or ask your TST for new times.", {"option": "Pick a later time."})
        require_visit_work(await self.helpdesk.get(visit.request))

        def pick(current: Visit) -> None:
            current.status = VisitStatus.BOOKING.value
            current.chosen = index
            current.start = current.options[index]["start"]
            current.end = current.options[index]["end"]
            # A new id for each attempt: Graph drops a repeated create with the same id, within one attempt's retries.
            current.transaction_id = uuid.uuid4().hex

        locked = await self._lock(visit_id, actor, "book", (VisitStatus.PROPOSED, VisitStatus.BOOKING), pick)
        try:
            created = await self.calendar.create(locked, self._subject(locked), await self._description(locked))
        except HelpdeskError as error:
            logger.warning("visit %s: creating the calendar event failed: %s", locked.id, type(error).__name__)
            await self._release(locked, f"Booking {self.time_text(locked)} failed: {error}")
            raise InvalidTransition(f"The visit could not be put on the calendars, so it is not booked. {error}") from error
        try:
            await self._commit_booking(actor, locked, created)
        except (HelpdeskError, StorageError) as error:
            logger.warning("visit %s: storing the booking failed (%s); cancelling its calendar event", locked.id, type(error).__name__)
            await self._undo_booking(locked, created, error)
            raise
        logger.info("visit %s for request %d booked by %s", locked.id, locked.request, actor.id)
        return await self.get(locked.id)

    async def _commit_booking(self, actor: Actor, locked: Visit, created: CreatedEvent) -> None:
        time_text = self.time_text(locked)

        async def visit_ops(now: str) -> list[Op]:
            current = await self._still_locked(locked)
            current.status = VisitStatus.BOOKED.value
            current.event_id = created.event_id
            current.web_link = created.web_link
            current.problem = ""
            self._record(current, now, actor, "booked", time_text)
            text = f"{current.teacher_name} picked {time_text} for the {current.kind_label} of request #{current.request}; it is on the calendars."
            return [
                Put(VISITS, current.id, current.to_doc(), current.version),
                self._outbox(current, "visit_booked", "teacher", "booked", now),
                self._outbox(current, "visit_notice", "tst", "booked", now, text=text),
            ]

        await self.ladder.record(actor, locked.request, "visit_booked", f"Booked the {locked.kind_label} for {time_text}.", visit_ops)

    async def _undo_booking(self, locked: Visit, created: CreatedEvent, cause: Exception) -> None:
        """Cancel an event whose booking could not be stored; tell the TST if that fails too."""
        if created.event_id:
            locked.event_id = created.event_id
            try:
                await self.calendar.cancel(locked, "This visit could not be saved by the helpdesk and has been cancelled.")
            except GraphNotFound:
                pass
            except HelpdeskError as error:
                logger.error("visit %s: cancelling event %s after a failed save failed too: %s", locked.id, created.event_id, type(error).__name__)
                await self._release(locked, f"The Outlook event for {self.time_text(locked)} could not be saved or removed; delete it in Outlook.")
                raise InvalidTransition(
                    "The visit reached the calendar but could not be saved here, and removing it failed too, so it is not booked. "
                    "Your TST was told to delete the calendar entry."
                ) from error
            locked.event_id = None
        await self._release(locked, f"Booking {self.time_text(locked)} could not be saved: {cause}")

    # The TST cancels or records the outcome

    async def cancel(self, actor: Actor, visit_id: str, reason: Any) -> Visit:
        """Withdraw proposed times or cancel a booked visit; a calendar failure keeps the booking as it is."""
        Helpdesk._require_role(actor, Role.TST, "cancel visits")
        reason = _checked_note(reason, required=True, what="reason")
        visit = await self.get(visit_id)
        require_organizer_or_owner(actor, visit, await self.helpdesk.get(visit.request))
        if visit.state not in (VisitStatus.PROPOSED, VisitStatus.BOOKED):
            raise InvalidTransition(f"Visit {visit.id} is {visit.state.value}, so it cannot be cancelled.")
        if visit.state is VisitStatus.BOOKED:
            visit = await self._lock(visit_id, actor, "cancel", (VisitStatus.BOOKED,), lambda current: None)
            try:
                await self.calendar.cancel(visit, f"Cancelled by {actor.name}: {reason}")
            except GraphNotFound:
                logger.info("visit %s: its calendar event was already gone", visit.id)
            except HelpdeskError:
                await self._unlock(visit)
                raise

        locked = visit

        async def visit_ops(now: str) -> list[Op]:
            current = await self.get(locked.id)
            if current.version != locked.version:
                raise InvalidTransition(f"Visit {locked.id} changed meanwhile; open it again.")
            was_booked = current.state is VisitStatus.BOOKED
            current.status = VisitStatus.CANCELLED.value
            current.busy = None
            self._record(current, now, actor, "cancelled", reason)
            ops: list[Op] = [Put(VISITS, current.id, current.to_doc(), current.version)]
            if was_booked:
                ops.append(self._outbox(current, "visit_notice", "teacher", "cancelled", now, text=f"Your {current.kind_label} on {self.time_text(current)} is cancelled: {reason}"))
            return ops

        try:
            await self._commit(actor, visit.request, "visit_cancelled", f"Cancelled the {visit.kind_label}: {reason}", visit_ops)
        except (HelpdeskError, StorageError) as error:
            # NOTE: the calendar event is already cancelled here; the stored visit stays booked until a TST cancels it again.
            logger.error("visit %s: storing the cancellation failed after the calendar event was cancelled: %s", visit.id, type(error).__name__)
            raise
        logger.info("visit %s cancelled by %s", visit.id, actor.id)
        return await self.get(visit.id)

    async def record(self, actor: Actor, visit_id: str, outcome: Any, note: Any) -> Request:
        """Record what was done after the visit; the request is resolved with a touch of kind site_visit or in_class."""
        Helpdesk._require_role(actor, Role.TST, "record visits")
        kind = _checked_outcome(outcome)
        note = _checked_note(note, required=True, what="note")
        visit = await self.get(visit_id)
        require_organizer_or_owner(actor, visit, await self.helpdesk.get(visit.request))
        if visit.state is VisitStatus.COMPLETED:
            raise InvalidTransition(f"What was done on visit {visit.id} is already recorded.")
        if visit.state is not VisitStatus.BOOKED:
            raise InvalidTransition(f"Visit {visit.id} is {visit.state.value}; only a booked visit can be recorded.")
        if self.is_busy(visit):
            raise InvalidTransition(f"Visit {visit.id} is being changed right now; try again in a minute.")
        if self.now() < from_iso(visit.start or ""):
            raise InvalidTransition(f"The visit starts {self.time_text(visit)}; record what was done once it has started.")
        resolution = f"{kind.label} at {visit.school} on {self.time_text(visit)}. {note}"

        async def visit_ops(now: str) -> list[Op]:
            current = await self.get(visit.id)
            if current.version != visit.version:
                raise InvalidTransition(f"Visit {visit.id} changed meanwhile; open it again.")
            current.status = VisitStatus.COMPLETED.value
            current.outcome = kind.value
            current.outcome_note = note
            self._record(current, now, actor, "completed", kind.label)
            return [Put(VISITS, current.id, current.to_doc(), current.version)]

        request = await self.ladder.resolve(actor, visit.request, kind.level, resolution, visit_ops, visit.organizer_id)
        logger.info("visit %s recorded by %s as %s", visit.id, actor.id, kind.value)
        return request

    # Timed jobs

    async def send_reminders(self) -> int:
        """Queue the day-before reminder of each booked visit once, from the configured local time; return how many."""
        now = self.now()
        zone = load_zone(self.settings.timezone)
        local_now = now.astimezone(zone)
        if local_now.time() < self.settings.visits.reminder_time:
            return 0
        sent = 0
        for doc in await self.store.find(VISITS, status=VisitStatus.BOOKED.value):
            visit = Visit.from_doc(doc)
            start = from_iso(visit.start or "")
            if start <= now or start.astimezone(zone).date() - timedelta(days=1) != local_now.date():
                continue
            key = f"visit-reminder:{visit.id}:{visit.start}"
            stamp = to_iso(now)
            ops = [
                Put("jobs", key, {"ran_at": stamp}, 0),
                self._outbox(visit, "visit_reminder", "teacher", "reminder", stamp),
                self._outbox(visit, "visit_reminder", "tst", "reminder", stamp),
            ]
            try:
                await self.store.apply(ops)
            except VersionConflict:
                continue
            sent += 1
        if sent:
            logger.info("visit reminders queued for %d visits", sent)
        return sent

    async def prompt_new(self) -> int:
        """Post the visit planning card in the TST thread of each level-4 or 5 request that just arrived; return how many."""
        now = to_iso(self.now())
        posted = 0
        for level in VISIT_LEVELS:
            for doc in await self.store.find("requests", level=level.value):
                request = Request.from_doc(doc)
                if request.state not in FRESH_ARRIVALS or request.owner_id or not request.queued_at:
                    continue
                current = await self.current(request.number)
                if current is not None and current.state in ACTIVE:
                    continue
                key = f"visit-prompt:{request.number}:{request.queued_at}"
                entry = {
                    "key": f"visit-{key}", "request": request.number, "seq": 0, "kind": "visit_planning", "target": "tst",
                    "created_at": now, "state": "pending", "attempts": 0,
                }
                try:
                    await self.store.apply([Put("jobs", key, {"ran_at": now}, 0), Put("outbox", entry["key"], entry, 0)])
                except VersionConflict:
                    continue
                posted += 1
        return posted

    # Calendar files

    async def calendar_text(self, visit_id: str, key: str) -> str | None:
        """Return the visit's .ics text when `key` matches its calendar key and it has a time, else None."""
        doc = await self.store.get(VISITS, str(visit_id))
        if doc is None:
            return None
        visit = Visit.from_doc(doc)
        if not hmac.compare_digest(key.encode("utf-8"), visit.calendar_key.encode("utf-8")) or not visit.start:
            return None
        if visit.state not in (VisitStatus.BOOKED, VisitStatus.COMPLETED, VisitStatus.CANCELLED):
            return None
        return visit_calendar_file(visit, self.now(), self._subject(visit), await self._description(visit))

    def calendar_url(self, visit: Visit) -> str:
        """Return the address of the visit's .ics file, or '' when the bot uses Graph or has no public address."""
        if self.uses_graph or not self.settings.public_url or not visit.start:
            return ""
        return f"{self.settings.public_url}/visits/{visit.id}/calendar.ics?key={visit.calendar_key}"

    # Helpers

    def _checked_slots(self, slots: Sequence[tuple[Any, Any]]) -> list[datetime]:
        starts: list[datetime] = []
        filled = [(position, date, time) for position, (date, time) in enumerate(slots, start=1) if _given(date) or _given(time)]
        if not filled:
            raise InvalidInput("Propose at least one date and time.", {"date1": "Pick a date.", "time1": "Pick a time."})
        if len(filled) > MAX_OPTIONS:
            raise InvalidInput(f"Propose at most {MAX_OPTIONS} times.")
        for position, date, time in filled:
            try:
                start = parse_local_start(date, time, self.settings.timezone, self.now())
            except InvalidInput as error:
                problems = {f"{name}{position}": problem for name, problem in error.problems.items()}
                raise InvalidInput(f"Time {position}: {error}", problems) from error
            if start in starts:
                raise InvalidInput(f"Time {position} repeats an earlier time; propose different times.", {f"time{position}": "Pick another time."})
            starts.append(start)
        return starts

    async def _require_replaceable(self, request: Request) -> None:
        current = await self.current(request.number)
        if current is None or current.state not in ACTIVE or current.state is VisitStatus.PROPOSED:
            return
        if current.state is VisitStatus.BOOKING:
            raise InvalidTransition(f"{request.teacher_name} is booking a time for {request.reference} right now; wait a minute.")
        raise InvalidTransition(f"The {current.kind_label} for {request.reference} is booked for {self.time_text(current)}; cancel it before proposing new times.")

    async def _commit(self, actor: Actor, number: int, event_type: str, note: str, visit_ops) -> None:
        """Store a visit change with its request event, or alone when the request moved on from levels 4 and 5."""
        try:
            require_visit_work(await self.helpdesk.get(number))
        except InvalidTransition:
            for _ in range(MAX_ATTEMPTS):
                try:
                    await self.store.apply(list(await visit_ops(to_iso(self.now()))))
                except VersionConflict:
                    continue
                return
            raise InvalidTransition("The visit is changing too fast to update right now; please try again.") from None
        await self.ladder.record(actor, number, event_type, note, visit_ops)

    async def _lock(self, visit_id: str, actor: Actor, action: str, allowed: Sequence[VisitStatus], prepare: Callable[[Visit], None]) -> Visit:
        """Mark the visit busy with `action` by a conditional write, after `prepare` changes it; raises when busy or in another status."""
        for _ in range(MAX_ATTEMPTS):
            visit = await self.get(visit_id)
            if visit.state not in allowed:
                raise InvalidTransition(f"Visit {visit.id} is {visit.state.value}, so that no longer applies.")
            if self.is_busy(visit):
                raise InvalidTransition(f"Visit {visit.id} is being changed right now; try again in a minute.")
            prepare(visit)
            visit.busy = {"action": action, "since": to_iso(self.now()), "by": actor.id}
            try:
                await self.store.apply([Put(VISITS, visit.id, visit.to_doc(), visit.version)])
            except VersionConflict:
                continue
            visit.version += 1
            return visit
        raise InvalidTransition("The visit is changing too fast to update right now; please try again.")

    async def _still_locked(self, locked: Visit) -> Visit:
        current = await self.get(locked.id)
        if current.version != locked.version:
            logger.error("visit %s changed while %s waited for the calendar", locked.id, (locked.busy or {}).get("action"))
            raise InvalidTransition(f"Visit {locked.id} was changed by someone else meanwhile; open it again.")
        current.busy = None
        return current

    async def _unlock(self, locked: Visit) -> None:
        """Clear the busy mark after a failed calendar call, leaving everything else as it was."""
        locked.busy = None
        try:
            await self.store.apply([Put(VISITS, locked.id, locked.to_doc(), locked.version)])
        except (StorageError, VersionConflict) as error:
            # The mark goes stale after BUSY_TIMEOUT, so the visit is only blocked for that long.
            logger.error("visit %s: clearing its busy mark failed: %s", locked.id, type(error).__name__)

    async def _release(self, locked: Visit, problem: str) -> None:
        """Put a visit whose booking failed back to `proposed`, keeping the reason, and tell the TST."""
        now = to_iso(self.now())
        locked.status = VisitStatus.PROPOSED.value
        locked.chosen = None
        locked.start = None
        locked.end = None
        locked.busy = None
        locked.problem = problem
        self._record(locked, now, SYSTEM, "booking failed", problem)
        notice = self._outbox(locked, "visit_notice", "tst", f"failed-{locked.version}", now, text=f"Request #{locked.request}: {problem}")
        try:
            await self.store.apply([Put(VISITS, locked.id, locked.to_doc(), locked.version), notice])
        except (StorageError, VersionConflict) as error:
            logger.error("visit %s: putting it back to proposed failed: %s", locked.id, type(error).__name__)

    def _record(self, visit: Visit, now: str, actor: Actor, action: str, note: str) -> None:
        visit.updated_at = now
        visit.history = [*visit.history, _history(now, actor, action, note)][-HISTORY_KEPT:]

    @staticmethod
    def _outbox(visit: Visit, kind: str, target: str, step: str, now: str, **fields: Any) -> Put:
        key = f"visit-{visit.id}-{step}-{kind}-{target}"
        doc = {
            "key": key, "request": visit.request, "visit": visit.id, "seq": 0, "kind": kind, "target": target,
            "created_at": now, "state": "pending", "attempts": 0, **fields,
        }
        return Put("outbox", key, doc, 0)

    def _subject(self, visit: Visit) -> str:
        return f"Helpdesk {visit.kind_label}: {visit.teacher_name} at {visit.school}"

    async def _description(self, visit: Visit) -> str:
        try:
            category = self.settings.catalogue.name_of((await self.helpdesk.get(visit.request)).category)
        except NotFound:
            category = "classroom technology"
        text = (
            f"A {visit.kind_label} of the {self.settings.district_name} helpdesk for request #{visit.request} ({category}).\n"
            f"Technology Support Teacher: {visit.organizer_name}. Teacher: {visit.teacher_name}. School: {visit.school}."
        )
        return text + (f"\n{visit.note}" if visit.note else "")


def require_organizer_or_owner(actor: Actor, visit: Visit, request: Request) -> None:
    """Raise unless the actor is the visit's TST, the request's owner or an admin; a level change clears the owner, not the visit's TST."""
    if actor.id not in (visit.organizer_id, request.owner_id) and not actor.has(Role.ADMIN):
        raise NotAllowed(f"Only {visit.organizer_name}, who planned this visit, or the owner of {request.reference} can do that.")


def _history(now: str, actor: Actor, action: str, note: str) -> dict[str, str]:
    return {"at": now, "by": actor.id, "by_name": actor.name, "action": action, "note": note}


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _checked_duration(value: Any) -> int:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d{1,4}", text) or not MIN_DURATION_MINUTES <= int(text) <= MAX_DURATION_MINUTES:
        raise InvalidInput(
            f"The length must be a whole number of minutes from {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES}, not {value!r}.",
            {"duration": "Pick a length."},
        )
    return int(text)


def _checked_option(value: Any, count: int) -> int:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d", text) or int(text) >= count:
        raise InvalidInput("Pick one of the proposed times.", {"option": "Pick a time."})
    return int(text)


def _checked_outcome(value: Any) -> VisitOutcome:
    if not isinstance(value, str) or value not in VisitOutcome._value2member_map_:
        choices = ", ".join(item.value for item in VisitOutcome)
        raise InvalidInput(f"Say what was done: one of {choices}.", {"outcome": "Pick what was done."})
    return VisitOutcome(value)
