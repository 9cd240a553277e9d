"""The database_url setting: read from HELPDESK_DATABASE_URL or the config file, checked, and never shown with its password."""

import pytest
import yaml

from config import ConfigError, load_settings
from tests.conftest import REPO

SAMPLE = REPO / "config" / "helpdesk.yaml"


def load(**environ):
    return load_settings(environ={"HELPDESK_DATA_DIR": "/tmp/unused", **environ}, config_path=SAMPLE)


def test_database_url_defaults_to_empty():
    assert load().database_url == ""


def test_database_url_read_from_environment():
    settings = load(HELPDESK_DATABASE_URL="postgresql://helpdesk:s3cret@127.0.0.1:5432/helpdesk")

    assert settings.database_url == "postgresql://helpdesk:s3cret@127.0.0.1:5432/helpdesk"
    assert "s3cret" not in repr(settings)


def test_database_url_read_from_config_file(tmp_path):
    raw = yaml.safe_load(SAMPLE.read_text())
    for name in ("catalogue", "schools", "knowledge_base"):
        raw[name] = str((SAMPLE.parent / raw[name]).resolve())
    raw["database_url"] = "postgresql://helpdesk@db.example.org:5432/helpdesk"
    path = tmp_path / "helpdesk.yaml"
    path.write_text(yaml.safe_dump(raw))

    from_file = load_settings(environ={"HELPDESK_DATA_DIR": "/tmp/unused"}, config_path=path)
    overridden = load_settings(
        environ={"HELPDESK_DATA_DIR": "/tmp/unused", "HELPDESK_DATABASE_URL": "postgresql://other@127.0.0.1/helpdesk"}, config_path=path
    )

    assert from_file.database_url == "postgresql://helpdesk@db.example.org:5432/helpdesk"
    assert overridden.database_url == "postgresql://other@127.0.0.1/helpdesk"


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://helpdesk:s3cret@127.0.0.1/helpdesk", "must start with postgresql://"),
        ("postgresql://helpdesk:s3cret@/helpdesk", "names no host"),
        ("postgresql://helpdesk:s3cret@127.0.0.1:5432", "names no database"),
        ("postgresql://helpdesk:s3cret@127.0.0.1:port/helpdesk", "invalid"),
    ],
)
def test_invalid_database_url_is_named_without_password(url, named):
    with pytest.raises(ConfigError, match="HELPDESK_DATABASE_URL") as caught:
        load(HELPDESK_DATABASE_URL=url)

    assert named in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_socket_url_is_accepted():
    settings = load(HELPDESK_DATABASE_URL="postgresql:///helpdesk?host=/run/postgresql")

    assert settings.database_url == "postgresql:///helpdesk?host=/run/postgresql"
