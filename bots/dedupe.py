"""Runs each inbound message and invoke once, however often it arrives.

Teams sends an activity again when the bot responds slowly, and with several
bot processes behind one endpoint two of them may receive the same activity.
Before the bot sees an activity, this middleware claims its id with a
conditional write to the `inbound` collection, keyed by channel,
conversation and activity id. Only the process whose write succeeds runs it.
A repeated message is dropped. A repeated invoke gets the response stored
by the first run, or a short "still working" answer while the first run
has not finished.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, Middleware, TurnContext
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.schema import Activity, ActivityTypes
from msrest.serialization import Model

from domain.clock import from_iso, to_iso, utc_now
from storage import Delete, Put, Store, VersionConflict

logger = logging.getLogger(__name__)

INBOUND = "inbound"
RETENTION = timedelta(days=1)
# A claim not marked done after this long belongs to a run that was killed: Teams waits
# about 15 seconds for a reply and then gives up, so no live run takes this long.
ABANDONED_AFTER = timedelta(minutes=2)
DEDUPED_TYPES = (ActivityTypes.message, ActivityTypes.invoke)
STILL_WORKING = "That click is already being handled. If the card does not change, open it again in a minute."
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"


class InboundDedupe(Middleware):
    """Claims each inbound message and invoke by id, so one bot process runs it, or another once that run failed.

    A repeated invoke waits up to `wait_seconds` for the first run's response,
    checking every `poll_seconds`, because Teams shows only the response to
    the last delivery.
    """

    def __init__(
        self,
        store: Store,
        now: Callable[[], datetime] = utc_now,
        wait_seconds: float = 3.0,
        poll_seconds: float = 0.25,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.store = store
        self.now = now
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.sleep = sleep

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        activity = context.activity
        if activity.type not in DEDUPED_TYPES or not activity.id:
            await logic()
            return

        key = inbound_key(activity)
        if not await self._claim(key, activity.type):
            logger.info("skipped repeated %s activity %s in conversation %s", activity.type, activity.id, _conversation_id(activity))
            if activity.type == ActivityTypes.invoke:
                await self._answer_repeat(context, key)
            return

        invoke_responses: list[Activity] = []

        async def record_invoke_response(turn: TurnContext, activities: list[Activity], send: Callable[[], Awaitable]) -> Any:
            invoke_responses.extend(item for item in activities if item.type == ActivityTypes.invoke_response)
            return await send()

        context.on_send_activities(record_invoke_response)
        try:
            await logic()
        except BaseException:
            # The run failed, so a later delivery of the same activity must be able to run it again.
            await self.store.apply([Delete(INBOUND, key)])
            raise
        await self._finish(key, invoke_responses[-1] if invoke_responses else None)

    async def _claim(self, key: str, activity_type: str) -> bool:
        """Claim the activity; return False when another run has it, unless that run died without finishing."""
        claim = {"key": key, "at": to_iso(self.now()), "type": activity_type, "done": False}
        try:
            await self.store.apply([Put(INBOUND, key, claim, 0)])
            return True
        except VersionConflict:
            pass
        existing = await self.store.get(INBOUND, key)
        if existing is None or existing.get("done", True) or self.now() - from_iso(existing["at"]) < ABANDONED_AFTER:
            return False
        # The run that claimed it was killed mid-turn, so Teams' redelivery runs the turn again.
        try:
            await self.store.apply([Put(INBOUND, key, claim, existing["_version"])])
        except VersionConflict:
            return False
        logger.info("taking over activity %s, abandoned by a run that did not finish", key)
        return True

    async def _finish(self, key: str, sent: Activity | None) -> None:
        """Mark the run done and keep an invoke's response, for repeats of the same activity."""
        response = sent.value if sent is not None else None
        claim = await self.store.get(INBOUND, key)
        if claim is None:
            return
        version = claim.pop("_version")
        claim["done"] = True
        if isinstance(response, InvokeResponse):
            claim["response"] = {"status": response.status, "body": serializer_helper(response.body)}
        try:
            await self.store.apply([Put(INBOUND, key, claim, version)])
        except VersionConflict:
            logger.info("completion of %s was not recorded: the claim changed", key)

    async def _answer_repeat(self, context: TurnContext, key: str) -> None:
        waited = 0.0
        while True:
            claim = await self.store.get(INBOUND, key) or {}
            if "response" in claim:
                stored = claim["response"]
                response = InvokeResponse(status=stored["status"], body=StoredBody(stored["body"]))
                break
            if waited >= self.wait_seconds:
                body = {"statusCode": HTTPStatus.OK, "type": MESSAGE_CONTENT_TYPE, "value": STILL_WORKING}
                response = InvokeResponse(status=HTTPStatus.OK, body=StoredBody(body))
                break
            await self.sleep(self.poll_seconds)
            waited += self.poll_seconds
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))


class StoredBody(Model):
    """An invoke response body kept as JSON, which the adapter can serialise again (it takes msrest models only)."""

    _attribute_map = {"additional_properties": {"key": "", "type": "{object}"}}

    def __init__(self, body: dict[str, Any]):
        super().__init__()
        self.additional_properties = body


def inbound_key(activity: Activity) -> str:
    """Return the `inbound` key of an activity: channel, conversation and activity id."""
    return f"{activity.channel_id}|{_conversation_id(activity)}|{activity.id}"


async def purge_inbound(store: Store, now: datetime) -> int:
    """Delete the claims older than RETENTION in one batch; return how many were deleted.

    Teams repeats an activity within minutes, so a day is plenty.
    """
    cutoff = to_iso(now - RETENTION)
    expired = [doc["key"] for doc in await store.find(INBOUND) if doc.get("at", "") < cutoff]
    await store.apply([Delete(INBOUND, key) for key in expired])
    if expired:
        logger.info("purged %d inbound activity claims older than %s", len(expired), cutoff)
    return len(expired)


def _conversation_id(activity: Activity) -> str:
    return activity.conversation.id if activity.conversation else ""
