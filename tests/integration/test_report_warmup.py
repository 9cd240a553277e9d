"""The TinyDB store's report rows are built at start-up, before the first report."""

import logging

from aiohttp.test_utils import TestClient, TestServer

from bot import SERVICES, build_app
from reports.data import TOUCH_FIELDS


async def test_startup_builds_report_rows(settings, caplog):
    client = TestClient(TestServer(build_app(settings), host="127.0.0.1"))
    with caplog.at_level(logging.INFO, logger="helpdesk"):
        await client.start_server()
    try:
        store = client.app[SERVICES].store
        kept_before = len(store._projections._kept)
        await store.project("touches", TOUCH_FIELDS)
        kept_after = len(store._projections._kept)
    finally:
        await client.close()

    assert "report rows ready" in caplog.text
    assert kept_before > 0
    assert kept_after == kept_before
