"""Small-group sessions: proposing groups, scheduling, responses, changes and attendance.

Stored state follows the calendar, never leads it:

* scheduling first reserves the requests (a session in status `creating`
  and one `session_members` document per request, written only if absent,
  so two TSTs cannot take the same request), then creates the meeting, then
  stores the session as scheduled together with each request's event and
  the invitations. If the meeting cannot be created, the reservation is
  deleted. If the last write fails, the meeting is cancelled again; if that
  fails too, the session stays `creating` with its event id, and TSTs see
  it with Retry and Discard.
* every later change that touches the calendar (new time, cancellation,
  a teacher declining) first marks the session `busy`, then calls the
  calendar, then stores the result and clears `busy` in one write. A failed
  call only clears `busy`, so the old time, the attendee list or the
  scheduled status stay as the calendar still has them. A mark older than
  BUSY_TIMEOUT belongs to a process that died and no longer blocks.
"""

import hmac
import logging
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from config.settings import Settings
from domain.actor import Actor, Role
from domain.clock import from_iso, to_iso, utc_now
from domain.errors import HelpdeskError, InvalidInput, InvalidTransition, NotAllowed, NotFound
from domain.request import Level, Request
from escalation.helpdesk import Helpdesk, _checked_note
from escalation.small_group import JOINABLE, SmallGroupLadder, require_joinable
from graph import GraphNotFound
from knowledge.normalize import Normalizer
from sessions.calendar_file import calendar_file
from sessions.grouping import Proposal, propose_groups
from sessions.local_time import checked_duration, parse_local_start, session_time_text
from sessions.meeting_calendar import CreatedMeeting, MeetingCalendar
from sessions.session import Attendee, CalendarKind, Response, Session, SessionStatus
from storage import Delete, Op, Put, StorageError, Store, VersionConflict

logger = logging.getLogger(__name__)

SESSIONS = "sessions"
MEMBERS = "session_members"
BUSY_TIMEOUT = timedelta(minutes=5)
TOPIC_MAX_CHARS = 120
HISTORY_KEPT = 30
MAX_ATTEMPTS = 8
# Outlook reports these responses for attendees who accepted.
ACCEPTED_IN_OUTLOOK = {"accepted", "organizer"}


class SessionPlanner:
    """Carries out every session action, checking the actor's role on the server.

    `now` returns the current UTC time; tests replace it to move past a session's start.
    """

    def __init__(self, store: Store, helpdesk: Helpdesk, settings: Settings, calendar: MeetingCalendar, now: Callable[[], datetime] = utc_now):
        self.store = store
        self.helpdesk = helpdesk
        self.settings = settings
        self.calendar = calendar
        self.now = now
        self.ladder = SmallGroupLadder(helpdesk)
        self._normalizer = Normalizer()

    @property
    def uses_graph(self) -> bool:
        return self.calendar.kind == CalendarKind.GRAPH.value

    async def close(self) -> None:
        await self.calendar.close()

    # Reading

    async def get(self, session_id: str) -> Session:
        """Return the session, or raise NotFound."""
        doc = await self.store.get(SESSIONS, str(session_id))
        if doc is None:
            raise NotFound(f"Session {session_id} was not found; it may have been discarded.")
        return Session.from_doc(doc)

    async def current(self) -> list[Session]:
        """Return the scheduled sessions and the ones still being scheduled, soonest first."""
        docs = await self.store.find(SESSIONS)
        sessions = [Session.from_doc(doc) for doc in docs]
        active = [session for session in sessions if session.state in (SessionStatus.SCHEDULED, SessionStatus.CREATING)]
        return sorted(active, key=lambda session: (session.start, int(session.id)))

    def is_interrupted(self, session: Session) -> bool:
        """Return True for a session whose scheduling stopped half-way and that no process is finishing."""
        return session.state is SessionStatus.CREATING and not self._is_busy(session)

    async def eligible(self, actor: Actor) -> list[Request]:
        """Return open level-2 requests in no session that are unowned or owned by the actor, oldest first."""
        reserved = {doc["request"] for doc in await self.store.find(MEMBERS)}
        docs = await self.store.find("requests", level=Level.SMALL_GROUP.value)
        requests = [Request.from_doc(doc) for doc in docs]
        free = [
            request
            for request in requests
            if request.number not in reserved and request.state in JOINABLE and request.owner_id in (None, actor.id)
        ]
        return sorted(free, key=lambda request: (request.created_at, request.number))

    async def proposals(self, actor: Actor) -> list[Proposal]:
        """Return suggested groups from the requests the actor could schedule."""
        options = self.settings.sessions
        return propose_groups(
            await self.eligible(actor),
            self.settings.schools,
            options.level_specific_categories,
            options.min_group_size,
            options.max_group_size,
            tokens=self._normalizer.tokens,
        )

    def time_text(self, session: Session) -> str:
        return session_time_text(session.start, session.end, session.timezone)

    # Scheduling

    async def schedule(
        self,
        actor: Actor,
        numbers: Sequence[int],
        topic: Any,
        date_text: Any,
        time_text: Any,
        duration: Any,
        join_url: Any = "",
        channel: str | None = None,
    ) -> Session:
        """Schedule a session for the requests at a local time and invite their teachers; return it."""
        Helpdesk._require_role(actor, Role.TST, "schedule small-group sessions")
        topic = _checked_topic(topic)
        numbers = self._checked_group(numbers)
        minutes = checked_duration(duration)
        start = parse_local_start(date_text, time_text, self.settings.timezone, self.now())
        link = "" if self.uses_graph else _checked_join_url(join_url)

        requests = [await self.helpdesk.get(number) for number in numbers]
        for request in requests:
            require_joinable(request, actor.id)
        _require_distinct_teachers(requests)
        await self._require_free(numbers)
        attendees = [Attendee(request.number, request.teacher_id, request.teacher_name, request.school) for request in requests]
        addresses = await self.calendar.addresses(attendees)
        for attendee in attendees:
            attendee.email = addresses.get(attendee.teacher_id, "")

        now = to_iso(self.now())
        session = Session(
            id=str(await self.store.next_number(SESSIONS)),
            topic=topic,
            category=Counter(request.category for request in requests).most_common(1)[0][0],
            organizer_id=actor.id,
            organizer_name=actor.name,
            start=to_iso(start),
            end=to_iso(start + timedelta(minutes=minutes)),
            timezone=self.settings.timezone,
            calendar=self.calendar.kind,
            transaction_id=uuid.uuid4().hex,
            calendar_key=secrets.token_urlsafe(18),
            attendees=attendees,
            channel=channel,
            join_url=link,
            busy=self._busy(actor, "create"),
            history=[_history(now, actor, "created", "")],
            created_at=now,
            updated_at=now,
        )
        reservations = [Put(MEMBERS, str(number), {"request": number, "session": session.id}, 0) for number in numbers]
        try:
            await self.store.apply([Put(SESSIONS, session.id, session.to_doc(), 0), *reservations])
        except VersionConflict as error:
            raise InvalidTransition(await self._taken_message(numbers)) from error
        session.version = 1
        logger.info("session %s reserved by %s for requests %s", session.id, actor.id, numbers)
        return await self._finish_creation(actor, session, forget_on_failure=True)

    async def retry(self, actor: Actor, session_id: str) -> Session:
        """Finish scheduling a session that stopped half-way; the calendar's transaction id prevents a second meeting."""
        Helpdesk._require_role(actor, Role.TST, "schedule small-group sessions")
        session = await self._lock(session_id, actor, "create", (SessionStatus.CREATING,))
        if session.event_id:
            meeting = CreatedMeeting(session.event_id, session.join_url, session.web_link)
            try:
                return await self._commit_creation(actor, session, meeting)
            except (HelpdeskError, StorageError):
                await self._unlock(session)
                raise
        return await self._finish_creation(actor, session, forget_on_failure=False)

    async def discard(self, actor: Actor, session_id: str) -> None:
        """Drop a session that stopped half-way, cancelling its meeting if one was made, and free its requests."""
        Helpdesk._require_role(actor, Role.TST, "discard small-group sessions")
        session = await self._lock(session_id, actor, "discard", (SessionStatus.CREATING,))
        if session.event_id:
            try:
                await self.calendar.cancel(session, "This session was not completed and has been cancelled.")
            except GraphNotFound:
                logger.info("session %s: its meeting was already gone", session.id)
            except HelpdeskError:
                await self._unlock(session)
                raise
        await self._forget(session)
        logger.info("session %s discarded by %s", session.id, actor.id)

    async def _finish_creation(self, actor: Actor, session: Session, forget_on_failure: bool) -> Session:
        try:
            meeting = await self.calendar.create(session, self._description(session))
        except HelpdeskError as error:
            logger.warning("session %s: creating the meeting failed: %s", session.id, type(error).__name__)
            if forget_on_failure:
                await self._forget(session)
            else:
                await self._unlock(session, problem=str(error))
            raise
        try:
            return await self._commit_creation(actor, session, meeting)
        except (HelpdeskError, StorageError) as error:
            logger.warning("session %s: storing the scheduled session failed (%s); cancelling its meeting", session.id, type(error).__name__)
            await self._undo_meeting(session, meeting, error)
            raise

    async def _commit_creation(self, actor: Actor, session: Session, meeting: CreatedMeeting) -> Session:
        time_text = self.time_text(session)

        async def session_ops(now: str) -> list[Op]:
            current = await self._still_locked(session)
            current.status = SessionStatus.SCHEDULED.value
            current.event_id = meeting.event_id
            current.join_url = meeting.join_url or current.join_url
            current.web_link = meeting.web_link
            current.problem = ""
            self._record(current, now, actor, "scheduled", time_text)
            ops = self._outbox_for(current, "session_invitation", current.invited, now)
            return [Put(SESSIONS, current.id, current.to_doc(), current.version), *ops]

        note = f"Invited to small-group session {session.id} on {time_text}: {session.topic}"
        await self.ladder.join(actor, [attendee.request for attendee in session.attendees], note, session_ops)
        logger.info("session %s scheduled by %s with %d teachers", session.id, actor.id, len(session.attendees))
        return await self.get(session.id)

    async def _undo_meeting(self, session: Session, meeting: CreatedMeeting, cause: Exception) -> None:
        """Cancel a meeting whose session could not be stored; keep the session for Retry or Discard if that fails."""
        if meeting.event_id is None:
            await self._forget(session)
            return
        session.event_id = meeting.event_id
        try:
            await self.calendar.cancel(session, "This session could not be saved by the helpdesk and has been cancelled.")
        except GraphNotFound:
            pass
        except HelpdeskError as error:
            logger.error("session %s: cancelling meeting %s after a failed save failed too: %s", session.id, meeting.event_id, type(error).__name__)
            session.join_url = meeting.join_url or session.join_url
            session.web_link = meeting.web_link
            await self._unlock(session, problem=f"The meeting exists in Outlook but was not saved here ({cause}).")
            raise InvalidTransition(
                "The meeting was created in Outlook but could not be saved in the helpdesk, and cancelling it failed too. "
                "Mention me with sessions and use Retry or Discard on that session."
            ) from error
        await self._forget(session)

    # Changes that touch the calendar

    async def reschedule(self, actor: Actor, session_id: str, date_text: Any, time_text: Any, duration: Any) -> Session:
        """Move the session to a new local time and tell every invited teacher, who must respond again."""
        Helpdesk._require_role(actor, Role.TST, "reschedule small-group sessions")
        minutes = checked_duration(duration)
        start = parse_local_start(date_text, time_text, self.settings.timezone, self.now())
        end = start + timedelta(minutes=minutes)
        current = await self.get(session_id)
        if (current.start, current.end) == (to_iso(start), to_iso(end)):
            raise InvalidInput(f"Session {current.id} is already at {self.time_text(current)}.")
        session = await self._lock(session_id, actor, "reschedule", (SessionStatus.SCHEDULED,))
        try:
            await self.calendar.move(session, start, end)
        except HelpdeskError:
            await self._unlock(session)
            raise
        new_text = session_time_text(to_iso(start), to_iso(end), session.timezone)

        async def session_ops(now: str) -> list[Op]:
            current = await self._still_locked(session)
            current.start, current.end = to_iso(start), to_iso(end)
            current.sequence += 1
            for attendee in current.invited:
                attendee.response = Response.NONE.value
                attendee.responded_at = None
            self._record(current, now, actor, "rescheduled", new_text)
            ops = self._outbox_for(current, "session_changed", current.invited, now)
            return [Put(SESSIONS, current.id, current.to_doc(), current.version), *ops]

        numbers = [attendee.request for attendee in session.invited]
        await self.ladder.record(actor, numbers, "session_rescheduled", f"Small-group session {session.id} moved to {new_text}.", session_ops)
        return await self.get(session.id)

    async def cancel(self, actor: Actor, session_id: str, comment: Any) -> Session:
        """Cancel the session, tell every invited teacher and put their requests back in the small-group queue."""
        Helpdesk._require_role(actor, Role.TST, "cancel small-group sessions")
        comment = _checked_note(comment, required=False, what="message")
        session = await self._lock(session_id, actor, "cancel", (SessionStatus.SCHEDULED,))
        try:
            await self.calendar.cancel(session, comment or "This small-group session is cancelled. The helpdesk will offer you another one.")
        except GraphNotFound:
            logger.info("session %s: the meeting was already deleted in Outlook; cancelling here", session.id)
        except HelpdeskError:
            await self._unlock(session)
            raise

        async def session_ops(now: str) -> list[Op]:
            current = await self._still_locked(session)
            current.status = SessionStatus.CANCELLED.value
            current.sequence += 1
            self._record(current, now, actor, "cancelled", comment)
            ops = self._outbox_for(current, "session_cancelled", current.invited, now, comment=comment)
            return [Put(SESSIONS, current.id, current.to_doc(), current.version), *self._release(current), *ops]

        note = f"Small-group session {session.id} was cancelled." + (f" {comment}" if comment else "")
        await self.ladder.leave(actor, [attendee.request for attendee in session.invited], "session_cancelled", note, session_ops)
        logger.info("session %s cancelled by %s", session.id, actor.id)
        return await self.get(session.id)

    async def respond(self, actor: Actor, session_id: str, accept: bool) -> Session:
        """Record a teacher's response. Declining takes them off the meeting and puts their request back in the queue."""
        session = await self.get(session_id)
        attendee = session.attendee_for(actor.id)
        if attendee is None:
            raise NotAllowed("This invitation is for another teacher.")
        if session.state is not SessionStatus.SCHEDULED:
            raise InvalidTransition(f"This session is {session.state.value}, so it no longer accepts responses.")
        if not accept:
            if attendee.response == Response.DECLINED.value:
                return session
            return await self._remove(actor, session_id, [attendee.request], "You declined the invitation.", notify_organizer=True)
        if attendee.response == Response.DECLINED.value:
            raise InvalidTransition(f"You declined this session, so you are no longer invited. Ask {session.organizer_name} about a later one.")
        if attendee.response == Response.ACCEPTED.value:
            return session
        return await self._mark_accepted(actor, session_id, [attendee.request], notify_organizer=True)

    async def refresh_responses(self, actor: Actor, session_id: str) -> Session:
        """Copy the responses teachers gave in Outlook: an acceptance is recorded, a decline takes them off the session."""
        Helpdesk._require_role(actor, Role.TST, "manage small-group sessions")
        session = await self.get(session_id)
        if session.state is not SessionStatus.SCHEDULED:
            raise InvalidTransition(f"Session {session.id} is {session.state.value}, so its responses no longer change.")
        try:
            answers = await self.calendar.responses(session)
        except GraphNotFound as error:
            raise InvalidTransition(
                f"The meeting of session {session.id} was deleted from {session.organizer_name}'s calendar in Outlook. "
                "Cancel the session here so its teachers hear about it."
            ) from error
        declined = [a.request for a in session.invited if answers.get(a.email.lower()) == "declined"]
        accepted = [
            a.request for a in session.invited if answers.get(a.email.lower()) in ACCEPTED_IN_OUTLOOK and a.response == Response.NONE.value
        ]
        if declined:
            await self._remove(actor, session_id, declined, "Declined in Outlook.", notify_organizer=False)
        if accepted:
            await self._mark_accepted(actor, session_id, accepted, notify_organizer=False)
        return await self.get(session_id)

    async def _remove(self, actor: Actor, session_id: str, numbers: Sequence[int], note: str, notify_organizer: bool) -> Session:
        session = await self._lock(session_id, actor, "remove attendees", (SessionStatus.SCHEDULED,))
        remaining = [attendee for attendee in session.invited if attendee.request not in numbers]
        try:
            await self.calendar.set_invited(session, remaining)
        except HelpdeskError:
            await self._unlock(session)
            raise

        async def session_ops(now: str) -> list[Op]:
            current = await self._still_locked(session)
            leaving = [attendee for attendee in current.invited if attendee.request in numbers]
            for attendee in leaving:
                attendee.response = Response.DECLINED.value
                attendee.responded_at = now
            self._record(current, now, actor, "declined", ", ".join(attendee.teacher_name for attendee in leaving))
            ops = [Put(SESSIONS, current.id, current.to_doc(), current.version)]
            ops += [Delete(MEMBERS, str(attendee.request)) for attendee in leaving]
            if notify_organizer:
                ops += self._organizer_notices(current, leaving, Response.DECLINED, now)
            return ops

        await self.ladder.leave(actor, numbers, "session_declined", f"Left small-group session {session.id}: {note}", session_ops)
        return await self.get(session_id)

    async def _mark_accepted(self, actor: Actor, session_id: str, numbers: Sequence[int], notify_organizer: bool) -> Session:
        for _ in range(MAX_ATTEMPTS):
            session = await self.get(session_id)
            if session.state is not SessionStatus.SCHEDULED:
                raise InvalidTransition(f"This session is {session.state.value}, so it no longer accepts responses.")
            now = to_iso(self.now())
            accepting = [attendee for attendee in session.invited if attendee.request in numbers]
            for attendee in accepting:
                attendee.response = Response.ACCEPTED.value
                attendee.responded_at = now
            self._record(session, now, actor, "accepted", ", ".join(attendee.teacher_name for attendee in accepting))
            ops: list[Op] = [Put(SESSIONS, session.id, session.to_doc(), session.version)]
            if notify_organizer:
                ops += self._organizer_notices(session, accepting, Response.ACCEPTED, now)
            try:
                await self.store.apply(ops)
            except VersionConflict:
                continue
            return await self.get(session_id)
        raise InvalidTransition("The session is changing too fast to update right now; please try again.")

    # After the session

    async def mark_attendance(self, actor: Actor, session_id: str, attended: Sequence[int], note: Any = "") -> Session:
        """Resolve each attendee's request with one teacher touch; offer each no-show another session or one-to-one help."""
        Helpdesk._require_role(actor, Role.TST, "record attendance")
        note = _checked_note(note, required=False, what="note")
        session = await self.get(session_id)
        if session.state is not SessionStatus.SCHEDULED:
            raise InvalidTransition(f"Session {session.id} is {session.state.value}, so attendance cannot be recorded.")
        if self._is_busy(session):
            raise InvalidTransition(f"{session.busy['by_name']} is changing session {session.id} right now; try again in a minute.")
        if self.now() < from_iso(session.start):
            raise InvalidTransition(f"Session {session.id} starts {self.time_text(session)}; record attendance once it has started.")
        invited = {attendee.request for attendee in session.invited}
        unknown = sorted(set(attended) - invited)
        if unknown:
            raise InvalidInput(f"Request #{unknown[0]} is not among the invited teachers of session {session.id}.")
        present = sorted(set(attended))
        missed = sorted(invited - set(present))
        resolution = f"Attended the small-group session \"{session.topic}\" on {self.time_text(session)}." + (f" {note}" if note else "")

        async def session_ops(now: str) -> list[Op]:
            current = await self.get(session.id)
            if current.version != session.version or current.state is not SessionStatus.SCHEDULED:
                raise InvalidTransition(f"Session {session.id} changed while you were recording attendance; open it again.")
            for attendee in current.invited:
                attendee.attended = attendee.request in present
            current.status = SessionStatus.COMPLETED.value
            current.sequence += 1
            self._record(current, now, actor, "attendance", f"{len(present)} attended, {len(missed)} missed")
            no_shows = [attendee for attendee in current.invited if not attendee.attended]
            ops = self._outbox_for(current, "session_missed", no_shows, now)
            return [Put(SESSIONS, current.id, current.to_doc(), current.version), *self._release(current), *ops]

        await self.ladder.resolve_attended(actor, present, missed, resolution, session_ops)
        logger.info("session %s: attendance by %s, %d attended, %d missed", session.id, actor.id, len(present), len(missed))
        return await self.get(session.id)

    async def follow_up(self, actor: Actor, number: int, choice: Any) -> Request:
        """Carry out a no-show teacher's choice: 'group' waits for a later session, 'remote' requests one-to-one help."""
        if choice == "remote":
            return await self.ladder.choose_one_to_one(actor, number)
        if choice == "group":
            return await self.ladder.choose_later_session(actor, number)
        raise InvalidInput(f"The choice must be 'group' or 'remote', not {choice!r}.")

    # Calendar files

    async def calendar_text(self, session_id: str, key: str) -> str | None:
        """Return the session's .ics text when `key` matches its calendar key, else None."""
        doc = await self.store.get(SESSIONS, str(session_id))
        if doc is None:
            return None
        session = Session.from_doc(doc)
        if not hmac.compare_digest(key.encode("utf-8"), session.calendar_key.encode("utf-8")) or session.state is SessionStatus.CREATING:
            return None
        return calendar_file(session, self.now(), self._description(session))

    def calendar_url(self, session: Session) -> str:
        """Return the address of the session's .ics file, or '' when the bot has no public address or uses Graph."""
        if self.uses_graph or not self.settings.public_url:
            return ""
        return f"{self.settings.public_url}/sessions/{session.id}/calendar.ics?key={session.calendar_key}"

    # Helpers

    def _checked_group(self, numbers: Sequence[int]) -> list[int]:
        options = self.settings.sessions
        unique = list(dict.fromkeys(numbers))
        if len(unique) < options.min_group_size:
            raise InvalidInput(
                f"Pick at least {options.min_group_size} requests for a small group; help a single teacher one-to-one instead.",
                {"members": "Pick more requests."},
            )
        if len(unique) > options.max_group_size:
            raise InvalidInput(f"A small group has at most {options.max_group_size} requests; you picked {len(unique)}.", {"members": "Pick fewer requests."})
        return unique

    async def _require_free(self, numbers: Sequence[int]) -> None:
        for number in numbers:
            if await self.store.get(MEMBERS, str(number)) is not None:
                raise InvalidTransition(await self._taken_message([number]))

    async def _taken_message(self, numbers: Sequence[int]) -> str:
        for number in numbers:
            doc = await self.store.get(MEMBERS, str(number))
            if doc is not None:
                return f"Request #{number} is already in session {doc['session']}; take it out of this group."
        return "Another TST scheduled some of these requests at the same moment; open sessions again."

    def _busy(self, actor: Actor, action: str) -> dict[str, str]:
        return {"action": action, "since": to_iso(self.now()), "by": actor.id, "by_name": actor.name}

    def _is_busy(self, session: Session) -> bool:
        return bool(session.busy) and self.now() - from_iso(session.busy["since"]) < BUSY_TIMEOUT

    async def _lock(self, session_id: str, actor: Actor, action: str, allowed: Sequence[SessionStatus]) -> Session:
        """Mark the session busy with `action` by a conditional write; raises when it is busy or in another status."""
        for _ in range(MAX_ATTEMPTS):
            session = await self.get(session_id)
            if session.state not in allowed:
                raise InvalidTransition(f"Session {session.id} is {session.state.value}, so it cannot be changed that way.")
            if self._is_busy(session):
                raise InvalidTransition(f"{session.busy['by_name']} is changing session {session.id} right now; try again in a minute.")
            session.busy = self._busy(actor, action)
            try:
                await self.store.apply([Put(SESSIONS, session.id, session.to_doc(), session.version)])
            except VersionConflict:
                continue
            session.version += 1
            return session
        raise InvalidTransition("The session is changing too fast to update right now; please try again.")

    async def _still_locked(self, locked: Session) -> Session:
        """Re-read a session this process marked busy; raises if someone took it over after the mark went stale."""
        current = await self.get(locked.id)
        if current.version != locked.version:
            logger.error("session %s changed while %s waited for the calendar", locked.id, (locked.busy or {}).get("action"))
            raise InvalidTransition(f"Session {locked.id} was changed by someone else meanwhile; open it again and check its time.")
        current.busy = None
        return current

    async def _unlock(self, session: Session, problem: str = "") -> None:
        """Clear the busy mark after a failed calendar call, leaving everything else as it was."""
        session.busy = None
        session.problem = problem or session.problem
        try:
            await self.store.apply([Put(SESSIONS, session.id, session.to_doc(), session.version)])
        except StorageError as error:
            # The mark goes stale after BUSY_TIMEOUT, so the session is only blocked for that long.
            logger.error("session %s: clearing its busy mark failed: %s", session.id, error)
            return
        session.version += 1

    async def _forget(self, session: Session) -> None:
        """Delete a session that never got scheduled, and its reservations."""
        ops: list[Op] = [Delete(SESSIONS, session.id)]
        for attendee in session.attendees:
            doc = await self.store.get(MEMBERS, str(attendee.request))
            if doc is not None and doc.get("session") == session.id:
                ops.append(Delete(MEMBERS, str(attendee.request), doc["_version"]))
        try:
            await self.store.apply(ops)
        except StorageError as error:
            logger.error("session %s: deleting the unscheduled session failed: %s", session.id, error)

    def _release(self, session: Session) -> list[Op]:
        return [Delete(MEMBERS, str(attendee.request)) for attendee in session.invited]

    def _record(self, session: Session, now: str, actor: Actor, action: str, note: str) -> None:
        session.updated_at = now
        session.history = [*session.history, _history(now, actor, action, note)][-HISTORY_KEPT:]

    def _outbox_for(self, session: Session, kind: str, attendees: Sequence[Attendee], now: str, **fields: Any) -> list[Put]:
        """Return outbox writes of one message kind for each attendee, keyed by the session's next version."""
        return [self._outbox(session, kind, attendee.teacher_id, attendee.request, now, **fields) for attendee in attendees]

    def _organizer_notices(self, session: Session, attendees: Sequence[Attendee], response: Response, now: str) -> list[Put]:
        return [
            self._outbox(session, "session_response", session.organizer_id, attendee.request, now, teacher=attendee.teacher_name, response=response.value)
            for attendee in attendees
        ]

    def _outbox(self, session: Session, kind: str, target: str, request: int, now: str, **fields: Any) -> Put:
        seq = session.version + 1
        key = f"session-{session.id}-{seq:05d}-{kind}-{request}"
        doc = {
            "key": key, "request": request, "session": session.id, "seq": seq, "kind": kind, "target": target,
            "created_at": now, "state": "pending", "attempts": 0, **fields,
        }
        return Put("outbox", key, doc, 0)

    def _description(self, session: Session) -> str:
        return (
            f"A small-group session of the {self.settings.district_name} helpdesk, led by {session.organizer_name}.\n"
            f"Topic: {session.topic}\n"
            "Bring your questions; everyone in this group asked for help with the same thing."
        )


def _history(now: str, actor: Actor, action: str, note: str) -> dict[str, str]:
    return {"at": now, "by": actor.id, "by_name": actor.name, "action": action, "note": note}


def _checked_topic(topic: Any) -> str:
    text = topic.strip() if isinstance(topic, str) else ""
    if len(text) < 3:
        raise InvalidInput("The topic is missing; write what the session is about, e.g. 'Sharing a OneNote Class Notebook'.", {"topic": "Write a topic."})
    if len(text) > TOPIC_MAX_CHARS:
        raise InvalidInput(f"The topic is {len(text)} characters long; the limit is {TOPIC_MAX_CHARS}.", {"topic": "Shorten the topic."})
    return text


def _checked_join_url(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname or len(text) > 2000 or any(character.isspace() for character in text):
        raise InvalidInput(f"The meeting link must be an https:// address, such as a Teams meeting link, not {text[:80]!r}.", {"joinUrl": "Paste a meeting link."})
    return text


def _require_distinct_teachers(requests: Sequence[Request]) -> None:
    seen: dict[str, int] = {}
    for request in requests:
        if request.teacher_id in seen:
            raise InvalidInput(
                f"{request.teacher_name} has two requests in this group (#{seen[request.teacher_id]} and {request.reference}); "
                "keep one, and merge or resolve the other."
            )
        seen[request.teacher_id] = request.number
