"""Fixtures for report tests: a config whose school directory and calendar are fixture.py's, and a data folder holding its documents."""

from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot import SERVICES, build_app
from config import load_settings
from storage import Put, TinyDBStore
from tests.fakes.entra_sso import FakeEntraSso
from reports.figures import compute_report
from tests.reports.fixture import DIRECTORY, EVENTS, GAPS, NAMES, QUERY, REQUESTS, TOUCHES, context, report_data

REPO = Path(__file__).resolve().parents[2]
TENANT = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"
APP_ID = "8c0e5a4e-2f1b-4a53-9d7e-1b2c3d4e5f60"
RESOURCE = f"api://helpdesk.sd43.example.org/{APP_ID}"
# Lynne Robbins, a leader in config/helpdesk.yaml.
LEADER_OID = "00000000-0000-0000-0000-0000000000025"


@pytest.fixture
def report_config(tmp_path) -> Path:
    """Write the repository's config with fixture.py's schools and the 12 October holiday; return its path."""
    config = yaml.safe_load((REPO / "config" / "helpdesk.yaml").read_text(encoding="utf-8"))
    schools = tmp_path / "schools.csv"
    lines = ["name,level,community,teachers"] + [f"{s.name},{s.level},{s.community},{s.teachers}" for s in DIRECTORY.schools]
    schools.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config["schools"] = str(schools)
    config["catalogue"] = str(REPO / "config" / "catalogue.yaml")
    config["knowledge_base"] = str(REPO / "knowledge" / "starter_articles.yaml")
    config["calendar"]["non_school_days"] = ["2026-10-12"]
    path = tmp_path / "helpdesk.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def settings(report_config, tmp_path):
    """Settings of the fixture district, replacing the repository-wide fixture for report tests."""
    return load_settings(environ={"HELPDESK_DATA_DIR": str(tmp_path / "bot-data")}, config_path=report_config)


def year_figures() -> dict:
    """Return the fixture's figures with a school year of touches at every level, as a large district has, for the chart."""
    figures = compute_report(report_data(), QUERY, context())
    months = ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]
    rows = [{"month": month, "counts": [780 + index, 650, 560, 110, 95, 60 + index]} for index, month in enumerate(months)]
    touches = {**figures["touches"], "by_month_and_level": rows, "total": sum(sum(row["counts"]) for row in rows)}
    return {**figures, "touches": touches}


def fixture_ops() -> list[Put]:
    """Return the writes that store fixture.py's documents as the helpdesk would have written them."""
    ops = [Put("requests", str(doc["number"]), doc, 0) for doc in REQUESTS]
    ops += [Put("touches", f"{doc['request']}-{doc['seq']:05d}", doc, 0) for doc in TOUCHES]
    ops += [Put("events", f"{doc['request']}-{doc['seq']:05d}", doc, 0) for doc in EVENTS]
    ops += [Put("kb_gaps", f"gap-{index}", doc, 0) for index, doc in enumerate(GAPS)]
    ops += [Put("people", person_id, {"id": person_id, "name": name}, 0) for person_id, name in NAMES.items()]
    return ops


async def write_fixture(folder: Path) -> None:
    """Store fixture.py's documents in a TinyDB data folder."""
    store = TinyDBStore(folder)
    await store.open()
    try:
        await store.apply(fixture_ops())
    finally:
        await store.close()


@pytest.fixture
async def data_folder(tmp_path) -> Path:
    folder = tmp_path / "data"
    await write_fixture(folder)
    return folder


@pytest.fixture
async def sso():
    """Start a fake Entra ID for the fixture tenant on 127.0.0.1."""
    fake = FakeEntraSso(TENANT, APP_ID)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def dashboard(settings, sso, monkeypatch):
    """Serve the real app with dashboard sign-in pointed at the fake, and fixture.py's documents stored; return its client."""
    monkeypatch.setenv("HELPDESK_SSO_TENANT_ID", TENANT)
    monkeypatch.setenv("HELPDESK_SSO_APP_ID", APP_ID)
    monkeypatch.setenv("HELPDESK_SSO_RESOURCE", RESOURCE)
    monkeypatch.setenv("HELPDESK_SSO_METADATA_URL", sso.metadata_url)
    app = build_app(settings)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    await app[SERVICES].store.apply(fixture_ops())
    yield client
    await client.close()
