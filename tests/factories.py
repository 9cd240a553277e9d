"""Builders of Teams activities as Teams sends them, for dialog and integration tests."""

from typing import Any

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, Mention

TENANT = "00000000-0000-0000-0000-0000000000001"
BOT = ChannelAccount(id="28:helpdesk-bot", name="Pedagogical Helpdesk")
TEAM_ID = "19:helpdesk-team@thread.tacv2"
TST_CHANNEL_ID = "19:tst-remote@thread.tacv2"

TEACHER = ChannelAccount(id="29:alex", name="Alex Wilber", aad_object_id="00000000-0000-0000-0000-0000000000020")
TEACHER_2 = ChannelAccount(id="29:sam", name="Sam Patel", aad_object_id="00000000-0000-0000-0000-0000000000099")
TRIAGER = ChannelAccount(id="29:megan", name="Megan Bowen", aad_object_id="00000000-0000-0000-0000-0000000000021")
TST = ChannelAccount(id="29:adele", name="Adele Vance", aad_object_id="00000000-0000-0000-0000-0000000000022")
TST_2 = ChannelAccount(id="29:isaiah", name="Isaiah Langer", aad_object_id="00000000-0000-0000-0000-0000000000023")
ADMIN = ChannelAccount(id="29:patti", name="Patti Fernandez", aad_object_id="00000000-0000-0000-0000-0000000000024")


def personal(sender: ChannelAccount) -> ConversationAccount:
    return ConversationAccount(id=f"a:personal-{sender.id}", conversation_type="personal", tenant_id=TENANT)


def channel_conversation(channel_id: str) -> ConversationAccount:
    return ConversationAccount(id=channel_id, conversation_type="channel", is_group=True, tenant_id=TENANT)


def _base(sender: ChannelAccount, conversation: ConversationAccount, **fields: Any) -> Activity:
    channel_data: dict[str, Any] = {"tenant": {"id": TENANT}}
    if conversation.conversation_type == "channel":
        channel_data.update({"team": {"id": TEAM_ID}, "channel": {"id": conversation.id.split(";")[0]}})
    return Activity(
        channel_id="msteams",
        service_url="http://127.0.0.1:9/connector",
        from_property=sender,
        recipient=BOT,
        conversation=conversation,
        channel_data=channel_data,
        **fields,
    )


def message(sender: ChannelAccount, text: str, conversation: ConversationAccount | None = None) -> Activity:
    return _base(sender, conversation or personal(sender), type="message", text=text)


def mention_message(sender: ChannelAccount, text: str, conversation: ConversationAccount) -> Activity:
    """A channel message that @mentions the bot before `text`.

    The entity is a Mention, because `Activity.serialize()` keeps its
    `mentioned` and `text` fields, so the mention also reaches the bot in HTTP
    tests. A plain Entity would lose them.
    """
    mention_text = f"<at>{BOT.name}</at>"
    activity = _base(sender, conversation, type="message", text=f"{mention_text} {text}")
    activity.entities = [Mention(mentioned=ChannelAccount(id=BOT.id, name=BOT.name), text=mention_text, type="mention")]
    return activity


def submit(sender: ChannelAccount, value: dict[str, Any], conversation: ConversationAccount | None = None, reply_to_id: str | None = None) -> Activity:
    """An Action.Submit click: a message whose value is the card data merged with the inputs."""
    return _base(sender, conversation or personal(sender), type="message", value=value, reply_to_id=reply_to_id)


def execute(sender: ChannelAccount, verb: str, data: dict[str, Any], conversation: ConversationAccount | None = None) -> Activity:
    """An Action.Execute click: an adaptiveCard/action invoke."""
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}}, "trigger": "manual"}
    return _base(sender, conversation or personal(sender), type="invoke", name="adaptiveCard/action", value=value)


def installed(sender: ChannelAccount) -> Activity:
    return _base(sender, personal(sender), type="installationUpdate", action="add")


def members_added(sender: ChannelAccount, *members: ChannelAccount) -> Activity:
    return _base(sender, personal(sender), type="conversationUpdate", members_added=list(members))
