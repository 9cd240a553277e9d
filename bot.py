"""Builds and serves the Pedagogical Helpdesk bot: `python bot.py` serves /api/messages on HOST:PORT."""

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector.auth import AuthenticationConstants

from bots.authentication import CheckedBotFrameworkAuthentication
from bots.connector_cache import ConnectorClientCache
from bots.dedupe import InboundDedupe
from bots.helpdesk_bot import UNEXPECTED_ERROR, HelpdeskBot
from bots.logging_setup import AccessLogger, TurnLogContext, configure_logging, request_id_middleware
from bots.messenger import TeamsMessenger
from bots.retry import RetryPolicy
from bots.scheduler import build_scheduler
from bots.tenant_guard import TenantGuard
from config import ConfigError, Settings, load_settings
from dashboard import load_sso_settings, setup_dashboard
from dialogs.context import Services
from domain.people import PeopleDirectory
from escalation import Helpdesk, Ladder, RoleDirectory
from escalation.reminders import Reminders
from champions import ChampionMatcher
from graph import GraphClient, GraphNotFound, GraphRequestError
from knowledge import Article, ArticleImportError, KnowledgeBase, load_knowledge_base
from knowledge.drafts import knowledge_revision
from reports.data import load_report_data
from sessions import FileCalendar, GraphCalendar, SessionPlanner
from storage import PostgresStore, Put, StorageError, Store, TinyDBStore, VersionConflict
from storage.database_url import display_url
from visits import FileVisitCalendar, GraphVisitCalendar, VisitPlanner

logger = logging.getLogger("helpdesk")

SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
BOT = web.AppKey("bot", HelpdeskBot)
ADAPTER = web.AppKey("adapter", CloudAdapter)
RETRY_POLICY = web.AppKey("retry_policy", RetryPolicy)
OUTBOX_INTERVAL_SECONDS = 30
# At shutdown, in-flight HTTP requests get this long to finish before they are cancelled. Teams stops
# waiting for a reply after 10–15 s, so a turn that takes longer has failed for the user anyway.
SHUTDOWN_TIMEOUT_SECONDS = 15.0
# At shutdown, a running outbox delivery or scheduled job gets this long to finish; what is left stays pending.
BACKGROUND_DRAIN_SECONDS = 10.0
# After the app has stopped, worker threads get this long to end before the process exits without them.
THREAD_EXIT_SECONDS = 2.0
# Replicas starting together race to add the starter articles, and each conflict means another replica added some first.
SEED_ATTEMPTS = 3


def build_app(settings: Settings) -> web.Application:
    """Return the aiohttp application; storage opens and closes with it."""
    # Every request gets an id that its log records carry (see bots/logging_setup.py).
    app = web.Application(middlewares=[request_id_middleware])
    app[SETTINGS] = settings

    # Storage, the knowledge base and the domain services open at start-up and close at shutdown.
    app.cleanup_ctx.append(_services_context)

    # The Bot Framework adapter checks inbound tokens when app credentials are set,
    # and drops activities from other tenants when the tenant is set. It reuses
    # connector clients across turns and closes them at shutdown.
    authentication = ConnectorClientCache(CheckedBotFrameworkAuthentication(_adapter_config(settings)))
    app.on_cleanup.append(lambda _app: authentication.close())
    adapter = CloudAdapter(authentication)
    adapter.on_turn_error = _on_turn_error
    # First, so that the records of the middleware below carry the turn's activity and conversation ids.
    adapter.use(TurnLogContext())
    if settings.app_tenant_id:
        adapter.use(TenantGuard(settings.app_tenant_id))
    app[ADAPTER] = adapter

    # How proactive sends back off when Teams throttles them; tests replace it before start-up.
    app[RETRY_POLICY] = RetryPolicy()

    # Background delivery of the outbox, so notifications missed by a crash still go out.
    app.cleanup_ctx.append(_outbox_worker)

    # The daily triage digest and the service-level reminders.
    app.cleanup_ctx.append(_scheduler_context)

    app.router.add_post("/api/messages", _messages)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/sessions/{session}/calendar.ics", _session_calendar)
    app.router.add_get("/visits/{visit}/calendar.ics", _visit_calendar)

    # The leaders' dashboard tab and its report API, behind Teams single sign-on.
    setup_dashboard(app, SERVICES)
    return app


async def open_services(settings: Settings) -> Services:
    """Open storage and build the domain services; the caller closes `services.store`."""
    store = _build_store(settings)
    await store.open()
    try:
        # Read before the articles, like Services.reload_knowledge, so a publish during start-up is synced later.
        revision = await knowledge_revision(store)
        knowledge = await _load_knowledge(settings, store)
    except BaseException:
        await store.close()
        raise
    helpdesk = Helpdesk(
        store,
        settings.catalogue,
        knowledge,
        [channel.key for channel in settings.tst_channels],
        settings.suggestion_count,
    )
    ladder = Ladder(helpdesk, sorted(settings.roles.tsts))
    # Sessions get Teams meetings through Microsoft Graph when it is configured, else calendar files.
    graph = GraphClient(settings.graph) if settings.graph.enabled else None
    calendar = GraphCalendar(graph) if graph else FileCalendar()
    sessions = SessionPlanner(store, helpdesk, settings, calendar)
    # Champion introductions look up teachers' user principal names, and visits go on calendars, through the same Graph client.
    champions = ChampionMatcher(store, helpdesk, settings, principal_lookup=_principal_lookup(graph) if graph else None)
    visits = VisitPlanner(store, helpdesk, settings, GraphVisitCalendar(graph) if graph else FileVisitCalendar())
    return Services(
        settings,
        store,
        helpdesk,
        PeopleDirectory(store),
        RoleDirectory(settings.roles),
        knowledge,
        ladder,
        sessions,
        champions,
        visits,
        knowledge_revision=revision,
    )


def _principal_lookup(graph: GraphClient):
    """Return a function that finds a person's user principal name in Microsoft Graph, or None when Graph does not know them."""

    async def lookup(person_id: str) -> str | None:
        try:
            user = await graph.get_user(person_id)
        except (GraphNotFound, GraphRequestError):
            return None
        return user.get("userPrincipalName") or None

    return lookup


def _build_store(settings: Settings) -> Store:
    """Return the PostgreSQL store when a database URL is set, else the TinyDB store on the data folder."""
    if settings.database_url:
        return PostgresStore(settings.database_url)
    return TinyDBStore(settings.data_dir)


def _storage_name(settings: Settings) -> str:
    """Return where the data lives, without the database password."""
    if settings.database_url:
        return f"PostgreSQL at {display_url(settings.database_url)}"
    return f"TinyDB in {settings.data_dir}"


async def _services_context(app: web.Application):
    settings = app[SETTINGS]
    services = await open_services(settings)
    try:
        app[SERVICES] = services
        app[ADAPTER].use(InboundDedupe(services.store))
        app[BOT] = HelpdeskBot(services, TeamsMessenger(app[ADAPTER], settings.app_id, services.store, app[RETRY_POLICY]))
        if services.store.keeps_projections:
            # The first read builds the rows the store then keeps for reports (about 0.9 s over
            # 100,000 requests on a 2-core machine), so it happens here and not in a leader's first report.
            started = time.perf_counter()
            await load_report_data(services.store)
            logger.info("report rows ready in %.2f s", time.perf_counter() - started)
        logger.info("helpdesk ready: %d articles, storage: %s", len(services.knowledge.articles), _storage_name(settings))
        yield
    finally:
        await services.sessions.close()
        await services.store.close()


async def _load_knowledge(settings: Settings, store) -> KnowledgeBase:
    """Seed the stored knowledge base from the starter file once, then index what is stored."""
    seeded = load_knowledge_base(settings.knowledge_base_path)
    for attempt in range(1, SEED_ATTEMPTS + 1):
        known = {doc["id"] for doc in await store.find("articles")}
        missing = [article for article in seeded.articles if article.id not in known]
        if not missing:
            break
        try:
            await store.apply([Put("articles", article.id, article.to_dict(), 0) for article in missing])
        except VersionConflict:
            # Another bot process on the same database added some of them first; look again.
            if attempt == SEED_ATTEMPTS:
                raise
            continue
        logger.info("added %d starter articles to the knowledge base", len(missing))
        break
    docs = await store.find("articles")
    articles = [Article.from_dict({k: v for k, v in doc.items() if k != "_version"}) for doc in docs]
    return seeded.with_articles(articles)


async def _scheduler_context(app: web.Application):
    services = app[SERVICES]
    reminders = Reminders(services.store, services.ladder, app[SETTINGS])
    scheduler = build_scheduler(app[SETTINGS], reminders, app[BOT].notifier)
    scheduler.start()
    yield
    await scheduler.stop(BACKGROUND_DRAIN_SECONDS)


async def _outbox_worker(app: web.Application):
    notifier = app[BOT].notifier

    async def loop() -> None:
        # Turns start delivery themselves; this picks up what a crash or a failed send left pending.
        while True:
            notifier.kick()
            await notifier.idle()
            await asyncio.sleep(OUTBOX_INTERVAL_SECONDS)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    # A delivery under way may finish; after the timeout it is cancelled and its entry stays pending for the next start.
    try:
        await asyncio.wait_for(notifier.idle(), BACKGROUND_DRAIN_SECONDS)
    except asyncio.TimeoutError:
        logger.warning("outbox delivery still running %.0f s after shutdown began; cancelling it", BACKGROUND_DRAIN_SECONDS)
    await notifier.close()


async def _messages(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return web.json_response({"error": "the body must be a JSON activity (Content-Type: application/json)"}, status=415)
    try:
        return await request.app[ADAPTER].process(request, request.app[BOT])
    except ValueError as error:
        # Invalid JSON, or JSON that is not an activity (msrest's DeserializationError is a ValueError).
        # Errors inside the turn never get here, because the adapter hands them to _on_turn_error.
        logger.warning("rejected a malformed activity: %s", type(error).__name__)
        return web.json_response({"error": "the body is not a valid Bot Framework activity"}, status=400)


async def _visit_calendar(request: web.Request) -> web.Response:
    """Serve a booked visit's .ics file to anyone holding its link; the link's key is the visit's secret calendar key."""
    visits = request.app[SERVICES].visits
    text = await visits.calendar_text(request.match_info["visit"], request.query.get("key", "")) if visits else None
    if text is None:
        raise web.HTTPNotFound(text="No such calendar file.")
    return web.Response(
        text=text,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="visit-{request.match_info["visit"]}.ics"', "Cache-Control": "no-store"},
    )


async def _session_calendar(request: web.Request) -> web.Response:
    """Serve a session's .ics file to anyone holding its link; the link's key is the session's secret calendar key."""
    text = await request.app[SERVICES].sessions.calendar_text(request.match_info["session"], request.query.get("key", ""))
    if text is None:
        raise web.HTTPNotFound(text="No such calendar file.")
    return web.Response(
        text=text,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="session-{request.match_info["session"]}.ics"', "Cache-Control": "no-store"},
    )


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    try:
        await request.app[SERVICES].store.count("requests")
    except StorageError as error:
        return web.json_response({"status": "unavailable", "error": str(error)}, status=503)
    return web.json_response({"status": "ready"})


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    activity: Activity = context.activity
    logger.error(
        "turn failed: activity %s (%s) in conversation %s",
        activity.id, activity.type, activity.conversation.id if activity.conversation else "?",
        exc_info=error,
    )
    with contextlib.suppress(Exception):
        await context.send_activity(UNEXPECTED_ERROR)


def _adapter_config(settings: Settings) -> SimpleNamespace:
    config = SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )
    if settings.openid_metadata_url:
        # botbuilder 4.17.1 switches to its parameterized authentication when any of these is set,
        # and then needs all of them, so the rest keep the public cloud's values.
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
        config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = settings.openid_metadata_url
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
        config.TO_CHANNEL_FROM_BOT_LOGIN_URL = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
        config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        config.OAUTH_URL = AuthenticationConstants.OAUTH_URL
        config.CALLER_ID = CallerIdConstants.public_azure_channel
        config.VALIDATE_AUTHORITY = True
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Pedagogical Helpdesk bot.")
    parser.add_argument("--check-config", action="store_true", help="validate the settings and exit")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        load_sso_settings(os.environ)
        if args.check_config:
            load_knowledge_base(settings.knowledge_base_path)
    except (ConfigError, ArticleImportError) as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2

    configure_logging(settings.log_level, settings.log_format)
    if args.check_config:
        print(f"Configuration in {settings.config_path} is valid.")
        return 0

    app = build_app(settings)
    app.on_shutdown.append(_log_shutdown)
    logger.info("starting on http://%s:%d", settings.host, settings.port)
    try:
        # run_app stops on SIGINT and SIGTERM: it stops accepting connections, waits for in-flight requests,
        # then runs the cleanup above (scheduler, outbox, storage) in reverse order of set-up.
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            print=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
            access_log_class=AccessLogger,
        )
    except StorageError as error:
        print(f"Storage error: {error}", file=sys.stderr)
        return 3

    logger.info("stopped")
    _exit_without_stuck_threads(0)
    return 0


def _exit_without_stuck_threads(code: int) -> None:
    """Exit at once when worker threads outlive the app, instead of waiting for them at interpreter exit.

    botframework-connector 4.17.1 sends through msrest's requests-based sender
    in the event loop's executor threads. Cancelling a send at shutdown does
    not stop its thread, which can block in the HTTP call until msrest's
    timeout. Storage is closed by then, so exiting cannot cut a write short.
    """
    deadline = time.monotonic() + THREAD_EXIT_SECONDS
    for thread in _worker_threads():
        thread.join(max(deadline - time.monotonic(), 0))
    stuck = _worker_threads()
    if stuck:
        logger.warning("exiting with %d worker threads still blocked, most likely in connector sends", len(stuck))
        logging.shutdown()
        os._exit(code)


def _worker_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()]


async def _log_shutdown(app: web.Application) -> None:
    logger.info("shutting down: waiting up to %.0f s for in-flight requests", SHUTDOWN_TIMEOUT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
