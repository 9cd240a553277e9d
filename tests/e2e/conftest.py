"""Fixtures for the end-to-end tests: one bot, one Playground and a browser driver per test session."""

from __future__ import annotations

from typing import Iterator

import pytest

from .harness import ARTIFACTS_DIR, E2EEnvironment, install_e2e_dependencies, running_environment


@pytest.fixture(scope="session")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EEnvironment]:
    """Install what is missing, start the bot and the Playground, and stop both after the session."""
    install_e2e_dependencies()
    with running_environment(tmp_path_factory.mktemp("e2e"), ARTIFACTS_DIR) as environment:
        yield environment
