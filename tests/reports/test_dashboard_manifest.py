"""The dashboard tab in the Teams app manifest: a personal tab on the bot's host, with SSO for the app."""

from pathlib import Path

import pytest

from manifest.package import PackageOptions, build_package

SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "teams-manifest" / "v1.22" / "MicrosoftTeams.schema.json"
APP_ID = "8c0e5a4e-2f1b-4a53-9d7e-1b2c3d4e5f60"
HOST = "helpdesk.sd43.example.org"


@pytest.fixture
def manifest():
    if not SCHEMA.is_file():
        pytest.skip(f"Teams manifest schema not found at {SCHEMA}")
    options = PackageOptions(
        app_id=APP_ID,
        host=HOST,
        developer_name="School District 43",
        website_url="https://www.example.org/helpdesk",
        privacy_url="https://www.example.org/privacy",
        terms_url="https://www.example.org/terms",
        schema_path=SCHEMA,
    )
    return build_package(options).manifest


def test_dashboard_is_personal_tab(manifest):
    [tab] = manifest["staticTabs"]

    assert tab["entityId"] == "dashboard"
    assert tab["contentUrl"] == f"https://{HOST}/dashboard"
    assert tab["scopes"] == ["personal"]


def test_sso_resource_is_application_id_uri(manifest):
    assert manifest["webApplicationInfo"] == {"id": APP_ID, "resource": f"api://{HOST}/{APP_ID}"}
