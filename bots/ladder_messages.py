"""Delivers the outbox messages of champion matches and visits: offers, introductions, time pickers, reminders and thread notices.

Each card is built from the stored state at delivery, so a late message
shows what is true now. An offer accepted or declined meanwhile, or times
that were withdrawn, are skipped instead of sent.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bots.messenger import DeliveryError, TeamsMessenger
from cards import notice_card
from champions import OfferState
from dialogs.champions import ChampionsDialog
from dialogs.context import Services
from dialogs.visits import VisitsDialog
from domain.errors import NotFound
from domain.request import Level, Request
from visits import VisitStatus

logger = logging.getLogger(__name__)

CHAMPION_KINDS = frozenset({"champion_offer", "champion_introduction", "champion_notice", "champion_matches"})
VISIT_KINDS = frozenset({"visit_options", "visit_booked", "visit_notice", "visit_planning", "visit_reminder"})
LADDER_KINDS = CHAMPION_KINDS | VISIT_KINDS

Contact = Callable[[str], Awaitable[dict[str, Any]]]


async def deliver_ladder_message(services: Services, messenger: TeamsMessenger, entry: dict[str, Any], contact: Contact) -> None:
    """Send one champion or visit outbox entry; raises DeliveryError, permanent when retrying cannot help."""
    try:
        request = await services.helpdesk.get(entry["request"])
        if entry["kind"] in CHAMPION_KINDS:
            await _champion_message(services, messenger, entry, request, contact)
        else:
            await _visit_message(services, messenger, entry, request, contact)
    except NotFound as error:
        raise DeliveryError(f"{entry['kind']} for request {entry['request']}: {error}", permanent=True) from error


async def _champion_message(services: Services, messenger: TeamsMessenger, entry: dict[str, Any], request: Request, contact: Contact) -> None:
    if services.champions is None:
        raise DeliveryError("Technology Champions are not set up", permanent=True)
    dialog = ChampionsDialog(services)
    kind = entry["kind"]
    if kind == "champion_matches":
        if request.level != Level.CHAMPION or not request.state.is_open:
            logger.info("champion matches for request %d skipped: it left level 3", request.number)
            return
        await post_in_thread(services, messenger, request, await dialog.matches_card(request, entry.get("notice", "")))
        return
    if kind == "champion_notice":
        await post_in_thread(services, messenger, request, notice_card("Technology Champions", entry.get("text", "")))
        return
    offer = await services.champions.offer_of(entry["offer"])
    if kind == "champion_offer":
        if offer.status is not OfferState.OFFERED:
            logger.info("offer %s for request %d skipped: already %s", offer.id, request.number, offer.state)
            return
        await messenger.send_to_person(await contact(offer.champion_id), await dialog.offer_card(offer))
        return
    for_champion = entry["target"] == "champion"
    person = offer.champion_id if for_champion else offer.teacher_id
    await messenger.send_to_person(await contact(person), await dialog.introduction_card(offer, for_champion))


async def _visit_message(services: Services, messenger: TeamsMessenger, entry: dict[str, Any], request: Request, contact: Contact) -> None:
    if services.visits is None:
        raise DeliveryError("site visits are not set up", permanent=True)
    dialog = VisitsDialog(services)
    kind = entry["kind"]
    if kind == "visit_planning":
        if request.level not in (Level.SITE_VISIT, Level.IN_CLASS) or not request.state.is_open:
            logger.info("visit planning card for request %d skipped: it left levels 4 and 5", request.number)
            return
        await post_in_thread(services, messenger, request, await dialog.plan_card(request))
        return
    visit = await services.visits.get(entry["visit"])
    if kind == "visit_notice":
        card = notice_card(f"Request {request.reference}: {visit.kind_label}", entry.get("text", ""))
        if entry["target"] == "teacher":
            await messenger.send_to_person(await contact(visit.teacher_id), card)
        else:
            await post_in_thread(services, messenger, request, card)
        return
    if kind == "visit_options" and visit.state is not VisitStatus.PROPOSED:
        logger.info("visit %s: times for request %d skipped, they were %s meanwhile", visit.id, request.number, visit.state.value)
        return
    if kind in ("visit_booked", "visit_reminder") and visit.state is not VisitStatus.BOOKED:
        logger.info("visit %s: %s for request %d skipped, the visit is %s", visit.id, kind, request.number, visit.state.value)
        return
    if kind == "visit_reminder":
        text = f"Reminder: the {visit.kind_label} at {visit.school} is tomorrow, {services.visits.time_text(visit)}."
        if entry["target"] == "tst":
            await _tell_organizer(services, messenger, request, visit.organizer_id, notice_card(f"Request {request.reference}: visit tomorrow", text))
            return
        await messenger.send_to_person(await contact(visit.teacher_id), await dialog.options_card(visit, text))
        return
    await messenger.send_to_person(await contact(visit.teacher_id), await dialog.options_card(visit))


async def _tell_organizer(services: Services, messenger: TeamsMessenger, request: Request, organizer_id: str, card: dict[str, Any]) -> None:
    """Send a card to the TST's personal chat, or else post it in the request's thread."""
    person = await services.people.get(organizer_id)
    if person and person.get("contact") and not person.get("unreachable"):
        await messenger.send_to_person(person["contact"], card)
        return
    await post_in_thread(services, messenger, request, card)


async def post_in_thread(services: Services, messenger: TeamsMessenger, request: Request, card: dict[str, Any]) -> None:
    """Reply under the request's TST post (or else its triage post); without either, start a thread in its TST channel."""
    post = await services.store.get("posts", f"{request.number}:tst") or await services.store.get("posts", f"{request.number}:triage")
    if post is not None:
        await messenger.reply_in_thread(post, card)
        return
    channel = services.settings.tst_channel(request.channel or "")
    if channel is None:
        raise DeliveryError(f"request {request.number} has no channel post and no TST channel to post in", permanent=True)
    await messenger.post_to_channel(channel, card)
