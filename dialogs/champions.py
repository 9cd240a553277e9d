"""Technology Champions in Teams: the TST's match card, the champion's offer and introduction, and champion commands.

Champions are known by the champion directory, never by card data: every
accept, decline or done checks that the person who clicked is the champion the offer was
made to. TSTs see the ranked champions in a request's thread (posted when a
level-3 request arrives, or on "champions" mentioned in the thread).
"""

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from bots.card_actions import CardAction
from cards.champion_cards import champion_introduction_card, champion_matches_card, champion_offer_card
from champions import ChampionMatcher, MatchState, Offer
from dialogs.context import Services
from dialogs.outcome import Outcome
from domain.actor import Actor, Role
from domain.errors import InvalidInput, InvalidTransition, NotAllowed
from domain.request import Request

logger = logging.getLogger(__name__)

AVAILABLE_WORDS = {"available", "i am available", "available again"}
UNAVAILABLE_WORDS = {"unavailable", "not available", "i am unavailable"}
IMPACT_WORDS = {"my impact", "impact"}
CHAMPION_COMMANDS = AVAILABLE_WORDS | UNAVAILABLE_WORDS | IMPACT_WORDS
MATCH_WORDS = {"champions", "champion", "match", "matches"}
NOT_CONFIGURED = "Technology Champions are not set up in this bot."
STAFF_ONLY = "Champion matches are chosen by the Technology Support Teachers."


class ChampionsDialog:
    def __init__(self, services: Services):
        self.services = services

    @property
    def matcher(self) -> ChampionMatcher:
        if self.services.champions is None:
            raise NotAllowed(NOT_CONFIGURED)
        return self.services.champions

    # Personal commands of champions

    async def personal_command(self, actor: Actor, text: str) -> str:
        """Reply to "available", "unavailable" or "my impact" in personal chat; anyone not in the directory gets a refusal."""
        try:
            if text in IMPACT_WORDS:
                return await self._impact_text(actor)
            available = text in AVAILABLE_WORDS
            await self.matcher.set_available(actor, available)
        except NotAllowed as error:
            logger.info("champion command by %s rejected: not in the directory", actor.id)
            return str(error)
        if available:
            return "You are available again: the helpdesk can offer you requests from colleagues. Thank you!"
        return "You are now unavailable: no new requests will be offered to you. Type **available** when you can help again."

    async def _impact_text(self, actor: Actor) -> str:
        impact = await self.matcher.impact(actor)
        if impact.touches == 0:
            helped = "You have not marked a connection done yet. Your first one will count here."
        else:
            teachers = "teacher" if impact.teachers_helped == 1 else "teachers"
            helped = f"You have helped **{impact.teachers_helped}** {teachers} ({impact.touches} champion meetings at {impact.schools} schools). Thank you!"
        month = f"This month you accepted {impact.this_month} of your {impact.capacity} matches."
        waiting = f" {impact.open_connections} connection(s) wait for you to mark them done." if impact.open_connections else ""
        return f"{helped} {month}{waiting}"

    # The TST's match card

    async def thread_reply(self, actor: Actor, number: int) -> str | dict[str, Any]:
        """Reply to "champions" mentioned in a request's thread: the match card for TSTs, a short refusal for anyone else."""
        if not actor.has(Role.TST):
            logger.info("champion matches of request %d by %s rejected: not a TST", number, actor.id)
            return STAFF_ONLY
        try:
            return await self.matches_card(await self.services.helpdesk.get(number))
        except NotAllowed as error:
            return str(error)

    async def matches_card(self, request: Request, notice: str = "") -> dict[str, Any]:
        """Build the ranked champions for the request, with its current offer or connection."""
        matcher = self.matcher
        match = await matcher.match(request.number)
        status = ""
        can_offer = request.level == 3 and request.state.is_open
        if not can_offer:
            status = f"{request.reference} is not open at level 3, so no champion can be offered."
        elif match is not None and match.status is MatchState.OFFERING and match.offer:
            offer = await matcher.offer_of(match.offer)
            status = f"Offered to {offer.champion_name}; they have until {matcher.offer_deadline(offer)} to answer."
            can_offer = False
        elif match is not None and match.status in (MatchState.CONNECTED, MatchState.DONE) and match.offer:
            offer = await matcher.offer_of(match.offer)
            status = f"Connected with {offer.champion_name}." if match.status is MatchState.CONNECTED else f"{offer.champion_name} helped and marked it done."
            can_offer = False
        ranked = (await matcher.candidates(request))[: self.services.settings.champions.matches_shown] if can_offer else []
        reachable = {candidate.champion.id for candidate in ranked if await self._reachable(candidate.champion.id)}
        settings = self.services.settings
        return champion_matches_card(request, ranked, settings.catalogue, settings.schools, reachable, status, notice, can_offer)

    async def offer(self, actor: Actor, action: CardAction) -> Outcome:
        """Offer the request to the champion the TST picked, and show the card with the offer."""
        if not actor.has(Role.TST):
            raise NotAllowed("Only a Technology Support Teacher can offer a request to a champion.")
        number = _request_number(action)
        offer = await self.matcher.offer(actor, number, action.data.get("champion"))
        notice = f"Offered to {offer.champion_name}. If they decline or do not answer in {self.services.settings.champions.offer_hours} hours, the next match gets it."
        return Outcome(card=await self.matches_card(await self.services.helpdesk.get(number), notice))

    # The champion responds

    async def accept(self, actor: Actor, action: CardAction) -> Outcome:
        offer = await self.matcher.accept(actor, _offer_id(action))
        status = f"You accepted. I sent you and {offer.teacher_name} an introduction with a link to start a chat. Thank you!"
        return Outcome(card=await self.offer_card(offer, status))

    async def decline(self, actor: Actor, action: CardAction) -> Outcome:
        offer = await self.matcher.decline(actor, _offer_id(action))
        return Outcome(card=await self.offer_card(offer, "You declined, so the request goes to another champion. Thanks for answering quickly."))

    async def done(self, actor: Actor, action: CardAction) -> Outcome:
        offer = await self.matcher.mark_done(actor, _offer_id(action), action.data.get("note"))
        status = f"Marked done: request #{offer.request} is resolved and counts as your help. Thank you!"
        return Outcome(card=await self.introduction_card(offer, for_champion=True, status=status))

    # Cards also sent by the notifier

    async def offer_card(self, offer: Offer, status: str = "") -> dict[str, Any]:
        request = await self.services.helpdesk.get(offer.request)
        return champion_offer_card(offer, request, self.services.settings.catalogue, self.matcher.offer_deadline(offer), status)

    async def introduction_card(self, offer: Offer, for_champion: bool, status: str = "") -> dict[str, Any]:
        """Build the introduction, with a link that starts a Teams chat with the other person when their address is known."""
        request = await self.services.helpdesk.get(offer.request)
        if status:
            link = ""
        elif for_champion:
            link = await self.matcher.chat_link(offer.teacher_id, "", f"Hi {offer.teacher_name}, I am your Technology Champion for request #{offer.request}.")
        else:
            link = await self.matcher.chat_link(offer.champion_id, offer.champion_upn, f"Hi {offer.champion_name}, thank you for helping with request #{offer.request}.")
        return champion_introduction_card(offer, request, self.services.settings.catalogue, for_champion, link, status)

    async def _reachable(self, person_id: str) -> bool:
        person = await self.services.people.get(person_id)
        return bool(person and person.get("contact") and not person.get("unreachable"))


def champion_verbs(services: Services) -> dict[str, Callable[[Actor, CardAction], Awaitable[Outcome]]]:
    """Return the card verbs of champion matches, for HelpdeskBot.general_verbs."""
    dialog = ChampionsDialog(services)
    return {
        "offerChampion": dialog.offer,
        "acceptChampionOffer": dialog.accept,
        "declineChampionOffer": dialog.decline,
        "championDone": dialog.done,
    }


def _request_number(action: CardAction) -> int:
    if action.request is None:
        raise InvalidInput("That card does not say which request it is about; mention me with champions in the request's thread.")
    return action.request


def _offer_id(action: CardAction) -> str:
    value = action.data.get("offer")
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d{1,12}", text):
        raise InvalidTransition("That card does not say which offer it is about; it may come from an old message.")
    return text
