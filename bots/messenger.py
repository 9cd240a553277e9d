"""Sends messages the bot starts itself: channel posts, card updates and personal messages."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)

from bots.retry import RetryPolicy, http_status
from cards import attachment
from config.settings import ChannelSettings
from domain.people import PeopleDirectory
from storage import Put, Store

logger = logging.getLogger(__name__)

TEAMS_CHANNEL_ID = "msteams"


class DeliveryError(Exception):
    """A message could not be delivered; `permanent` means retrying will not help.

    `status` is the Bot Connector's HTTP status, or None when there was no response.
    """

    def __init__(self, message: str, permanent: bool = False, status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


class TeamsMessenger:
    """Talks to the Bot Connector through the adapter, outside of a user's turn.

    The connector's service URL and the bot's account come from the latest
    activity Teams sent (`remember_connector`), because the bot never assumes
    a fixed service URL. Each call is retried by `retry` when Teams throttles
    it or a gateway fails (see bots/retry.py).
    NOTE: HelpdeskBot also flushes the outbox at the end of each turn, so a
    throttled send can delay that turn's HTTP response by up to the policy's
    `max_total_seconds`, longer than Teams waits for an invoke response.
    """

    def __init__(self, adapter: BotAdapter, app_id: str, store: Store, retry: RetryPolicy | None = None):
        self.adapter = adapter
        self.app_id = app_id
        self.store = store
        self.retry = retry or RetryPolicy()

    async def remember_connector(self, activity: Activity) -> None:
        """Store the service URL, bot account and tenant of an incoming activity when they changed."""
        tenant = (activity.channel_data or {}).get("tenant", {}).get("id") if isinstance(activity.channel_data, dict) else None
        values = {
            "service_url": activity.service_url,
            "bot_id": activity.recipient.id if activity.recipient else None,
            "bot_name": activity.recipient.name if activity.recipient else None,
            "tenant_id": tenant or (activity.conversation.tenant_id if activity.conversation else None),
        }
        current = await self.store.get("meta", "connector")
        if current and all(current.get(name) == value for name, value in values.items()):
            return
        await self.store.apply([Put("meta", "connector", values)])

    async def post_to_channel(self, channel: ChannelSettings, card: dict[str, Any]) -> dict[str, Any]:
        """Start a new thread in a channel with the card; return what is needed to update it later."""
        connector = await self._connector()
        parameters = ConversationParameters(
            is_group=True,
            bot=ChannelAccount(id=connector["bot_id"], name=connector.get("bot_name")),
            channel_data={"channel": {"id": channel.channel_id}, "team": {"id": channel.team_id}, "tenant": {"id": connector.get("tenant_id")}},
            activity=MessageFactory.attachment(attachment(card)),
            tenant_id=connector.get("tenant_id"),
        )
        posted: dict[str, Any] = {}

        async def capture(context: TurnContext) -> None:
            posted["conversation_id"] = context.activity.conversation.id
            posted["activity_id"] = context.activity.id

        try:
            await self.retry.call(
                lambda: self.adapter.create_conversation(
                    self.app_id, capture, parameters, TEAMS_CHANNEL_ID, connector["service_url"], None
                ),
                f"posting to channel {channel.key}",
            )
        except Exception as error:
            raise _delivery_error(error, f"posting to channel {channel.key}") from error
        conversation_id = posted["conversation_id"]
        activity_id = posted["activity_id"]
        # Teams names a new thread "<channel>;messageid=<root message id>"; the root message is the card.
        if ";messageid=" in conversation_id:
            activity_id = conversation_id.split(";messageid=", 1)[1]
        return {
            "channel": channel.key,
            "conversation_id": conversation_id,
            "activity_id": activity_id,
            "service_url": connector["service_url"],
            "bot_id": connector["bot_id"],
        }

    async def update_post(self, post: dict[str, Any], card: dict[str, Any]) -> None:
        """Replace the card of an earlier channel post."""
        reference = _thread_reference(post)

        async def update(context: TurnContext) -> None:
            activity = MessageFactory.attachment(attachment(card))
            activity.id = post["activity_id"]
            await context.update_activity(activity)

        try:
            await self.retry.call(lambda: self._continue(reference, update), f"updating post {post['activity_id']}")
        except Exception as error:
            raise _delivery_error(error, f"updating post {post['activity_id']}") from error

    async def reply_in_thread(self, post: dict[str, Any], message: str | dict[str, Any]) -> None:
        """Reply under an earlier channel post, in its thread."""
        reference = _thread_reference(post)

        async def send(context: TurnContext) -> None:
            await context.send_activity(as_message(message))

        try:
            await self.retry.call(lambda: self._continue(reference, send), f"replying under post {post['activity_id']}")
        except Exception as error:
            raise _delivery_error(error, f"replying under post {post['activity_id']}") from error

    async def send_to_person(self, contact: dict[str, Any], message: str | dict[str, Any]) -> None:
        """Send a text or an Adaptive Card to a person's personal chat with the bot.

        HTTP 403 means Teams will not deliver to this person (the bot was
        removed or blocked), so the person is marked unreachable and the
        error is permanent.
        """
        reference = ConversationReference().deserialize(contact)

        async def send(context: TurnContext) -> None:
            await context.send_activity(as_message(message))

        try:
            await self.retry.call(lambda: self._continue(reference, send), "sending a personal message")
        except Exception as error:
            delivery_error = _delivery_error(error, "sending a personal message")
            if delivery_error.status == 403:
                person_id = _person_of(contact)
                logger.warning("person %s is unreachable: Teams returned HTTP 403 to a personal message", person_id)
                await PeopleDirectory(self.store).mark_unreachable(person_id, "Teams returned HTTP 403 to a personal message")
            raise delivery_error from error

    async def _continue(self, reference: ConversationReference, action: Callable[[TurnContext], Awaitable[None]]) -> None:
        """Run `action` in the conversation and raise what it raised.

        The adapter runs `action` through its middleware and hands any error
        to `on_turn_error` instead of raising it (botbuilder 4.17.1,
        `BotAdapter.run_pipeline`), so without this a failed send would look
        delivered.
        """
        failures: list[Exception] = []

        async def run(context: TurnContext) -> None:
            try:
                await action(context)
            except Exception as error:  # re-raised below, outside the adapter's pipeline
                failures.append(error)

        await self.adapter.continue_conversation(reference, run, self.app_id)
        if failures:
            raise failures[0]

    async def _connector(self) -> dict[str, Any]:
        connector = await self.store.get("meta", "connector")
        if not connector or not connector.get("service_url"):
            raise DeliveryError("no Bot Connector service URL is known yet: the bot has not received any activity")
        return connector


def contact_of(activity: Activity) -> dict[str, Any]:
    """Return the JSON-ready conversation reference to reach the sender of a personal-chat activity.

    The reference leaves out the activity's id, which changes with every
    activity: keeping it made every turn rewrite the stored contact, and
    made later messages replies to an old activity.
    """
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    return reference.serialize()


def _thread_reference(post: dict[str, Any]) -> ConversationReference:
    return ConversationReference(
        channel_id=TEAMS_CHANNEL_ID,
        service_url=post["service_url"],
        conversation=ConversationAccount(id=post["conversation_id"], is_group=True),
        bot=ChannelAccount(id=post.get("bot_id")),
    )


def as_message(message: str | dict[str, Any]) -> Activity:
    """Wrap a text or an Adaptive Card dict as a message activity."""
    if isinstance(message, str):
        return MessageFactory.text(message)
    return MessageFactory.attachment(attachment(message))


def _delivery_error(error: Exception, doing: str) -> DeliveryError:
    """Describe a failed connector call; a client error other than a timeout or throttling is permanent."""
    status = http_status(error)
    permanent = status is not None and 400 <= status < 500 and status not in (408, 412, 429)
    return DeliveryError(f"{doing} failed ({type(error).__name__}, HTTP {status}): {error}", permanent=permanent, status=status)


def _person_of(contact: dict[str, Any]) -> str:
    """Return the people-directory id of a contact's user: the Entra ID object id, else the Teams user id."""
    user = contact.get("user") if isinstance(contact.get("user"), dict) else {}
    return user.get("aadObjectId") or user.get("id") or "unknown"

