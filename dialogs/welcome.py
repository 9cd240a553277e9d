"""Welcome and help: what the bot can do, shown once on install and on request."""

from typing import Any

from cards import welcome_card
from dialogs.context import Services
from domain.actor import Actor, Role

PERSONAL_HELP = (
    "**Pedagogical Helpdesk** commands:\n\n"
    "- **new request**: open the request form\n"
    "- **my requests**: see your requests, their status, level and owner\n"
    "- **help**: show this list\n\n"
    "Or just type your question, for example *How do I add a Forms quiz to an assignment?*"
)

CHANNEL_HELP = (
    "**Pedagogical Helpdesk** in this channel: new requests arrive here as cards. "
    "Triagers route them with **Route to a TST** or answer them with **Answer with an article**; "
    "TSTs use **Claim**, then add notes, message the teacher, change the level, resolve or unclaim on the same card, "
    "and can turn a resolution into a draft article that the triager publishes. "
    "Mention me with **queue** for this channel's open work or **mine** for your own, "
    "and with **report** for teacher touches and request figures. "
    "TSTs mention me with **sessions** to group level-2 requests into small-group Teams sessions. "
    "Mention me with **help** to see this again."
)


class WelcomeDialog:
    def __init__(self, services: Services):
        self.services = services

    def card(self, actor: Actor) -> dict[str, Any]:
        first_name = actor.name.split()[0] if actor.name.split() else "there"
        return welcome_card(first_name, self.services.settings.district_name)

    @staticmethod
    def help_text(actor: Actor, in_channel: bool) -> str:
        if in_channel:
            return CHANNEL_HELP
        text = PERSONAL_HELP
        if actor.has(Role.TRIAGER) or actor.has(Role.TST):
            text += "\n\nYou are also on the helpdesk team: request cards arrive in your team's channels."
        if actor.has(Role.TRIAGER) or actor.has(Role.TST) or actor.has(Role.LEADER):
            text += "\n\nType **report** for teacher touches and request figures."
        return text
