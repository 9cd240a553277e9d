"""The throwaway PostgreSQL cluster that the storage tests start when no test database is configured."""

import pytest

from tests.storage.postgres_cluster import PostgresNotInstalled, find_server_bin_dir, with_search_path


def test_missing_server_names_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(PostgresNotInstalled) as caught:
        find_server_bin_dir(tmp_path / "postgresql")

    assert "initdb" in str(caught.value)
    assert "run scripts/test" in str(caught.value)
    assert "HELPDESK_TEST_DATABASE_URL" in str(caught.value)


def test_newest_server_version_is_chosen(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    for version in ("9", "15", "13"):
        bin_dir = tmp_path / "postgresql" / version / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "initdb").touch()
        (bin_dir / "pg_ctl").touch()

    assert find_server_bin_dir(tmp_path / "postgresql") == tmp_path / "postgresql" / "15" / "bin"


def test_search_path_replaces_earlier_value():
    url = with_search_path("postgresql://helpdesk@127.0.0.1:5432/helpdesk?search_path=old&sslmode=disable", "helpdesk_test_1")

    assert url == "postgresql://helpdesk@127.0.0.1:5432/helpdesk?sslmode=disable&search_path=helpdesk_test_1"
