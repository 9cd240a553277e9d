"""Technology Champion matches (support level 3): ranking, offers, answers, lapsed offers, introductions and recognition.

A request has at most one open offer at a time, kept in its match document.
Every change to an offer or a match is written in the same atomic batch as
the request's history event and the outbox entries that tell people about
it, each conditional on the versions it read. So a champion's answer and a
lapsed offer cannot both win, and a timed job running in several bot
processes passes an offer on once.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from champions.champion import Champion
from champions.directory import ChampionDirectory
from champions.matching import NO_FIT, Candidate, rank_champions
from champions.offer import COUNTED, MATCHES, OFFERS, Match, MatchState, Offer, OfferState
from config.settings import Settings
from domain.actor import Actor, Role
from domain.clock import from_iso, load_zone, to_iso, utc_now
from domain.errors import HelpdeskError, InvalidInput, InvalidTransition, NotAllowed, NotFound
from domain.request import Level, Request, Status
from escalation.champion_ladder import ChampionLadder, require_champion_work
from escalation.helpdesk import Helpdesk, _checked_note
from escalation.ladder import SYSTEM
from escalation.visit_ladder import require_owner_or_free
from storage import Op, Put, Store, VersionConflict

logger = logging.getLogger(__name__)

CHAT_LINK = "https://teams.microsoft.com/l/chat/0/0"
NOT_A_CHAMPION = "Only Technology Champions can do that. If you are one, ask the helpdesk admin to add you to the champion directory."
# An unowned level-3 request in one of these states has just arrived, so its TST thread gets the ranked champions.
FRESH_ARRIVALS = (Status.ROUTED, Status.ESCALATED)

# Looks up a person's user principal name by Entra ID object id; returns None when unknown.
PrincipalLookup = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class Impact:
    """A champion's record: distinct teachers helped, touches, schools, and this month's load."""

    teachers_helped: int
    touches: int
    schools: int
    this_month: int
    capacity: int
    open_connections: int


class ChampionMatcher:
    """Carries out every champion action, checking roles on the server; champions are known by the directory.

    `now` returns the current UTC time; tests replace it to let offers lapse.
    """

    def __init__(
        self,
        store: Store,
        helpdesk: Helpdesk,
        settings: Settings,
        now: Callable[[], datetime] = utc_now,
        principal_lookup: PrincipalLookup | None = None,
    ):
        self.store = store
        self.helpdesk = helpdesk
        self.settings = settings
        self.now = now
        self.directory = ChampionDirectory(store)
        self.ladder = ChampionLadder(helpdesk)
        self._principal_lookup = principal_lookup

    # Reading

    async def match(self, number: int) -> Match | None:
        doc = await self.store.get(MATCHES, str(number))
        return Match.from_doc(doc) if doc else None

    async def offer_of(self, offer_id: str) -> Offer:
        doc = await self.store.get(OFFERS, str(offer_id))
        if doc is None:
            raise NotFound(f"Offer {offer_id} was not found; it may come from an old card.")
        return Offer.from_doc(doc)

    async def candidates(self, request: Request, excluded_ids: set[str] | frozenset[str] = frozenset()) -> list[Candidate]:
        """Return the champions who could take the request now, best first (see champions.matching)."""
        return rank_champions(
            request.category,
            request.school,
            await self.directory.all(),
            await self.loads(),
            self.settings.schools,
            {request.teacher_id, *excluded_ids},
        )

    async def loads(self) -> dict[str, int]:
        """Return each champion's accepted matches in the current local month."""
        zone = load_zone(self.settings.timezone)
        month = self.now().astimezone(zone).strftime("%Y-%m")
        counts: dict[str, int] = {}
        for doc in await self.store.find(OFFERS):
            accepted = doc.get("answered_at")
            if doc.get("state") in COUNTED and accepted and from_iso(accepted).astimezone(zone).strftime("%Y-%m") == month:
                counts[doc["champion_id"]] = counts.get(doc["champion_id"], 0) + 1
        return counts

    async def require_champion(self, actor: Actor) -> Champion:
        champion = await self.directory.get(actor.id)
        if champion is None:
            raise NotAllowed(NOT_A_CHAMPION)
        return champion

    # The TST offers

    async def offer(self, actor: Actor, number: int, champion_id: Any) -> Offer:
        """Offer the request to a champion from its current ranking; the champion gets an Accept/Decline card."""
        Helpdesk._require_role(actor, Role.TST, "offer a request to a Technology Champion")
        if not isinstance(champion_id, str) or not champion_id.strip():
            raise InvalidInput("Pick a champion from the list before offering.")
        request = await self.helpdesk.get(number)
        require_champion_work(request)
        require_owner_or_free(actor, request)
        current = await self.match(number)
        if current is not None and current.status is MatchState.OFFERING:
            waiting = await self.offer_of(current.offer or "")
            raise InvalidTransition(
                f"{request.reference} is offered to {waiting.champion_name} until {self._local(waiting.expires_at)}; "
                "wait for their answer, which passes it on if they decline."
            )
        if current is not None and current.status is MatchState.CONNECTED and not await self._reopened_since(number, current.updated_at):
            raise InvalidTransition(f"A champion already accepted {request.reference}.")
        candidates = await self.candidates(request)
        chosen = next((candidate for candidate in candidates if candidate.champion.id == champion_id), None)
        if chosen is None:
            raise InvalidInput("That champion cannot take this request now (unavailable, at capacity or not a champion). Pick another from the list.")

        offer_id = str(await self.store.next_number(OFFERS))
        note = f"Offered to Technology Champion {chosen.champion.name} ({chosen.champion.school})."

        async def match_ops(now: str) -> list[Op]:
            match = await self.match(number)
            if match is not None and match.version != (current.version if current else 0):
                raise InvalidTransition(f"Someone else offered {request.reference} at the same moment; open the matches again.")
            version = match.version if match else 0
            fresh = Match(number, MatchState.OFFERING.value, offer_id, [chosen.champion.id], actor.id, actor.name, now)
            offer = self._new_offer(offer_id, request, chosen.champion, actor.id, now)
            return [
                Put(OFFERS, offer.id, offer.to_doc(), 0),
                Put(MATCHES, str(number), fresh.to_doc(), version),
                self._outbox("champion_offer", "champion", number, offer.id, now),
            ]

        await self.ladder.offer(actor, number, note, match_ops)
        logger.info("request %d offered to champion %s by %s as offer %s", number, chosen.champion.id, actor.id, offer_id)
        return await self.offer_of(offer_id)

    # The champion responds

    async def accept(self, actor: Actor, offer_id: str) -> Offer:
        """Accept an offer: the teacher and the champion are introduced, and the connection is recorded."""
        offer = await self._own_offer(actor, offer_id)
        self._require_open(offer)

        async def match_ops(now: str) -> list[Op]:
            current, match = await self._open_offer_and_match(offer.id)
            current.state = OfferState.ACCEPTED.value
            current.answered_at = now
            match.state = MatchState.CONNECTED.value
            match.updated_at = now
            text = f"{current.champion_name} accepted request #{current.request} and was introduced to {current.teacher_name}."
            return [
                Put(OFFERS, current.id, current.to_doc(), current.version),
                Put(MATCHES, str(match.request), match.to_doc(), match.version),
                self._outbox("champion_introduction", "teacher", current.request, current.id, now),
                self._outbox("champion_introduction", "champion", current.request, current.id, now),
                self._outbox("champion_notice", "tst", current.request, current.id, now, step="accepted", text=text),
            ]

        await self.ladder.record(actor, offer.request, "champion_accepted", f"{offer.champion_name} accepted.", match_ops)
        logger.info("champion %s accepted offer %s for request %d", actor.id, offer.id, offer.request)
        return await self.offer_of(offer.id)

    async def decline(self, actor: Actor, offer_id: str) -> Offer:
        """Decline an offer; it passes to the next match, or back to the TST when nobody else fits."""
        offer = await self._own_offer(actor, offer_id)
        self._require_open(offer)
        await self._pass_on(actor, offer, OfferState.DECLINED)
        return await self.offer_of(offer.id)

    async def mark_done(self, actor: Actor, offer_id: str, note: Any = "") -> Offer:
        """Resolve the request because the champion helped; the teacher touch names the champion."""
        note = _checked_note(note, required=False, what="note")
        offer = await self._own_offer(actor, offer_id)
        if offer.status is OfferState.DONE:
            raise InvalidTransition(f"You already marked request #{offer.request} done. Thank you!")
        if offer.status is not OfferState.ACCEPTED:
            raise InvalidTransition(f"Request #{offer.request} is not connected to you, so it cannot be marked done.")
        resolution = f"{offer.champion_name} helped as a Technology Champion." + (f" {note}" if note else "")

        async def match_ops(now: str) -> list[Op]:
            current = await self.offer_of(offer.id)
            match = await self.match(current.request)
            if current.status is not OfferState.ACCEPTED or match is None or match.offer != current.id:
                raise InvalidTransition(f"Request #{current.request} changed meanwhile; it is no longer connected to you.")
            current.state = OfferState.DONE.value
            current.done_at = now
            match.state = MatchState.DONE.value
            match.updated_at = now
            text = f"{current.champion_name} marked request #{current.request} done, so it is resolved."
            return [
                Put(OFFERS, current.id, current.to_doc(), current.version),
                Put(MATCHES, str(match.request), match.to_doc(), match.version),
                self._outbox("champion_notice", "tst", current.request, current.id, now, step="done", text=text),
            ]

        await self.ladder.resolve(actor, offer.request, resolution, match_ops)
        logger.info("champion %s marked request %d done", actor.id, offer.request)
        return await self.offer_of(offer.id)

    # Timed jobs

    async def expire_due(self) -> int:
        """Pass on every offer that got no response in time; return how many were passed on."""
        now = self.now()
        passed = 0
        for doc in await self.store.find(OFFERS, state=OfferState.OFFERED.value):
            offer = Offer.from_doc(doc)
            if from_iso(offer.expires_at) > now:
                continue
            try:
                await self._pass_on(SYSTEM, offer, OfferState.EXPIRED, claim_key=f"champion-offer-timeout:{offer.id}")
            except HelpdeskError as error:
                logger.info("lapsed offer %s for request %d skipped: %s", offer.id, offer.request, type(error).__name__)
                continue
            passed += 1
        if passed:
            logger.info("champion offers: %d lapsed offers passed on", passed)
        return passed

    async def prompt_new(self) -> int:
        """Post the ranked champions in the TST thread of each level-3 request that just arrived; return how many."""
        now = to_iso(self.now())
        posted = 0
        for doc in await self.store.find("requests", level=Level.CHAMPION.value):
            request = Request.from_doc(doc)
            if request.state not in FRESH_ARRIVALS or request.owner_id or not request.queued_at:
                continue
            match = await self.match(request.number)
            if match is not None and match.status in (MatchState.OFFERING, MatchState.CONNECTED):
                continue
            key = f"champion-prompt:{request.number}:{request.queued_at}"
            entry = self._outbox("champion_matches", "tst", request.number, key, now)
            try:
                await self.store.apply([Put("jobs", key, {"ran_at": now}, 0), entry])
            except VersionConflict:
                continue
            posted += 1
        return posted

    # Champions themselves

    async def set_available(self, actor: Actor, available: bool) -> Champion:
        try:
            return await self.directory.set_available(actor.id, available)
        except NotFound as error:
            raise NotAllowed(NOT_A_CHAMPION) from error

    async def impact(self, actor: Actor) -> Impact:
        """Return what the champion has done: teachers helped (one count per teacher), touches, schools and load."""
        champion = await self.require_champion(actor)
        touches = [doc for doc in await self.store.find("touches", by_id=champion.id) if doc.get("kind") == "champion"]
        connected = [doc for doc in await self.store.find(OFFERS, champion_id=champion.id) if doc.get("state") == OfferState.ACCEPTED.value]
        return Impact(
            teachers_helped=len({doc["teacher_id"] for doc in touches}),
            touches=len(touches),
            schools=len({doc["school"] for doc in touches}),
            this_month=(await self.loads()).get(champion.id, 0),
            capacity=champion.monthly_capacity,
            open_connections=len(connected),
        )

    async def chat_link(self, person_id: str, upn: str, message: str) -> str:
        """Return a Teams link that starts a 1:1 chat with the person, or '' when their user principal name is unknown.

        Teams chat links take user principal names only, so a teacher's is
        looked up through Microsoft Graph when it is set up.
        """
        address = upn
        if not address and self._principal_lookup is not None:
            try:
                address = await self._principal_lookup(person_id) or ""
            except HelpdeskError as error:
                logger.info("user principal name of %s not found: %s", person_id, type(error).__name__)
        if not address:
            return ""
        return f"{CHAT_LINK}?users={quote(address, safe='@')}&message={quote(message, safe='')}"

    def offer_deadline(self, offer: Offer) -> str:
        return self._local(offer.expires_at)

    # Helpers

    async def _own_offer(self, actor: Actor, offer_id: str) -> Offer:
        await self.require_champion(actor)
        offer = await self.offer_of(offer_id)
        if offer.champion_id != actor.id:
            raise NotAllowed("This offer was made to another champion, so only they can accept or decline it.")
        return offer

    def _require_open(self, offer: Offer) -> None:
        if offer.status is not OfferState.OFFERED:
            raise InvalidTransition(ANSWERED.get(offer.status, "This offer was already accepted or declined."))
        if from_iso(offer.expires_at) <= self.now():
            raise InvalidTransition(f"This offer lapsed at {self._local(offer.expires_at)} and goes to another champion. Thank you anyway!")

    async def _open_offer_and_match(self, offer_id: str) -> tuple[Offer, Match]:
        """Re-read an offer that must still be open and its match; raises when either moved on."""
        offer = await self.offer_of(offer_id)
        self._require_open(offer)
        match = await self.match(offer.request)
        if match is None or match.offer != offer.id or match.status is not MatchState.OFFERING:
            raise InvalidTransition(f"Request #{offer.request} was withdrawn from this offer meanwhile.")
        return offer, match

    async def _pass_on(self, actor: Actor, offer: Offer, outcome: OfferState, claim_key: str | None = None) -> None:
        """Close an open offer as declined or lapsed, and offer the request to the next match or return it to the TST."""
        request = await self.helpdesk.get(offer.request)
        match = await self.match(offer.request)
        tried = set(match.tried) if match else set()
        still_needed = True
        try:
            require_champion_work(request)
        except InvalidTransition:
            still_needed = False
        following = None
        if still_needed:
            following = next((item for item in await self.candidates(request, tried) if item.fit > NO_FIT), None)
        next_id = str(await self.store.next_number(OFFERS)) if following else None
        reason = "declined" if outcome is OfferState.DECLINED else f"did not respond within {self.settings.champions.offer_hours} hours"
        if following:
            note = f"{offer.champion_name} {reason}. Offered to {following.champion.name} ({following.champion.school})."
        else:
            note = f"{offer.champion_name} {reason}. No other champion fits and is free, so the request is back with the TST."

        async def match_ops(now: str) -> list[Op]:
            if outcome is OfferState.EXPIRED:
                current = await self.offer_of(offer.id)
                match = await self.match(current.request)
                if current.status is not OfferState.OFFERED or match is None or match.offer != current.id:
                    raise InvalidTransition(f"Offer {offer.id} was accepted or declined meanwhile.")
            else:
                current, match = await self._open_offer_and_match(offer.id)
            current.state = outcome.value
            current.answered_at = now
            match.updated_at = now
            ops: list[Op] = [Put(OFFERS, current.id, current.to_doc(), current.version)]
            if following is not None and next_id is not None:
                fresh = self._new_offer(next_id, request, following.champion, SYSTEM.id, now)
                match.offer = next_id
                match.tried = [*match.tried, following.champion.id]
                ops += [Put(OFFERS, next_id, fresh.to_doc(), 0), self._outbox("champion_offer", "champion", current.request, next_id, now)]
                ops.append(self._outbox("champion_notice", "tst", current.request, current.id, now, step="passed", text=f"Request #{current.request}: {note}"))
            else:
                match.state = MatchState.RETURNED.value
                match.offer = None
                if still_needed:
                    ops.append(self._outbox("champion_matches", "tst", current.request, current.id, now, notice=note))
            ops.append(Put(MATCHES, str(match.request), match.to_doc(), match.version))
            if claim_key:
                ops.append(Put("jobs", claim_key, {"ran_at": now}, 0))
            return ops

        event_type = "champion_declined" if outcome is OfferState.DECLINED else "champion_offer_expired"
        if still_needed:
            await self.ladder.record(actor, offer.request, event_type, note, match_ops)
        else:
            await self._apply_alone(match_ops)
        logger.info("offer %s for request %d %s; next offer %s", offer.id, offer.request, outcome.value, next_id or "none")

    async def _reopened_since(self, number: int, since: str) -> bool:
        """Return True when the request was reopened after `since`, so an older connection no longer applies."""
        return any(event.type == "reopened" and event.at > since for event in await self.helpdesk.history(number))

    async def _apply_alone(self, match_ops) -> None:
        """Write match changes for a request that moved on, without touching the request."""
        for _ in range(8):
            try:
                await self.store.apply(list(await match_ops(to_iso(self.now()))))
            except VersionConflict:
                continue
            return
        raise InvalidTransition("The match is changing too fast to update right now; please try again.")

    def _new_offer(self, offer_id: str, request: Request, champion: Champion, offered_by: str, now: str) -> Offer:
        # The deadline follows this matcher's clock, which also decides when an offer has lapsed.
        expires = self.now() + timedelta(hours=self.settings.champions.offer_hours)
        return Offer(
            id=offer_id,
            request=request.number,
            champion_id=champion.id,
            champion_name=champion.name,
            champion_upn=champion.upn,
            teacher_id=request.teacher_id,
            teacher_name=request.teacher_name,
            school=request.school,
            category=request.category,
            offered_by=offered_by,
            offered_at=now,
            expires_at=to_iso(expires),
        )

    @staticmethod
    def _outbox(kind: str, target: str, number: int, reference: str, now: str, step: str = "", **fields: Any) -> Put:
        """Return an outbox entry keyed by the offer (or job claim) and the step, so each message is queued once."""
        key = f"champion-{reference}-{step or kind}-{target}"
        doc = {
            "key": key, "request": number, "seq": 0, "kind": kind, "target": target, "offer": reference,
            "created_at": now, "state": "pending", "attempts": 0, **fields,
        }
        return Put("outbox", key, doc, 0)

    def _local(self, text: str) -> str:
        return from_iso(text).astimezone(load_zone(self.settings.timezone)).strftime("%a %b %-d, %-I:%M %p")


ANSWERED = {
    OfferState.ACCEPTED: "You already accepted this offer. Thank you!",
    OfferState.DONE: "You already helped with this request. Thank you!",
    OfferState.DECLINED: "You declined this offer, so it went to another champion.",
    OfferState.EXPIRED: "This offer lapsed and went to another champion. Thank you anyway!",
}
