"""Client for the internal HTTP interface and websockets of the Microsoft 365 Agents Playground.

The Playground's HTTP interface is internal to its page, so the request shapes
below were read from the bundled JavaScript of @microsoft/m365agentsplayground
0.2.28 (the version pinned in node/package.json) and checked by running it:

- `GET /_internal/v1/config` returns {"config": {...}}: `currentUser`,
  `users`, `personalChat`, `groupChats[]`, `teams[]` (the first channel of a
  team is General, whose id is the team id) and `bot`.
- `POST /_conversation/v1/conversations/{id}/messages` with
  {"from": {"id"}, "text", "textFormat": "plain", "mentions"?: [{"mentioned":
  {"id", "name"}, "text": "<at>NAME</at>"}]} sends a message as the page does.
  The bot receives it from `currentUser` whatever the `from.id`, which must
  only be a member of the conversation. Outside the personal chat the
  bot receives it only when it is mentioned. Posting to a channel id starts a
  thread: the response is {"messageId", "postConversationId", "timestamp"} and
  the bot replies in `postConversationId` ("CHANNEL;messageid=N").
- `POST /_conversation/v1/submit` with {"conversation": {"id"}, "from":
  {"id"}, "replyToId": CARD_MESSAGE_ID, "value": {...}} sends an
  Action.Submit as a message whose `value` is the card data, from that user.
- `POST /_conversation/v1/invoke` with {"name": "adaptiveCard/action",
  "conversation": {"id"}, "from": {"id"}, "replyToId": CARD_MESSAGE_ID,
  "value": {"action": {"type": "Action.Execute", "verb", "data"}, "trigger":
  "manual"}} sends an Action.Execute invoke from that user and returns the
  bot's invoke response body ({"type", "value"}). The Playground stores a card
  in that response as the new version of the card message.
- submit and invoke accept only users who are members of the conversation:
  the personal chat has `currentUser` alone, the group chat and the team have
  their configured members plus `currentUser`.
- `GET /_internal/v1/customActivities/template?conversationId=ID[&type=install]`
  returns an activity skeleton for that conversation, and
  `POST /_internal/v1/customActivities` forwards any activity to the bot as it
  is, with any `from`. That is how another user writes in the personal chat.
  The bot's replies go to the conversation named in the activity, which must
  exist in the Playground.
- The websocket `/_ws_conversation/v1/conversations/stream` sends
  {"action": "createMessage" | "updateMessage" | "typing",
  "actionConversationId", "message": {"messageId", "text", "attachments", ...}}
  for every bot message in a conversation that `currentUser` belongs to.
  Messages sent before the first client connects are replayed to it.
- The websocket `/_ws/log/stream` sends {"logAction": "appendLog", "log":
  {...}} for every request between the Playground and the bot, with
  `"from": "User Application"` on what the bot sent, including messages to
  personal chats of other users that no page shows.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


class PlaygroundError(RuntimeError):
    """A request to the Playground failed, or what was waited for did not arrive in time."""


@dataclass(frozen=True)
class PlaygroundUser:
    id: str
    name: str
    aad_object_id: str

    def account(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}


@dataclass(frozen=True)
class BotMessage:
    """A bot message as the page receives it on the conversation websocket.

    conversation_id is the chat, or the channel thread ("CHANNEL;messageid=N")
    that the message is in, which is what submit and invoke requests need.
    """

    action: str
    conversation_id: str
    message_id: str
    text: str
    attachments: list[dict[str, Any]]
    raw: dict[str, Any]

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [item["content"] for item in self.attachments if item.get("contentType") == ADAPTIVE_CARD]

    def contains(self, text: str) -> bool:
        """Return True when text is in the message text or in the JSON of one of its attachments."""
        if text in self.text:
            return True
        return any(text in json.dumps(item.get("content"), ensure_ascii=False) for item in self.attachments)


@dataclass(frozen=True)
class LoggedRequest:
    """A request between the Playground and the bot, from the log websocket.

    from_bot is True for what the bot sent to the Playground's Bot Connector and
    False for activities the Playground sent to the bot.
    """

    from_bot: bool
    name: str
    conversation_id: str | None
    body: dict[str, Any]
    status_code: int | None
    response: Any

    @property
    def text(self) -> str:
        return self.body.get("text") or ""

    def contains(self, text: str) -> bool:
        """Return True when text is in the JSON of the request body, cards included."""
        return text in json.dumps(self.body, ensure_ascii=False)


@dataclass
class _Events:
    messages: list[BotMessage] = field(default_factory=list)
    requests: list[LoggedRequest] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)


class PlaygroundClient:
    """Synchronous client for the Playground's internal HTTP interface and websockets.

    A background thread keeps both websockets open from `start()` to `close()`
    and records what the bot sends; tests read it with the wait_for_* methods.
    """

    def __init__(self, base_url: str, request_timeout: float = 20.0):
        self.base_url = base_url.rstrip("/")
        self.request_timeout = request_timeout
        self._events = _Events()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._connected = threading.Event()
        self._stream_error: BaseException | None = None
        self._config: dict[str, Any] | None = None

    # --- lifecycle -------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Open the websockets and wait until both are connected."""
        self._thread = threading.Thread(target=self._run_streams, name="playground-streams", daemon=True)
        self._thread.start()
        if not self._connected.wait(timeout):
            raise PlaygroundError(f"timed out after {timeout:.0f} s connecting to the Playground websockets")
        if self._stream_error is not None:
            raise PlaygroundError(f"connecting to the Playground websockets failed: {self._stream_error!r}")

    def close(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def _run_streams(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._collect())
        except BaseException as error:  # reported by start() or the wait_for_* methods
            self._stream_error = error
            self._connected.set()
        finally:
            self._loop.close()

    async def _collect(self) -> None:
        self._stop = asyncio.Event()
        ws_base = "ws" + self.base_url[len("http") :]
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{ws_base}/_ws_conversation/v1/conversations/stream") as conversations:
                async with session.ws_connect(f"{ws_base}/_ws/log/stream") as logs:
                    self._connected.set()
                    readers = [
                        asyncio.ensure_future(self._read(conversations, self._record_message)),
                        asyncio.ensure_future(self._read(logs, self._record_log)),
                    ]
                    stopper = asyncio.ensure_future(self._stop.wait())
                    done, _ = await asyncio.wait([stopper, *readers], return_when=asyncio.FIRST_COMPLETED)
                    for task in [stopper, *readers]:
                        task.cancel()
                    if stopper not in done:
                        raise PlaygroundError("the Playground closed a websocket")

    async def _read(self, socket_, record: Callable[[dict[str, Any]], None]) -> None:
        async for frame in socket_:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            record(json.loads(frame.data))

    def _record_message(self, event: dict[str, Any]) -> None:
        if event.get("action") not in ("createMessage", "updateMessage"):
            return
        message = event.get("message") or {}
        # A bot message that starts a channel post names the channel as
        # actionConversationId and the new thread as postConversationId.
        entry = BotMessage(
            action=event["action"],
            conversation_id=message.get("postConversationId") or event.get("actionConversationId", ""),
            message_id=str(message.get("messageId", "")),
            text=message.get("text") or "",
            attachments=message.get("attachments") or [],
            raw=event,
        )
        with self._events.condition:
            self._events.messages.append(entry)
            self._events.condition.notify_all()

    def _record_log(self, event: dict[str, Any]) -> None:
        log = event.get("log") or {}
        request = log.get("request")
        if event.get("logAction") != "appendLog" or not isinstance(request, dict):
            return  # a plain text line of the log panel
        response = log.get("response") or {}
        entry = LoggedRequest(
            from_bot=log.get("from") == "User Application",
            name=log.get("activityName", ""),
            conversation_id=log.get("conversationId"),
            body=request.get("body") or {},
            status_code=response.get("statusCode"),
            response=response.get("body"),
        )
        with self._events.condition:
            self._events.requests.append(entry)
            self._events.condition.notify_all()

    # --- configuration ---------------------------------------------------

    def config(self) -> dict[str, Any]:
        """Return the Playground configuration; the first call waits until the Playground reaches the bot."""
        if self._config is None:
            self._config = self._request("GET", "/_internal/v1/config")["config"]
        return self._config

    @property
    def bot(self) -> PlaygroundUser:
        bot = self.config()["bot"]
        return PlaygroundUser(bot["id"], bot["name"], "")

    @property
    def current_user(self) -> PlaygroundUser:
        return self._user_from_config(self.config()["currentUser"])

    @property
    def users(self) -> list[PlaygroundUser]:
        """Return every configured user, `currentUser` first."""
        return [self.current_user, *(self._user_from_config(user) for user in self.config()["users"])]

    def user(self, key: str) -> PlaygroundUser:
        """Return the user whose id, name or aadObjectId is key."""
        for candidate in self.users:
            if key in (candidate.id, candidate.name, candidate.aad_object_id):
                return candidate
        raise KeyError(f"no Playground user with id, name or aadObjectId {key!r}")

    @property
    def personal_chat_id(self) -> str:
        return self.config()["personalChat"]["id"]

    @property
    def group_chat_id(self) -> str:
        return self.config()["groupChats"][0]["id"]

    @property
    def team(self) -> dict[str, Any]:
        return self.config()["teams"][0]

    @property
    def general_channel_id(self) -> str:
        """Return the General channel's id, which is the team id."""
        return self.team["id"]

    def channel_id(self, name: str) -> str:
        """Return the id of the team channel called name."""
        for channel in self.team["channels"]:
            if channel["name"] == name:
                return channel["id"]
        raise KeyError(f"no channel named {name!r} in team {self.team['name']!r}")

    @staticmethod
    def _user_from_config(user: dict[str, Any]) -> PlaygroundUser:
        return PlaygroundUser(user["id"], user["name"], user["aadObjectId"])

    # --- acting as users -------------------------------------------------

    def send_message(self, conversation_id: str, text: str, mention_bot: bool | None = None) -> dict[str, Any]:
        """Send text from `currentUser` as the page does and return the Playground's response.

        mention_bot defaults to True outside the personal chat, where the bot only
        receives messages that mention it. In a channel this starts a thread, and
        the response's `postConversationId` is where the bot replies.
        """
        if mention_bot is None:
            mention_bot = conversation_id != self.personal_chat_id
        body: dict[str, Any] = {"from": {"id": self.current_user.id}, "text": text, "textFormat": "plain"}
        if mention_bot:
            mention_text = f"<at>{self.bot.name}</at>"
            body["text"] = f"{mention_text} {text}"
            body["mentions"] = [{"mentioned": {"id": self.bot.id, "name": self.bot.name}, "text": mention_text}]
        path = f"/_conversation/v1/conversations/{urllib.parse.quote(conversation_id, safe='')}/messages"
        return self._request("POST", path, body)

    def send_message_as(
        self,
        user: PlaygroundUser | str,
        conversation_id: str,
        text: str = "",
        mention_bot: bool | None = None,
        value: dict[str, Any] | None = None,
        reply_to_id: str | None = None,
    ) -> dict[str, Any]:
        """Send a message activity from any configured user to the bot and return the activity.

        The Playground forwards it without checking membership, so this is how
        another user writes in the personal chat. value makes it an
        Action.Submit of a card whose message id is reply_to_id.
        """
        user = self._resolve_user(user)
        if mention_bot is None:
            mention_bot = conversation_id != self.personal_chat_id and value is None
        activity = self.custom_activity_template(conversation_id)
        activity.update(
            {
                "type": "message",
                "from": user.account(),
                "text": text,
                "textFormat": "plain",
                "locale": "en-US",
                "channelData": self._channel_data(conversation_id),
                "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"}],
            }
        )
        if mention_bot:
            mention_text = f"<at>{self.bot.name}</at>"
            activity["text"] = f"{mention_text} {text}".strip()
            activity["entities"].append(
                {"type": "mention", "mentioned": {"id": self.bot.id, "name": self.bot.name}, "text": mention_text}
            )
        if value is not None:
            activity["value"] = value
            activity["channelData"]["source"] = {"name": "message"}
        if reply_to_id is not None:
            activity["replyToId"] = reply_to_id
        self.send_custom_activity(activity)
        return activity

    def submit_card(
        self, message: BotMessage, value: dict[str, Any], user: PlaygroundUser | str | None = None
    ) -> None:
        """Send an Action.Submit of message's card with value (the action data merged with the inputs).

        Users the Playground accepts in that conversation go through its submit
        API; others (anyone but `currentUser` in the personal chat) through a
        custom activity.
        """
        user = self._resolve_user(user) if user is not None else self.current_user
        if not self._is_member(user, message.conversation_id):
            self.send_message_as(user, message.conversation_id, value=value, reply_to_id=message.message_id)
            return
        body = {
            "conversation": {"id": message.conversation_id},
            "from": {"id": user.id},
            "replyToId": message.message_id,
            "value": value,
        }
        self._request("POST", "/_conversation/v1/submit", body)

    def execute_card_action(
        self,
        message: BotMessage,
        verb: str,
        data: dict[str, Any] | None = None,
        user: PlaygroundUser | str | None = None,
    ) -> Any:
        """Send an Action.Execute (invoke `adaptiveCard/action`) on message's card and return the invoke response.

        For a user the Playground does not accept in that conversation the invoke
        goes as a custom activity, and the response is read from the log
        websocket. Its body is then the bot's raw invoke response body, which has
        `statusCode` next to `type` and `value`.
        """
        user = self._resolve_user(user) if user is not None else self.current_user
        value = {"action": {"type": "Action.Execute", "verb": verb, "data": data or {}}, "trigger": "manual"}
        if not self._is_member(user, message.conversation_id):
            cursor = self.request_cursor()
            activity = self.custom_activity_template(message.conversation_id)
            activity.update(
                {
                    "type": "invoke",
                    "name": "adaptiveCard/action",
                    "from": user.account(),
                    "replyToId": message.message_id,
                    "value": value,
                    "channelData": {**self._channel_data(message.conversation_id), "source": {"name": "message"}},
                    "locale": "en-US",
                }
            )
            self.send_custom_activity(activity)
            logged = self._wait_for(
                self._events.requests,
                cursor,
                lambda request: not request.from_bot and request.body.get("id") == activity["id"],
                self.request_timeout,
                f"the invoke response to activity {activity['id']}",
            )
            return logged.response
        body = {
            "name": "adaptiveCard/action",
            "conversation": {"id": message.conversation_id},
            "from": {"id": user.id},
            "replyToId": message.message_id,
            "value": value,
        }
        return self._request("POST", "/_conversation/v1/invoke", body)

    def custom_activity_template(self, conversation_id: str, kind: str | None = None) -> dict[str, Any]:
        """Return the Playground's activity skeleton for a conversation that exists in the Playground.

        kind is one of the Playground's templates, for example "install",
        "uninstall", "botAdded", "userAdded", "channelCreated"; None gives a bare
        activity whose `type` the caller sets.
        """
        query = {"conversationId": conversation_id}
        if kind is not None:
            query["type"] = kind
        return self._request("GET", "/_internal/v1/customActivities/template?" + urllib.parse.urlencode(query))

    def send_custom_activity(self, activity: dict[str, Any]) -> None:
        """Forward activity to the bot unchanged; the Playground responds before the bot has replied."""
        self._request("POST", "/_internal/v1/customActivities", activity)

    def install_for(self, user: PlaygroundUser | str, conversation_id: str) -> dict[str, Any]:
        """Send the `installationUpdate` (add) that Teams sends when user installs the app, and return it."""
        activity = self.custom_activity_template(conversation_id, "install")
        activity["from"] = self._resolve_user(user).account()
        self.send_custom_activity(activity)
        return activity

    def _resolve_user(self, user: PlaygroundUser | str) -> PlaygroundUser:
        return user if isinstance(user, PlaygroundUser) else self.user(user)

    def _is_member(self, user: PlaygroundUser, conversation_id: str) -> bool:
        if user.id == self.current_user.id:
            return True
        parent_id = conversation_id.split(";messageid=")[0]
        if parent_id == self.personal_chat_id:
            return False
        for chat in self.config()["groupChats"]:
            if chat["id"] == parent_id:
                return user.id in chat["members"]
        return user.id in self.team["members"]

    def _channel_data(self, conversation_id: str) -> dict[str, Any]:
        data: dict[str, Any] = {"tenant": {"id": self.config()["tenantId"]}}
        channel_id = conversation_id.split(";messageid=")[0]
        if any(channel["id"] == channel_id for channel in self.team["channels"]):
            data["team"] = {"id": self.team["id"], "name": self.team["name"], "aadGroupId": self.team["aadGroupId"]}
            data["channel"] = {"id": channel_id}
            data["teamsTeamId"] = self.team["id"]
            data["teamsChannelId"] = channel_id
        return data

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.request_timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise PlaygroundError(f"{method} {path} failed with HTTP {error.code}: {detail}") from error
        return json.loads(payload) if payload.strip() else None

    # --- reading what the bot sent ---------------------------------------

    def cursor(self) -> int:
        """Return a position in the recorded bot messages; pass it as `after` to wait for newer ones."""
        with self._events.condition:
            return len(self._events.messages)

    def request_cursor(self) -> int:
        """Return a position in the recorded requests, for `after` of wait_for_bot_request and wait_for_reply."""
        with self._events.condition:
            return len(self._events.requests)

    def messages(self, after: int = 0) -> list[BotMessage]:
        with self._events.condition:
            return list(self._events.messages[after:])

    def bot_requests(self, after: int = 0) -> list[LoggedRequest]:
        """Return what the bot sent to the Playground after the request cursor `after`."""
        with self._events.condition:
            return [entry for entry in self._events.requests[after:] if entry.from_bot]

    def wait_for_message(
        self,
        contains: str | None = None,
        conversation_id: str | None = None,
        after: int = 0,
        timeout: float = 10.0,
        predicate: Callable[[BotMessage], bool] | None = None,
    ) -> BotMessage:
        """Return the first bot message after `after` that matches every given filter.

        conversation_id matches a chat or channel id exactly, and a channel id
        also matches the channel's threads ("CHANNEL;messageid=N").
        """

        def matches(message: BotMessage) -> bool:
            if contains is not None and not message.contains(contains):
                return False
            if conversation_id is not None and not _in_conversation(message.conversation_id, conversation_id):
                return False
            return predicate is None or predicate(message)

        return self._wait_for(self._events.messages, after, matches, timeout, f"a bot message containing {contains!r}")

    def wait_for_bot_request(
        self,
        contains: str | None = None,
        conversation_id: str | None = None,
        after: int = 0,
        timeout: float = 10.0,
        predicate: Callable[[LoggedRequest], bool] | None = None,
    ) -> LoggedRequest:
        """Return the first request the bot sent after `after` that matches every given filter.

        Unlike wait_for_message this also records messages to conversations the page
        does not show, such as another user's personal chat. contains is looked
        for in the JSON of the request body, cards included.
        """

        def matches(request: LoggedRequest) -> bool:
            if not request.from_bot:
                return False
            if contains is not None and not request.contains(contains):
                return False
            if conversation_id is not None and not _in_conversation(request.conversation_id or "", conversation_id):
                return False
            return predicate is None or predicate(request)

        return self._wait_for(self._events.requests, after, matches, timeout, f"a bot request containing {contains!r}")

    def wait_for_reply(self, sent_text: str, after: int = 0, timeout: float = 10.0) -> LoggedRequest:
        """Return the bot's first message that replies to the message activity whose text was sent_text.

        A leading mention of the bot is ignored. The reply is matched by its
        replyToId, so a welcome or notification sent meanwhile is never taken
        for it. after is a request cursor taken before sending.
        """
        mention = f"<at>{self.bot.name}</at>"

        def is_sent_message(request: LoggedRequest) -> bool:
            if request.from_bot or request.body.get("type") != "message":
                return False
            return request.text.replace(mention, "").strip() == sent_text

        sent = self._wait_for(self._events.requests, after, is_sent_message, timeout, f"the message {sent_text!r}")
        sent_id = sent.body.get("id")
        return self.wait_for_bot_request(
            after=after,
            timeout=timeout,
            predicate=lambda request: request.body.get("type") == "message" and request.body.get("replyToId") == sent_id,
        )

    def wait_for_invoke(self, verb: str, after: int = 0, timeout: float = 10.0) -> LoggedRequest:
        """Return the first `adaptiveCard/action` invoke with this verb sent to the bot after the request cursor `after`.

        This is how a test reads what the bot returned for a button clicked in
        the page: `response` is the bot's invoke response body as logged
        ({"statusCode", "type", "value"}).
        """

        def matches(request: LoggedRequest) -> bool:
            if request.from_bot or request.body.get("type") != "invoke":
                return False
            if request.body.get("name") != "adaptiveCard/action":
                return False
            action = (request.body.get("value") or {}).get("action") or {}
            return action.get("verb") == verb and request.response is not None

        return self._wait_for(self._events.requests, after, matches, timeout, f"an invoke with verb {verb!r}")

    def _wait_for(self, entries: list, after: int, matches: Callable, timeout: float, description: str):
        deadline = time.monotonic() + timeout
        with self._events.condition:
            while True:
                for entry in entries[after:]:
                    if matches(entry):
                        return entry
                if self._stream_error is not None:
                    raise PlaygroundError(f"the Playground websockets failed: {self._stream_error!r}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [getattr(entry, "text", "")[:120] for entry in entries[after:]]
                    raise PlaygroundError(f"timed out after {timeout:.0f} s waiting for {description}; seen: {seen}")
                self._events.condition.wait(remaining)


def _in_conversation(actual: str, expected: str) -> bool:
    return actual == expected or actual.startswith(expected + ";messageid=")
