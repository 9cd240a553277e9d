"""Inbound Bot Framework tokens: the real app checks each one against keys from a fake OpenID provider on 127.0.0.1."""

import logging

import jwt
import pytest

from tests.conftest import REPO
from tests.factories import TEACHER, execute
from tests.fakes.openid_provider import FakeOpenIdProvider, new_key
from tests.integration.fake_connector import FakeConnector
from tests.security.helpers import AppClient, snapshot

from bot import _adapter_config
from config import ConfigError, load_settings

APP_ID = "11111111-2222-3333-4444-555555555555"
OTHER_APP_ID = "99999999-0000-0000-0000-000000000000"
# The Bot Framework Emulator's tokens come from this Entra ID issuer (botbuilder 4.17.1, EmulatorValidation).
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
FORM = {
    "intakeId": "auth-form",
    "category": "minecraft",
    "description": "Students get a sign-in error when they open Minecraft Education on the library laptops.",
    "scope": "small_group",
    "school": "Pinetree Secondary",
    "urgency": "urgent",
}


@pytest.fixture
def provider():
    fake = FakeOpenIdProvider()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
async def connector():
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def app(tmp_path, provider):
    environ = {
        "HELPDESK_DATA_DIR": str(tmp_path / "data"),
        "MicrosoftAppId": APP_ID,
        "MicrosoftAppPassword": "not-a-real-secret",
        "HELPDESK_OPENID_METADATA_URL": provider.metadata_url,
    }
    client = AppClient(load_settings(environ=environ, config_path=REPO / "config" / "helpdesk.yaml"))
    await client.start()
    yield client
    await client.close()


def intake(connector):
    """An intake submit that gets suggestions, so the bot's reply is the HTTP response and nothing is sent outbound."""
    activity = execute(TEACHER, "submitIntake", FORM)
    activity.service_url = connector.url
    return activity


async def test_valid_token_accepted(app, provider, connector):
    token = provider.token(APP_ID, connector.url)

    status, body = await app.post(intake(connector), {"Authorization": f"Bearer {token}"})

    assert status == 200
    assert "Did this solve it?" in str(body["value"])
    assert len(await app.store.find("requests")) == 1
    assert "/v1/keys" in provider.requested_paths
    assert connector.calls == []


def bad_tokens(provider: FakeOpenIdProvider, service_url: str) -> dict[str, str | None]:
    """Return each kind of invalid Authorization header, by name; None sends no header."""
    stranger = new_key()
    unsigned = jwt.encode({"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": service_url}, key=None, algorithm="none")
    return {
        "missing": None,
        "empty": "",
        "not bearer": "Basic " + provider.token(APP_ID, service_url),
        "not a token": "Bearer not-a-jwt",
        "expired": "Bearer " + provider.token(APP_ID, service_url, lifetime_seconds=-3600),
        "wrong audience": "Bearer " + provider.token(OTHER_APP_ID, service_url),
        "wrong issuer": "Bearer " + provider.token(APP_ID, service_url, issuer="https://attacker.example"),
        "emulator token of another app": "Bearer " + provider.token(APP_ID, service_url, issuer=EMULATOR_ISSUER, ver="1.0", appid=OTHER_APP_ID),
        "bad signature": "Bearer " + provider.token(APP_ID, service_url, key=stranger),
        "unknown key id": "Bearer " + provider.token(APP_ID, service_url, key=stranger, key_id="someone-elses-key"),
        "unsigned": "Bearer " + unsigned,
        "other service url": "Bearer " + provider.token(APP_ID, "http://127.0.0.1:9/elsewhere/"),
    }


@pytest.mark.parametrize("case", [
    "missing", "empty", "not bearer", "not a token", "expired", "wrong audience", "wrong issuer",
    "emulator token of another app", "bad signature", "unknown key id", "unsigned", "other service url",
])
async def test_invalid_token_rejected(app, provider, connector, case, caplog):
    header = bad_tokens(provider, connector.url)[case]
    before = await snapshot(app.store)

    with caplog.at_level(logging.DEBUG):
        status, _ = await app.post(intake(connector), {} if header is None else {"Authorization": header})

    assert status == 401
    assert await snapshot(app.store) == before
    assert connector.calls == []
    assert not any(FORM["description"] in record.getMessage() for record in caplog.records)


async def test_channel_without_endorsement_rejected(app, provider, connector):
    activity = intake(connector)
    activity.channel_id = "webchat"
    before = await snapshot(app.store)

    status, _ = await app.post(activity, {"Authorization": "Bearer " + provider.token(APP_ID, connector.url)})

    assert status == 401
    assert await snapshot(app.store) == before


def environ_with(tmp_path, **values):
    return {"HELPDESK_DATA_DIR": str(tmp_path / "data"), "MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-a-real-secret", **values}


@pytest.mark.parametrize(("url", "production", "problem"), [
    ("ftp://127.0.0.1/keys", "0", "use the http:// or https:// address"),
    ("not a url", "0", "use the http:// or https:// address"),
    ("http://127.0.0.1:9/v1/.well-known/openidconfiguration", "1", "needs an https:// address"),
])
def test_openid_metadata_url_checked(tmp_path, url, production, problem):
    environ = environ_with(tmp_path, HELPDESK_OPENID_METADATA_URL=url, HELPDESK_PRODUCTION=production)

    with pytest.raises(ConfigError, match="HELPDESK_OPENID_METADATA_URL") as raised:
        load_settings(environ=environ, config_path=REPO / "config" / "helpdesk.yaml")
    assert problem in str(raised.value)


def test_public_cloud_used_without_metadata_url(tmp_path):
    config = _adapter_config(load_settings(environ=environ_with(tmp_path), config_path=REPO / "config" / "helpdesk.yaml"))

    assert not hasattr(config, "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL")
    assert config.APP_ID == APP_ID
