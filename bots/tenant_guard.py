"""Drops activities from other Microsoft Entra tenants than the district's."""

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from botbuilder.core import InvokeResponse, Middleware, TurnContext
from botbuilder.schema import Activity, ActivityEventNames, ActivityTypes

logger = logging.getLogger(__name__)

PROACTIVE_EVENTS = (ActivityEventNames.continue_conversation, ActivityEventNames.create_conversation)


class TenantGuard(Middleware):
    """Lets an activity through only when its tenant id is `tenant_id`.

    Teams puts the tenant in `channelData.tenant.id` and in
    `conversation.tenantId`. An activity is rejected when either names
    another tenant, or when neither names one. A rejected invoke gets HTTP 403
    as its invoke response. A rejected message gets no reply, so Teams does not retry it.
    The adapter also runs the bot's own proactive sends through its
    middleware, as events named ContinueConversation or CreateConversation,
    and those pass.
    """

    def __init__(self, tenant_id: str):
        if not tenant_id:
            raise ValueError("TenantGuard needs a tenant id")
        self.tenant_id = tenant_id.lower()

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.event and activity.name in PROACTIVE_EVENTS:
            await logic()
            return
        tenants = activity_tenants(activity)
        if tenants and all(tenant.lower() == self.tenant_id for tenant in tenants):
            await logic()
            return
        logger.warning(
            "rejected %s activity %s from tenant %s: only tenant %s is served",
            activity.type, activity.id, ", ".join(tenants) or "(none given)", self.tenant_id,
        )
        if activity.type == ActivityTypes.invoke:
            await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=HTTPStatus.FORBIDDEN)))


def activity_tenants(activity: Activity) -> list[str]:
    """Return the tenant ids an activity names, in channel data and in its conversation, without repeats."""
    found: list[str] = []
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    if isinstance(tenant, dict) and tenant.get("id") is not None:
        found.append(str(tenant["id"]))
    conversation_tenant = activity.conversation.tenant_id if activity.conversation else None
    if conversation_tenant is not None:
        found.append(str(conversation_tenant))
    return list(dict.fromkeys(found))
