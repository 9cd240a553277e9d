"""The dashboard over HTTP: who may read the report API, and what the page and its data look like."""

import csv
import io
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import build_app
from config import ConfigError
from dashboard.sso_settings import load_sso_settings
from tests.fakes.entra_sso import new_rsa_key
from tests.reports.conftest import APP_ID, LEADER_OID, RESOURCE, TENANT

# Object ids from config/helpdesk.yaml.
ADMIN_OID = "00000000-0000-0000-0000-0000000000024"
TST_OID = "00000000-0000-0000-0000-0000000000022"
TEACHER_OID = "00000000-0000-0000-0000-0000000000020"
RANGE = "from=2026-09-01&to=2026-11-01"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def get_report(dashboard, token: str | None, path: str = f"/api/report?{RANGE}"):
    return await dashboard.get(path, headers=bearer(token) if token is not None else {})


# Access rules


async def test_no_token_is_401(dashboard):
    response = await get_report(dashboard, None)

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Sign-in is required" in (await response.json())["error"]


async def test_teacher_token_is_403(dashboard, sso):
    response = await get_report(dashboard, sso.token(TEACHER_OID, "Alex Wilber"))

    assert response.status == 403
    assert "leaders" in (await response.json())["error"]


async def test_tst_token_is_403(dashboard, sso):
    response = await get_report(dashboard, sso.token(TST_OID, "Adele Vance"))

    assert response.status == 403


async def test_leader_token_is_200(dashboard, sso):
    response = await get_report(dashboard, sso.token(LEADER_OID, "Lynne Robbins"))
    body = await response.json()

    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert body["touches"]["total"] == 10
    assert body["requests"]["filed"] == 9
    assert body["chart_alt_text"].startswith("Bar chart of teacher touches")
    assert {"name": "Maple Elementary", "level": "elementary"} in body["directory"]["schools"]


async def test_admin_token_is_200(dashboard, sso):
    response = await get_report(dashboard, sso.token(ADMIN_OID, "Patti Fernandez"))

    assert response.status == 200


async def test_application_id_uri_audience_accepted(dashboard, sso):
    response = await get_report(dashboard, sso.token(LEADER_OID, audience=RESOURCE))

    assert response.status == 200


@pytest.mark.parametrize(
    ("case", "changes"),
    [
        ("expired", {"issued_at": 1_700_000_000, "lifetime": 3600}),
        ("wrong audience", {"audience": "api://other.example.org/11111111-2222-3333-4444-555555555555"}),
        ("other tenant issuer", {"issuer": "https://login.microsoftonline.com/99999999-0000-0000-0000-000000000000/v2.0"}),
        ("v1 issuer", {"issuer": f"https://sts.windows.net/{TENANT}/"}),
        ("other tenant id", {"tenant_id": "99999999-0000-0000-0000-000000000000"}),
        ("missing scope", {"scopes": "User.Read"}),
        ("missing oid", {"omit": ("oid",)}),
        ("missing expiry", {"omit": ("exp",)}),
        ("unknown key", {"key": new_rsa_key(), "key_id": "not-published"}),
        ("forged signature", {"key": new_rsa_key()}),
    ],
)
async def test_bad_token_is_401(dashboard, sso, case, changes):
    response = await get_report(dashboard, sso.token(LEADER_OID, **changes))

    assert response.status == 401, case
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", ["Basic bHlubmU6c2VjcmV0", "Bearer", "Bearer not-a-jwt"])
async def test_malformed_authorization_is_401(dashboard, header):
    response = await dashboard.get(f"/api/report?{RANGE}", headers={"Authorization": header})

    assert response.status == 401


async def test_unreachable_keys_are_503(dashboard, sso):
    sso.unavailable = True

    response = await get_report(dashboard, sso.token(LEADER_OID))

    assert response.status == 503


async def test_keys_fetched_once_for_many_requests(dashboard, sso):
    for _ in range(3):
        assert (await get_report(dashboard, sso.token(LEADER_OID))).status == 200

    assert sum(path.endswith("/keys") for path in sso.requested_paths) == 1


async def test_csv_and_png_need_a_leader(dashboard, sso):
    teacher = sso.token(TEACHER_OID)

    assert (await get_report(dashboard, None, f"/api/report.csv?{RANGE}")).status == 401
    assert (await get_report(dashboard, teacher, f"/api/report.csv?{RANGE}")).status == 403
    assert (await get_report(dashboard, None, f"/api/report.png?{RANGE}")).status == 401
    assert (await get_report(dashboard, teacher, f"/api/report.png?{RANGE}")).status == 403


async def test_unconfigured_sign_in_is_503(settings, monkeypatch):
    for variable in ("HELPDESK_SSO_TENANT_ID", "HELPDESK_SSO_APP_ID", "MicrosoftAppTenantId", "MicrosoftAppId", "HELPDESK_SSO_METADATA_URL"):
        monkeypatch.delenv(variable, raising=False)
    client = TestClient(TestServer(build_app(settings), host="127.0.0.1"))
    await client.start_server()
    try:
        response = await client.get("/api/report", headers=bearer("anything"))
    finally:
        await client.close()

    assert response.status == 503


# Data


async def test_filters_apply(dashboard, sso):
    response = await get_report(dashboard, sso.token(LEADER_OID), f"/api/report?{RANGE}&level=secondary")
    body = await response.json()

    assert body["touches"]["total"] == 4
    assert body["query"]["school_level"] == "secondary"


async def test_default_range_is_school_year(dashboard, sso):
    body = await (await get_report(dashboard, sso.token(LEADER_OID), "/api/report")).json()

    assert body["query"]["from"].endswith("-09-01")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-11-01&to=2026-09-01", "must be after the start date"),
        ("from=2026-02-30&to=2026-09-01", "is invalid"),
        (f"{RANGE}&level=college", "school level 'college' is invalid"),
        (f"{RANGE}&school=Nowhere", "is not in the school directory"),
    ],
)
async def test_bad_query_is_400(dashboard, sso, query, message):
    response = await get_report(dashboard, sso.token(LEADER_OID), f"/api/report?{query}")

    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_csv_download(dashboard, sso):
    response = await get_report(dashboard, sso.token(LEADER_OID), f"/api/report.csv?{RANGE}&school=Maple%20Elementary")
    rows = list(csv.DictReader(io.StringIO(await response.text())))

    assert response.status == 200
    assert response.content_type == "text/csv"
    assert 'filename="helpdesk-touches-2026-09-01-to-2026-11-01.csv"' in response.headers["Content-Disposition"]
    assert len(rows) == 4


async def test_png_download(dashboard, sso):
    response = await get_report(dashboard, sso.token(LEADER_OID), f"/api/report.png?{RANGE}")

    assert response.status == 200
    assert response.content_type == "image/png"
    assert (await response.read()).startswith(b"\x89PNG")


# The page


async def test_page_loads_nothing_from_other_hosts(dashboard):
    page = await dashboard.get("/dashboard")
    html = await page.text()
    script = await (await dashboard.get("/dashboard/dashboard.js")).text()
    style = await (await dashboard.get("/dashboard/dashboard.css")).text()

    assert page.status == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for text in (html, script, style):
        assert not re.search(r"(src|href)=\"(https?:)?//", text)
        assert "https://" not in text


async def test_teams_library_served_or_explained(dashboard):
    response = await dashboard.get("/dashboard/teams-js.js")

    assert response.status in (200, 404)
    if response.status == 404:
        assert "npm ci in dashboard/vendor" in await response.text()


# Settings


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HELPDESK_SSO_TENANT_ID": "common", "HELPDESK_SSO_APP_ID": APP_ID}, "the district's own tenant id"),
        ({"HELPDESK_SSO_TENANT_ID": TENANT, "HELPDESK_SSO_APP_ID": APP_ID, "HELPDESK_SSO_RESOURCE": "https://x/y"}, "api://<host>/"),
        ({"HELPDESK_SSO_TENANT_ID": TENANT, "HELPDESK_SSO_METADATA_URL": "http://login.example.org/meta"}, "plain http is accepted only"),
    ],
)
def test_bad_sso_settings_rejected(environ, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_sso_settings(environ)


def test_sso_settings_default_to_bot_registration():
    settings = load_sso_settings({"MicrosoftAppTenantId": TENANT, "MicrosoftAppId": APP_ID})

    assert settings.configured
    assert settings.audiences == (APP_ID,)
    assert settings.issuer == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert settings.metadata_url == f"https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration"
