"""Staff and teacher actions beyond the main path: assign, change level, converse, reopen, merge and link."""

from typing import Any

from cards import notice_card
from dialogs.context import Services
from dialogs.outcome import Outcome
from dialogs.staff_view import staff_card, tst_choices
from dialogs.triage import whole_number
from domain.actor import Actor
from domain.errors import InvalidInput


class LadderDialog:
    def __init__(self, services: Services):
        self.services = services

    async def assign(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        tst_id = data.get("tst")
        names = dict(await tst_choices(self.services))
        if not isinstance(tst_id, str) or tst_id not in names:
            raise InvalidInput("Pick a Technology Support Teacher from the list before assigning.")
        level = whole_number(data["level"], "support level") if data.get("level") not in (None, "") else None
        channel = data.get("channel") if isinstance(data.get("channel"), str) else None
        request = await self.services.ladder.assign(actor, number, tst_id, names[tst_id], level, channel)
        return Outcome(card=await staff_card(self.services, request, "triage"))

    async def change_level(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        level = whole_number(data.get("level"), "support level")
        request = await self.services.ladder.change_level(actor, number, level, data.get("reason"))
        return Outcome(card=await staff_card(self.services, request, "tst"))

    async def message_teacher(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        wait = data.get("waitForReply") in (True, "true")
        request = await self.services.ladder.message_teacher(actor, number, data.get("message"), wait_for_reply=wait)
        return Outcome(card=await staff_card(self.services, request, "tst"))

    async def teacher_reply(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        request = await self.services.ladder.teacher_reply(actor, number, data.get("reply"))
        return Outcome(card=notice_card(f"Reply sent for request {request.reference}", "Your Technology Support Teacher will see it in the helpdesk team."))

    async def reopen(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        request = await self.services.ladder.reopen(actor, number, data.get("reason"))
        return Outcome(card=notice_card(f"Request {request.reference} is open again", "It went back to the helpdesk team for triage."))

    async def merge(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        other = whole_number(data.get("other"), "other request number")
        duplicate, _ = await self.services.ladder.merge(actor, number, other)
        return Outcome(card=await staff_card(self.services, duplicate, "triage"))

    async def link(self, actor: Actor, number: int, data: dict[str, Any]) -> Outcome:
        other = whole_number(data.get("other"), "other request number")
        request, _ = await self.services.ladder.link(actor, number, other)
        return Outcome(card=await staff_card(self.services, request, "triage"))
