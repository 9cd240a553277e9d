"""Intake: the request form, the answers shown first, and the teacher's "Did this solve it?"."""

import logging
import uuid
from typing import Any

from cards import intake_card, notice_card, suggestions_card
from dialogs.context import Services
from dialogs.knowledge_actions import note_deflection, note_request_filed
from dialogs.outcome import Outcome
from domain.actor import Actor
from domain.errors import InvalidInput
from domain.intake import parse_intake
from domain.request import Request, Status

logger = logging.getLogger(__name__)

FORM_FIELDS = ("category", "description", "scope", "school", "grade", "subject", "urgency", "preferredDates")


class IntakeDialog:
    """Opens the form, files the request, shows suggestions and records the teacher's answer."""

    def __init__(self, services: Services):
        self.services = services

    async def form(self, actor: Actor, question: str = "") -> dict[str, Any]:
        """Return a fresh intake form, pre-filled from the teacher's profile and their question."""
        prefill: dict[str, Any] = dict(await self.services.people.profile(actor.id))
        if question:
            prefill["description"] = question
            prefill["category"] = self.services.knowledge.guess_category(question) or ""
        return self._card(prefill)

    async def submit(self, actor: Actor, data: dict[str, Any]) -> Outcome:
        """Validate the form and file the request; an invalid form comes back with every problem named."""
        settings = self.services.settings
        try:
            form = parse_intake(data, settings.catalogue, settings.schools, settings.description_max_chars)
        except InvalidInput as error:
            logger.info("intake form from %s rejected: %s", actor.id, ", ".join(error.problems))
            kept = {name: data.get(name) for name in FORM_FIELDS if isinstance(data.get(name), str)}
            intake_id = data.get("intakeId") if isinstance(data.get("intakeId"), str) and data.get("intakeId") else None
            return Outcome(card=self._card(kept, problem=str(error), intake_id=intake_id))

        request = await self.services.helpdesk.open_request(actor, form)
        await note_request_filed(self.services, request)
        await self.services.people.save_profile(actor.id, school=form.school, grade=form.grade, subject=form.subject)
        return Outcome(card=self.status_card(request))

    async def accept(self, actor: Actor, number: int, article_id: str | None = None) -> Outcome:
        request = await self.services.helpdesk.accept_suggestion(actor, number, article_id)
        await note_deflection(self.services, request)
        return Outcome(card=self.status_card(request))

    async def decline(self, actor: Actor, number: int) -> Outcome:
        request = await self.services.helpdesk.decline_suggestion(actor, number)
        return Outcome(card=self.status_card(request))

    def status_card(self, request: Request) -> dict[str, Any]:
        """Return the card a teacher sees for their request at its current step."""
        state = request.state
        if state is Status.SUGGESTED:
            articles = [a for a in (self.services.article(i) for i in request.suggested_articles) if a is not None]
            return suggestions_card(request, articles, self.services.settings.catalogue)
        if state is Status.RESOLVED and request.level == 0 and request.rating is None and request.owner_id is None:
            return notice_card(
                f"Great, request {request.reference} is solved",
                "I recorded that the suggested answer solved it. Ask again any time.",
            )
        if state is Status.AWAITING_TRIAGE:
            return notice_card(
                f"Request {request.reference} is with the helpdesk team",
                "A triager will pick the right kind of help, and I will message you here when a "
                "Technology Support Teacher takes it on.",
                [("Category", self.services.settings.catalogue.name_of(request.category)), ("School", request.school)],
            )
        return notice_card(
            f"Request {request.reference}: {state.label.lower()}",
            "Type my requests to see where all your requests stand.",
        )

    def _card(self, prefill: dict[str, Any], problem: str = "", intake_id: str | None = None) -> dict[str, Any]:
        settings = self.services.settings
        return intake_card(
            settings.catalogue,
            settings.schools,
            intake_id or uuid.uuid4().hex,
            settings.description_max_chars,
            prefill,
            problem,
        )
