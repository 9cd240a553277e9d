"""The integration fixtures (the real app against a fake Bot Connector on 127.0.0.1), shared with the adversarial tests."""

from tests.integration.conftest import bot_client, connector  # noqa: F401  (pytest finds fixtures by name)
