"""The reference bots of the turn benchmark: the stock echo bot and a raw aiohttp echo.

`build_echo_app` is botbuilder-python's echo sample as it ships: a
`CloudAdapter` with `ConfigurationBotFrameworkAuthentication` and an
`ActivityHandler` that sends the text back. With `cached_connectors` it
differs only by wrapping the authentication in `ConnectorClientCache`.

`build_raw_app` is the floor: plain aiohttp that reads the activity and
posts the same reply to the connector with one shared client session, with
no Bot Framework code at all.
"""

from types import SimpleNamespace

from aiohttp import ClientSession, web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bots.connector_cache import ConnectorClientCache

NO_CREDENTIALS = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
SESSION = web.AppKey("session", ClientSession)


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


def build_echo_app(cached_connectors: bool = False) -> web.Application:
    """Return the echo sample's aiohttp app, optionally with connector clients reused across turns."""
    authentication = ConfigurationBotFrameworkAuthentication(NO_CREDENTIALS)
    if cached_connectors:
        authentication = ConnectorClientCache(authentication)
    adapter = CloudAdapter(authentication)
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    if cached_connectors:
        app.on_cleanup.append(lambda _app: authentication.close())
    return app


def build_raw_app() -> web.Application:
    """Return an aiohttp app that replies to a message by posting the echo reply to its service URL."""

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        reply = {
            "type": "message",
            "text": f"Echo: {activity.get('text')}",
            "from": activity.get("recipient"),
            "recipient": activity.get("from"),
            "conversation": activity.get("conversation"),
            "replyToId": activity.get("id"),
        }
        service_url = activity["serviceUrl"].rstrip("/")
        conversation_id = activity["conversation"]["id"]
        url = f"{service_url}/v3/conversations/{conversation_id}/activities/{activity.get('id')}"
        async with request.app[SESSION].post(url, json=reply) as response:
            await response.read()
        return web.Response(status=201)

    async def session_context(app: web.Application):
        async with ClientSession() as session:
            app[SESSION] = session
            yield

    app = web.Application()
    app.cleanup_ctx.append(session_context)
    app.router.add_post("/api/messages", messages)
    return app
