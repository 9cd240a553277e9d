"""The Teams activity handler: turns activities into dialog calls and dialog results into replies."""

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse, ChannelAccount, Mention
from botbuilder.schema.teams import MessagingExtensionQuery, MessagingExtensionResponse

from bots.card_actions import CardAction, action_from_invoke, action_from_submit
from bots.message_extension import KnowledgeSearchExtension
from bots.messenger import TeamsMessenger, as_message, contact_of
from bots.notifier import Notifier
from cards import attachment
from dialogs.champions import CHAMPION_COMMANDS, MATCH_WORDS, ChampionsDialog, champion_verbs
from dialogs.claims import ClaimsDialog
from dialogs.context import Services
from dialogs.feedback import FeedbackDialog
from dialogs.intake import IntakeDialog
from dialogs.knowledge_actions import knowledge_verbs
from dialogs.ladder import LadderDialog
from dialogs.my_requests import MyRequestsDialog
from dialogs.outcome import Outcome
from dialogs.queue import QueueDialog
from dialogs.report import ReportDialog
from dialogs.sessions import SESSION_WORDS, SessionsDialog, session_verbs
from dialogs.staff_view import staff_card, triage_digest
from dialogs.triage import TriageDialog
from dialogs.visits import VISIT_WORDS, VisitsDialog, visit_verbs
from dialogs.welcome import WelcomeDialog
from domain.actor import Actor, Role
from domain.clock import utc_now
from domain.request import Status
from domain.errors import AlreadyClaimed, HelpdeskError, InvalidInput
from escalation.roles import UNKNOWN_NAME
from storage import StorageError

logger = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
UNEXPECTED_ERROR = "Sorry, something went wrong on my side and nothing was changed. Please try again in a minute."

NEW_REQUEST_WORDS = {"new request", "new", "request", "new ticket", "ask", "start"}
MY_REQUESTS_WORDS = {"my requests", "my request", "requests", "status", "my tickets"}
HELP_WORDS = {"help", "hi", "hello", "hey", "menu", "?", "commands"}
QUEUE_WORDS = {"queue", "open", "open requests"}
MINE_WORDS = {"mine", "my queue", "my work"}

# The place (triage or TST channel) of the request card that each staff verb acts on.
STAFF_PLACES = {
    "route": "triage", "answer": "triage", "assign": "triage", "merge": "triage", "link": "triage",
    "claim": "tst", "unclaim": "tst", "addNote": "tst", "resolve": "tst", "changeLevel": "tst", "messageTeacher": "tst",
    "draftArticle": "tst",
}


class HelpdeskBot(TeamsActivityHandler):
    def __init__(self, services: Services, messenger: TeamsMessenger | None = None):
        self.services = services
        self.messenger = messenger
        self.notifier = Notifier(services, messenger) if messenger else None
        self.welcome = WelcomeDialog(services)
        self.intake = IntakeDialog(services)
        self.my_requests = MyRequestsDialog(services)
        self.feedback = FeedbackDialog(services)
        self.queue = QueueDialog(services)
        self.report = ReportDialog(services)
        triage = TriageDialog(services)
        claims = ClaimsDialog(services)
        ladder = LadderDialog(services)
        # Verbs of buttons that need no request, then verbs that act on the request the card names.
        self.general_verbs: dict[str, Callable[[Actor, CardAction], Awaitable[Outcome]]] = {
            "newRequest": self._new_request_action,
            "myRequests": self._my_requests_action,
            "submitIntake": lambda actor, action: self.intake.submit(actor, action.data),
        }
        self.request_verbs: dict[str, Callable[[Actor, int, dict[str, Any]], Awaitable[Outcome]]] = {
            "acceptSuggestion": lambda actor, number, data: self.intake.accept(actor, number, data.get("article")),
            "declineSuggestion": lambda actor, number, data: self.intake.decline(actor, number),
            "rate": self.feedback.rate,
            "route": triage.route,
            "answer": triage.answer,
            "claim": claims.claim,
            "unclaim": claims.unclaim,
            "addNote": claims.add_note,
            "resolve": claims.resolve,
            "assign": ladder.assign,
            "changeLevel": ladder.change_level,
            "messageTeacher": ladder.message_teacher,
            "replyToTst": ladder.teacher_reply,
            "reopen": ladder.reopen,
            "merge": ladder.merge,
            "link": ladder.link,
        }
        self.general_verbs.update(knowledge_verbs(services))
        self.general_verbs.update(session_verbs(services))
        self.general_verbs.update(champion_verbs(services))
        self.general_verbs.update(visit_verbs(services))
        self.champions = ChampionsDialog(services)
        self.visits = VisitsDialog(services)
        self.sessions = SessionsDialog(services)
        self.search_extension = KnowledgeSearchExtension(services)

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not _well_formed(activity):
            logger.warning("dropped %s activity %s: no conversation or sender id, or channel data that is not an object", activity.type, activity.id)
            if activity.type == ActivityTypes.invoke:
                await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=400)))
            return
        if self.messenger and activity.service_url:
            await self.messenger.remember_connector(activity)
        await super().on_turn(turn_context)
        if self.notifier:
            self.notifier.kick()

    # Install and welcome

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        if _is_personal(turn_context.activity):
            await self._greet_once(turn_context)
        else:
            await turn_context.send_activity(MessageFactory.text(WelcomeDialog.help_text(self._actor(turn_context), True)))

    async def on_teams_members_added_dispatch(self, members_added: list[ChannelAccount], team_info, turn_context: TurnContext) -> None:
        # The SDK's version looks up each member through the connector; the greeting needs only the sender.
        await self.on_teams_members_added(members_added, team_info, turn_context)

    async def on_teams_members_added(self, members_added: list[ChannelAccount], team_info, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if _is_personal(activity) and any(member.id != bot_id for member in members_added):
            await self._greet_once(turn_context)

    async def _greet_once(self, turn_context: TurnContext) -> None:
        actor = self._actor(turn_context)
        if not turn_context.activity.from_property or not turn_context.activity.from_property.name:
            actor = replace(actor, name=await self._member_name(turn_context, actor))
        await self.services.people.remember(actor.id, actor.name, contact_of(turn_context.activity))
        if await self.services.people.claim_welcome(actor.id, actor.name):
            logger.info("welcoming %s", actor.id)
            await turn_context.send_activity(MessageFactory.attachment(attachment(self.welcome.card(actor))))

    async def _member_name(self, turn_context: TurnContext, actor: Actor) -> str:
        """Return the sender's display name from the stored profile or Teams, for activities that carry none."""
        person = await self.services.people.get(actor.id)
        if person and person.get("name") and person["name"] != UNKNOWN_NAME:
            return person["name"]
        try:
            member = await TeamsInfo.get_member(turn_context, turn_context.activity.from_property.id)
        except Exception as error:  # the member lookup is a nicety; the greeting goes out without it
            logger.info("member lookup for %s failed: %s", actor.id, type(error).__name__)
            return actor.name
        return member.name or actor.name

    # Messages

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        actor = self._actor(turn_context)
        personal = _is_personal(activity)
        if personal:
            await self.services.people.remember(actor.id, actor.name, contact_of(activity))

        try:
            action = action_from_submit(activity)
        except InvalidInput as error:
            await turn_context.send_activity(MessageFactory.text(str(error)))
            return
        if action is not None:
            outcome = await self._run(actor, action)
            await self._reply_to_submit(turn_context, outcome)
            return

        text = _command_text(turn_context)
        if not personal:
            await self._channel_message(turn_context, actor, text)
        elif text in HELP_WORDS or not text:
            await turn_context.send_activity(MessageFactory.text(WelcomeDialog.help_text(actor, False)))
        elif text in MY_REQUESTS_WORDS:
            await turn_context.send_activity(MessageFactory.attachment(attachment(await self.my_requests.card(actor))))
        elif text in NEW_REQUEST_WORDS:
            await turn_context.send_activity(MessageFactory.attachment(attachment(await self.intake.form(actor))))
        elif ReportDialog.is_command(text):
            await self._send_report(turn_context, actor, text)
        elif text in CHAMPION_COMMANDS:
            await turn_context.send_activity(MessageFactory.text(await self.champions.personal_command(actor, text)))
        elif waiting := await self._request_waiting_on(actor):
            await self._teacher_chat_reply(turn_context, actor, waiting, _question_text(turn_context))
        else:
            question = _question_text(turn_context)
            await turn_context.send_activity(
                MessageFactory.text("Let's turn that into a request. I filled in what I could; check the form and send it.")
            )
            await turn_context.send_activity(MessageFactory.attachment(attachment(await self.intake.form(actor, question))))

    async def _request_waiting_on(self, actor: Actor) -> int | None:
        """Return the number of the teacher's one request that waits on their answer, or None (none or several)."""
        waiting = [request for request in await self.services.helpdesk.requests_of(actor.id) if request.state is Status.WAITING_ON_TEACHER]
        return waiting[0].number if len(waiting) == 1 else None

    async def _teacher_chat_reply(self, turn_context: TurnContext, actor: Actor, number: int, text: str) -> None:
        """Send a teacher's chat message to the TST thread of the request that waits on their answer."""
        try:
            await self.services.ladder.teacher_reply(actor, number, text)
        except HelpdeskError as error:
            logger.info("chat reply on request %d by %s rejected: %s", number, actor.id, type(error).__name__)
            await turn_context.send_activity(MessageFactory.text(str(error)))
            return
        await turn_context.send_activity(
            MessageFactory.text(f"Sent to your Technology Support Teacher as your answer about #{number}. To ask something new, type new request.")
        )

    async def _channel_message(self, turn_context: TurnContext, actor: Actor, text: str) -> None:
        """Reply to a message that @mentions the bot in a channel: queue views, the report, or a message to a request's teacher."""
        staff = actor.has(Role.TST) or actor.has(Role.TRIAGER) or actor.has(Role.LEADER)
        if ReportDialog.is_command(text):
            await self._send_report(turn_context, actor, text)
        elif text in QUEUE_WORDS | MINE_WORDS and not staff:
            logger.info("queue view by %s rejected: not on the helpdesk team", actor.id)
            await turn_context.send_activity(MessageFactory.text("Queue views are for the helpdesk team (TSTs, triagers and leaders)."))
        elif text in QUEUE_WORDS:
            await turn_context.send_activity(MessageFactory.attachment(attachment(await self.queue.queue(_channel_id(turn_context.activity)))))
        elif text in MINE_WORDS:
            await turn_context.send_activity(MessageFactory.attachment(attachment(await self.queue.mine(actor))))
        elif text in SESSION_WORDS:
            await turn_context.send_activity(as_message(await self.sessions.channel_reply(actor)))
        elif text in MATCH_WORDS | VISIT_WORDS and (post := await self._thread_post(turn_context.activity)):
            dialog = self.champions if text in MATCH_WORDS else self.visits
            await turn_context.send_activity(as_message(await dialog.thread_reply(actor, post["request"])))
        elif text and text not in HELP_WORDS and (post := await self._thread_post(turn_context.activity)):
            await self._message_from_thread(turn_context, actor, post["request"], _question_text(turn_context))
        else:
            await turn_context.send_activity(MessageFactory.text(WelcomeDialog.help_text(actor, True)))

    async def _send_report(self, turn_context: TurnContext, actor: Actor, text: str) -> None:
        reply = await self.report.reply(actor, text)
        await turn_context.send_activity(as_message(reply))

    async def _thread_post(self, activity: Activity) -> dict[str, Any] | None:
        """Return the request post whose thread this channel message is in, or None."""
        conversation_id = activity.conversation.id if activity.conversation else ""
        if ";messageid=" not in conversation_id:
            return None
        posts = await self.services.store.find("posts", conversation_id=conversation_id)
        return posts[0] if posts else None

    async def _message_from_thread(self, turn_context: TurnContext, actor: Actor, number: int, text: str) -> None:
        """Relay a staff message written in a request's thread to the teacher; "ask ..." waits for their answer."""
        question = re.match(r"(?is)^ask\b[:\s]*(.*)$", text)
        body = question.group(1) if question else text
        try:
            await self.services.ladder.message_teacher(actor, number, body, wait_for_reply=bool(question))
        except HelpdeskError as error:
            logger.info("thread message on request %d by %s rejected: %s", number, actor.id, type(error).__name__)
            await turn_context.send_activity(MessageFactory.text(str(error)))
            return
        await turn_context.send_activity(MessageFactory.text(f"Sent to the teacher of #{number}." + (" The request now waits for their answer." if question else "")))

    # Universal Actions

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name == "composeExtension/query":
            # As for card actions below, botbuilder 4.17.1's own path would serialise the response twice.
            try:
                query = MessagingExtensionQuery.deserialize(turn_context.activity.value or {})
            except (ValueError, TypeError, AttributeError):  # msrest's DeserializationError is a ValueError
                logger.info("malformed search query in invoke %s rejected", turn_context.activity.id)
                return InvokeResponse(status=400)
            return InvokeResponse(status=200, body=await self.on_teams_messaging_extension_query(turn_context, query))
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        actor = self._actor(turn_context)
        if _is_personal(turn_context.activity):
            await self.services.people.remember(actor.id, actor.name, contact_of(turn_context.activity))
        try:
            action = action_from_invoke(turn_context.activity)
        except InvalidInput as error:
            return _invoke_message(str(error))
        outcome = await self._run(actor, action)
        if outcome.refusal and not _is_personal(turn_context.activity):
            # A refusal in a channel goes to the person who clicked only, and the shared card stays as it is.
            return _invoke_message(outcome.refusal)
        for message in outcome.messages:
            await turn_context.send_activity(as_message(message))
        if outcome.card is None:
            # A refusal in the personal chat went out as a message above, and the invoke response repeats it instead of "Done.".
            return _invoke_message(outcome.refusal or "Done.")
        # Returning the response object ourselves avoids botbuilder 4.17.1's default path,
        # which serialises it twice and fails with HTTP 500.
        return InvokeResponse(status=200, body=_CardInvokeResponse(status_code=200, type=CARD_CONTENT_TYPE, value=outcome.card))

    async def on_teams_messaging_extension_query(self, turn_context: TurnContext, query: MessagingExtensionQuery) -> MessagingExtensionResponse:
        return await self.search_extension.query(query)

    # Shared

    async def _run(self, actor: Actor, action: CardAction) -> Outcome:
        """Carry out a card action; every refusal becomes a reply, never an exception."""
        general = self.general_verbs.get(action.verb)
        for_request = self.request_verbs.get(action.verb)
        if general is None and for_request is None:
            logger.info("unknown card verb %r from %s", action.verb, actor.id)
            unknown = f"I don't know the button '{action.verb}'. It may be from an old card; type help to start again."
            return Outcome(messages=[unknown], refusal=unknown)
        try:
            if general is not None:
                return await general(actor, action)
            outcome = await for_request(actor, self._number(action), action.data)
            if action.data.get("source") == "digest" and outcome.card is not None and _sees_staff_cards(actor):
                # A click in the digest keeps the digest: it is rebuilt to show what is still waiting.
                outcome.card = await triage_digest(self.services, utc_now())
            return outcome
        except AlreadyClaimed as error:
            logger.info("claim of request %s by %s lost to %s", action.request, actor.id, error.owner_name)
            return await self._refusal(actor, action, str(error))
        except HelpdeskError as error:
            logger.info("card action %s on request %s by %s rejected: %s", action.verb, action.request, actor.id, type(error).__name__)
            return await self._refusal(actor, action, str(error))
        except StorageError:
            logger.exception("storage failed during %s on request %s by %s", action.verb, action.request, actor.id)
            return Outcome(messages=[UNEXPECTED_ERROR], refusal=UNEXPECTED_ERROR)

    async def _refusal(self, actor: Actor, action: CardAction, message: str) -> Outcome:
        """Return a refusal: the message, plus an up-to-date staff card for clients that update the card on submit."""
        refused = Outcome(messages=[message], refusal=message)
        if not _sees_staff_cards(actor):
            # Staff cards and the digest show other teachers' requests, so a forged staff button gets the message only.
            return refused
        place = STAFF_PLACES.get(action.verb)
        if action.data.get("source") == "digest":
            refused.card = await triage_digest(self.services, utc_now())
        elif place and action.request is not None:
            try:
                request = await self.services.helpdesk.get(action.request)
            except HelpdeskError:
                return refused
            refused.card = await staff_card(self.services, request, place)
        return refused

    async def _reply_to_submit(self, turn_context: TurnContext, outcome: Outcome) -> None:
        """Reply to an Action.Submit: update the clicked card when possible, then send the messages."""
        activity = turn_context.activity
        if outcome.card is not None:
            if activity.reply_to_id:
                replacement = MessageFactory.attachment(attachment(outcome.card))
                replacement.id = activity.reply_to_id
                try:
                    await turn_context.update_activity(replacement)
                except Exception:
                    logger.exception("updating card %s after a submit failed; sending it as a new message", activity.reply_to_id)
                    await turn_context.send_activity(MessageFactory.attachment(attachment(outcome.card)))
            else:
                await turn_context.send_activity(MessageFactory.attachment(attachment(outcome.card)))
        for message in outcome.messages:
            await turn_context.send_activity(as_message(message))

    async def _new_request_action(self, actor: Actor, action: CardAction) -> Outcome:
        return Outcome(messages=[await self.intake.form(actor)])

    async def _my_requests_action(self, actor: Actor, action: CardAction) -> Outcome:
        return Outcome(messages=[await self.my_requests.card(actor)])

    def _actor(self, turn_context: TurnContext) -> Actor:
        sender = turn_context.activity.from_property
        user_id = (sender.aad_object_id or sender.id) if sender else "unknown"
        return self.services.roles.actor(user_id, sender.name if sender else "")

    @staticmethod
    def _number(action: CardAction) -> int:
        if action.request is None:
            raise InvalidInput("That card does not say which request it is about; open it again from my requests.")
        return action.request


def _well_formed(activity: Activity) -> bool:
    """Return True when the activity has what every Teams activity has: a conversation, a sender and object channel data."""
    return (
        activity.conversation is not None and bool(activity.conversation.id)
        and activity.from_property is not None and bool(activity.from_property.id)
        and (activity.channel_data is None or isinstance(activity.channel_data, dict))
    )


def _sees_staff_cards(actor: Actor) -> bool:
    """Return True for the helpdesk team, whose channels show the staff cards and the digest."""
    return actor.has(Role.TST) or actor.has(Role.TRIAGER)


def _is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    return conversation is None or conversation.conversation_type in (None, "personal")


def _channel_id(activity: Activity) -> str | None:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = channel_data.get("channel") if isinstance(channel_data.get("channel"), dict) else {}
    if channel.get("id"):
        return channel["id"]
    return activity.conversation.id.split(";")[0] if activity.conversation else None


def _question_text(turn_context: TurnContext) -> str:
    return strip_bot_mention(turn_context.activity)


def strip_bot_mention(activity: Activity) -> str:
    """Return the message text without the @mentions of the bot, keeping everything else the sender wrote."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        if entity is None:  # JSON null in the entities list deserialises to None
            continue
        raw = _entity_fields(entity)
        mentioned = raw.get("mentioned") if isinstance(raw.get("mentioned"), dict) else {}
        mention_text = raw.get("text")
        if raw.get("type") == "mention" and mentioned.get("id") == bot_id and isinstance(mention_text, str) and mention_text:
            text = text.replace(mention_text, " ", 1)
    return re.sub(r"[ \t]+", " ", text).strip()


def _entity_fields(entity: Any) -> dict[str, Any]:
    """Return an entity's fields as JSON-like data, whether it is a dict, a Mention or a plain Entity.

    An activity read from HTTP has plain Entity objects that keep `mentioned`
    and `text` in `additional_properties`, while a Mention built in code has
    them as attributes.
    """
    if isinstance(entity, dict):
        return entity
    fields = {**(getattr(entity, "additional_properties", None) or {}), "type": getattr(entity, "type", None)}
    if isinstance(entity, Mention):
        mentioned = entity.mentioned
        if isinstance(mentioned, ChannelAccount):
            fields["mentioned"] = {"id": mentioned.id, "name": mentioned.name}
        elif mentioned is not None:
            fields["mentioned"] = mentioned
        if entity.text is not None:
            fields["text"] = entity.text
    return fields


def _command_text(turn_context: TurnContext) -> str:
    text = _question_text(turn_context)
    return re.sub(r"\s+", " ", text).strip().lower().rstrip(".!")


class _MessageInvokeResponse(AdaptiveCardInvokeResponse):
    """An invoke response whose value is text, which the SDK's model (value typed as object) cannot serialise."""

    _attribute_map = {**AdaptiveCardInvokeResponse._attribute_map, "value": {"key": "value", "type": "str"}}


class _CardInvokeResponse(AdaptiveCardInvokeResponse):
    """An invoke response with a card, which the SDK serialises and copies without walking the card.

    msrest serialises a value typed as object by visiting every node of the
    card, and the SDK deep-copies every activity it sends. Together they
    took about a quarter of an intake turn's time under cProfile. Here the
    card travels as an additional property, which msrest copies as it is,
    and a deep copy returns the same object, because nothing changes a card
    once it is returned.
    """

    _attribute_map = {
        "status_code": AdaptiveCardInvokeResponse._attribute_map["status_code"],
        "type": AdaptiveCardInvokeResponse._attribute_map["type"],
        "additional_properties": {"key": "", "type": "{object}"},
    }

    def __init__(self, *, status_code: int, type: str, value: dict[str, Any]):
        super().__init__(status_code=status_code, type=type, value=value)
        self.additional_properties = {"value": value}

    def __deepcopy__(self, memo: dict[int, Any]) -> "_CardInvokeResponse":
        return self


def _invoke_message(text: str) -> InvokeResponse:
    return InvokeResponse(status=200, body=_MessageInvokeResponse(status_code=200, type=MESSAGE_CONTENT_TYPE, value=text))
