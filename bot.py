"""Builds and serves the Pedagogical Helpdesk bot: `python bot.py` serves /api/messages on HOST:PORT."""

import argparse
import asyncio
import contextlib
import logging
import sys
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

from bots.helpdesk_bot import UNEXPECTED_ERROR, HelpdeskBot
from bots.messenger import TeamsMessenger
from bots.scheduler import build_scheduler
from config import ConfigError, Settings, load_settings
from dialogs.context import Services
from domain.people import PeopleDirectory
from escalation import Helpdesk, Ladder, RoleDirectory
from escalation.reminders import Reminders
from knowledge import Article, ArticleImportError, KnowledgeBase, load_knowledge_base
from storage import Put, StorageError, TinyDBStore

logger = logging.getLogger("helpdesk")

SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
BOT = web.AppKey("bot", HelpdeskBot)
ADAPTER = web.AppKey("adapter", CloudAdapter)
OUTBOX_INTERVAL_SECONDS = 30


def build_app(settings: Settings) -> web.Application:
    """Return the aiohttp application; storage opens and closes with it."""
    app = web.Application()
    app[SETTINGS] = settings

    # Storage, the knowledge base and the domain services open at start-up and close at shutdown.
    app.cleanup_ctx.append(_services_context)

    # The Bot Framework adapter checks inbound tokens when app credentials are set.
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_adapter_config(settings)))
    adapter.on_turn_error = _on_turn_error
    app[ADAPTER] = adapter

    # Background delivery of the outbox, so notifications missed by a crash still go out.
    app.cleanup_ctx.append(_outbox_worker)

    # The daily triage digest and the service-level reminders.
    app.cleanup_ctx.append(_scheduler_context)

    app.router.add_post("/api/messages", _messages)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    return app


async def open_services(settings: Settings) -> Services:
    """Open storage and build the domain services; the caller closes `services.store`."""
    store = TinyDBStore(settings.data_dir)
    await store.open()
    try:
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
    return Services(settings, store, helpdesk, PeopleDirectory(store), RoleDirectory(settings.roles), knowledge, ladder)


async def _services_context(app: web.Application):
    settings = app[SETTINGS]
    services = await open_services(settings)
    try:
        app[SERVICES] = services
        app[BOT] = HelpdeskBot(services, TeamsMessenger(app[ADAPTER], settings.app_id, services.store))
        logger.info("helpdesk ready: %d articles, data in %s", len(services.knowledge.articles), settings.data_dir)
        yield
    finally:
        await services.store.close()


async def _load_knowledge(settings: Settings, store) -> KnowledgeBase:
    """Seed the stored knowledge base from the starter file once, then index what is stored."""
    seeded = load_knowledge_base(settings.knowledge_base_path)
    stored = await store.find("articles")
    known = {doc["id"] for doc in stored}
    missing = [article for article in seeded.articles if article.id not in known]
    if missing:
        await store.apply([Put("articles", article.id, article.to_dict(), 0) for article in missing])
        logger.info("added %d starter articles to the knowledge base", len(missing))
    docs = await store.find("articles")
    articles = [Article.from_dict({k: v for k, v in doc.items() if k != "_version"}) for doc in docs]
    return seeded.with_articles(articles)


async def _scheduler_context(app: web.Application):
    services = app[SERVICES]
    reminders = Reminders(services.store, services.ladder, app[SETTINGS])
    scheduler = build_scheduler(app[SETTINGS], reminders, app[BOT].notifier)
    scheduler.start()
    yield
    scheduler.shutdown(wait=False)


async def _outbox_worker(app: web.Application):
    async def loop() -> None:
        while True:
            try:
                await app[BOT].notifier.flush()
            except StorageError:
                logger.exception("outbox delivery stopped by a storage error; retrying in %d s", OUTBOX_INTERVAL_SECONDS)
            await asyncio.sleep(OUTBOX_INTERVAL_SECONDS)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _messages(request: web.Request) -> web.Response:
    return await request.app[ADAPTER].process(request, request.app[BOT])


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
    return SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Pedagogical Helpdesk bot.")
    parser.add_argument("--check-config", action="store_true", help="validate the settings and exit")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.check_config:
            load_knowledge_base(settings.knowledge_base_path)
    except (ConfigError, ArticleImportError) as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.check_config:
        print(f"Configuration in {settings.config_path} is valid.")
        return 0
    try:
        web.run_app(build_app(settings), host=settings.host, port=settings.port, print=None)
    except StorageError as error:
        print(f"Storage error: {error}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
