"""Fixtures: services with sessions through the fake Graph or with calendar files, on a fixed clock."""

from datetime import datetime, timezone

import pytest

from bot import open_services
from config import load_settings
from tests.conftest import REPO
from tests.graph.conftest import RecordedSleep, fake_graph, graph_certificate, graph_environ  # noqa: F401 (fixtures)
from tests.sessions.helpers import PEOPLE_WITH_MAIL, TST_ID

# The planner's clock: a Tuesday afternoon in Vancouver, before the sessions the tests book in January 2027.
NOW = datetime(2026, 12, 1, 21, 0, tzinfo=timezone.utc)


class Clock:
    """A settable clock for the planner."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
async def graph_services(tmp_path, fake_graph, clock):
    """Services whose sessions create Teams meetings through the fake Graph."""
    settings = load_settings(environ={"HELPDESK_DATA_DIR": str(tmp_path / "data"), **graph_environ(fake_graph)}, config_path=REPO / "config" / "helpdesk.yaml")
    services = await open_services(settings)
    for user_id, (name, mail) in PEOPLE_WITH_MAIL.items():
        fake_graph.add_user(user_id, name, mail)
    services.sessions.now = clock
    services.sessions.calendar.graph.sleep = RecordedSleep()
    yield services
    await services.sessions.close()
    await services.store.close()


@pytest.fixture
async def file_services(services, clock):
    """The default services, without Graph: sessions get calendar files."""
    assert not services.sessions.uses_graph
    services.sessions.now = clock
    return services
