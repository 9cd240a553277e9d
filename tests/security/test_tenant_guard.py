"""The tenant guard: with MicrosoftAppTenantId set, the real app drops activities from any other tenant."""

import logging

import pytest
from botbuilder.schema import ConversationAccount

from config import load_settings
from tests.conftest import REPO
from tests.factories import TEACHER, TENANT, execute, message
from tests.integration.fake_connector import FakeConnector
from tests.security.helpers import AppClient, snapshot

OTHER_TENANT = "ffffffff-0000-0000-0000-00000000dead"
SECRET_TEXT = "tenant-guard-marker: my class password is hunter2"


@pytest.fixture
async def connector():
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def app(tmp_path):
    environ = {"HELPDESK_DATA_DIR": str(tmp_path / "data"), "MicrosoftAppTenantId": TENANT}
    client = AppClient(load_settings(environ=environ, config_path=REPO / "config" / "helpdesk.yaml"))
    await client.start()
    yield client
    await client.close()


def from_tenant(activity, channel_tenant: str | None, conversation_tenant: str | None, connector: FakeConnector):
    activity.service_url = connector.url
    activity.id = "activity-from-elsewhere"
    activity.channel_data = {"tenant": {"id": channel_tenant}} if channel_tenant else {}
    activity.conversation = ConversationAccount(
        id=activity.conversation.id, conversation_type=activity.conversation.conversation_type, tenant_id=conversation_tenant
    )
    return activity


async def test_own_tenant_served(app, connector):
    status, _ = await app.post(from_tenant(message(TEACHER, "help"), TENANT, TENANT, connector))

    assert status in (200, 201)
    assert len(connector.calls) == 1


@pytest.mark.parametrize(("channel_tenant", "conversation_tenant"), [
    (OTHER_TENANT, OTHER_TENANT),
    (OTHER_TENANT, TENANT),
    (TENANT, OTHER_TENANT),
    (None, None),
    (OTHER_TENANT, None),
])
async def test_other_tenant_message_dropped(app, connector, caplog, channel_tenant, conversation_tenant):
    before = await snapshot(app.store)

    with caplog.at_level(logging.DEBUG):
        status, _ = await app.post(from_tenant(message(TEACHER, SECRET_TEXT), channel_tenant, conversation_tenant, connector))

    assert status in (200, 201)
    assert connector.calls == []
    assert await snapshot(app.store) == before
    rejections = [record.getMessage() for record in caplog.records if record.name == "bots.tenant_guard"]
    assert len(rejections) == 1
    assert "activity-from-elsewhere" in rejections[0]
    assert (channel_tenant or conversation_tenant or "(none given)") in rejections[0]
    assert not any(SECRET_TEXT in record.getMessage() for record in caplog.records)


async def test_other_tenant_invoke_forbidden(app, connector):
    before = await snapshot(app.store)

    status, _ = await app.post(from_tenant(execute(TEACHER, "submitIntake", {"intakeId": "x", "description": SECRET_TEXT}), OTHER_TENANT, OTHER_TENANT, connector))

    assert status == 403
    assert connector.calls == []
    assert await snapshot(app.store) == before

