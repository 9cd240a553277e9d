"""Graph, session and public-address settings: off by default, and each bad value named at start-up."""

import pytest
import yaml

from config import ConfigError, load_settings
from tests.conftest import REPO

SAMPLE = REPO / "config" / "helpdesk.yaml"
TENANT = "11111111-1111-1111-1111-111111111111"
GRAPH = {
    "HELPDESK_GRAPH_BASE_URL": "https://127.0.0.1:8443/v1.0",
    "HELPDESK_GRAPH_AUTHORITY": f"https://127.0.0.1:8443/{TENANT}",
    "MicrosoftAppId": "22222222-2222-2222-2222-222222222222",
    "MicrosoftAppPassword": "bot-secret",
    "MicrosoftAppTenantId": TENANT,
}


def load(**environ):
    return load_settings(environ={"HELPDESK_DATA_DIR": "/tmp/unused", **environ}, config_path=SAMPLE)


def test_graph_is_off_without_base_url():
    settings = load()

    assert not settings.graph.enabled
    assert settings.graph.authority == ""
    assert settings.public_url == ""


def test_graph_uses_bot_credentials_by_default():
    graph = load(**GRAPH).graph

    assert graph.enabled
    assert (graph.client_id, graph.client_secret, graph.tenant_id) == (GRAPH["MicrosoftAppId"], "bot-secret", TENANT)
    assert "bot-secret" not in repr(graph)


def test_graph_credentials_can_come_from_their_own_variables():
    graph = load(**GRAPH, HELPDESK_GRAPH_CLIENT_ID="graph-app", HELPDESK_GRAPH_CLIENT_SECRET="graph-secret").graph

    assert (graph.client_id, graph.client_secret) == ("graph-app", "graph-secret")


BAD_GRAPH = [
    ({"HELPDESK_GRAPH_AUTHORITY": ""}, "HELPDESK_GRAPH_AUTHORITY is missing"),
    ({"HELPDESK_GRAPH_BASE_URL": "http://127.0.0.1:8080/v1.0"}, "HELPDESK_GRAPH_BASE_URL is 'http://127.0.0.1:8080/v1.0'; use an https:// address"),
    ({"HELPDESK_GRAPH_AUTHORITY": "https://127.0.0.1:8443/common"}, "ending in /11111111-1111-1111-1111-111111111111"),
    ({"MicrosoftAppId": "", "MicrosoftAppPassword": ""}, "MicrosoftAppId (or HELPDESK_GRAPH_CLIENT_ID) is missing"),
    ({"MicrosoftAppId": "", "MicrosoftAppPassword": "", "HELPDESK_GRAPH_CLIENT_ID": "graph-app"}, "MicrosoftAppPassword (or HELPDESK_GRAPH_CLIENT_SECRET) is missing"),
    ({"MicrosoftAppTenantId": ""}, "MicrosoftAppTenantId (or HELPDESK_GRAPH_TENANT_ID) is missing"),
    ({"HELPDESK_GRAPH_CA_BUNDLE": "/nonexistent/ca.pem"}, "HELPDESK_GRAPH_CA_BUNDLE: the file /nonexistent/ca.pem was not found"),
    ({"HELPDESK_GRAPH_BASE_URL": "", "HELPDESK_GRAPH_AUTHORITY": f"https://127.0.0.1:8443/{TENANT}"}, "set both"),
]


@pytest.mark.parametrize(("change", "problem"), BAD_GRAPH, ids=[problem[:30] for _, problem in BAD_GRAPH])
def test_bad_graph_setting_stops_start_up(change, problem):
    with pytest.raises(ConfigError) as caught:
        load(**{**GRAPH, **change})

    assert problem in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://helpdesk.example", "http://helpdesk.example", "https://", "https://helpdesk.example/ a"])
def test_bad_public_url_stops_start_up(url):
    with pytest.raises(ConfigError, match="HELPDESK_PUBLIC_URL"):
        load(HELPDESK_PUBLIC_URL=url)


def test_public_url_accepts_https_and_local_http():
    assert load(HELPDESK_PUBLIC_URL="https://helpdesk.example/").public_url == "https://helpdesk.example"
    assert load(HELPDESK_PUBLIC_URL="http://127.0.0.1:3978").public_url == "http://127.0.0.1:3978"


def test_sample_config_groups_coding_by_school_level():
    sessions = load().sessions

    assert "coding" in sessions.level_specific_categories
    assert (sessions.min_group_size, sessions.max_group_size, sessions.duration_minutes) == (2, 12, 45)


@pytest.mark.parametrize(
    ("sessions", "problem"),
    [
        ({"level_specific_categories": ["knitting"]}, "'knitting' is not a category id"),
        ({"min_group_size": 6, "max_group_size": 4}, "max_group_size (4) is below min_group_size (6)"),
        ({"duration_minutes": 5}, "sessions.duration_minutes"),
    ],
)
def test_bad_session_setting_stops_start_up(tmp_path, sessions, problem):
    raw = yaml.safe_load(SAMPLE.read_text())
    for name in ("catalogue", "schools", "knowledge_base"):
        raw[name] = str((SAMPLE.parent / raw[name]).resolve())
    raw["sessions"] = {**raw["sessions"], **sessions}
    path = tmp_path / "helpdesk.yaml"
    path.write_text(yaml.safe_dump(raw))

    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"HELPDESK_DATA_DIR": "/tmp/unused"}, config_path=path)

    assert problem in str(caught.value)
