"""Settings: each bad or missing setting stops start-up with a message naming it."""

import shutil
import subprocess
import sys

import pytest
import yaml

from config import ConfigError, load_settings
from tests.conftest import REPO

SAMPLE = REPO / "config" / "helpdesk.yaml"


@pytest.fixture
def config_dir(tmp_path):
    """A copy of the sample config folder that a test may break."""
    folder = tmp_path / "config"
    shutil.copytree(REPO / "config", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "playground"))
    raw = yaml.safe_load(SAMPLE.read_text())
    raw["knowledge_base"] = str(REPO / "knowledge" / "starter_articles.yaml")
    (folder / "helpdesk.yaml").write_text(yaml.safe_dump(raw))
    return folder


def edit(config_dir, change):
    path = config_dir / "helpdesk.yaml"
    raw = yaml.safe_load(path.read_text())
    change(raw)
    path.write_text(yaml.safe_dump(raw))
    return path


def load(path, **environ):
    return load_settings(environ={"HELPDESK_DATA_DIR": "/tmp/unused", **environ}, config_path=path)


def test_sample_config_loads(config_dir):
    settings = load(config_dir / "helpdesk.yaml")

    assert settings.timezone == "America/Vancouver"
    assert len(settings.schools.schools) == 46
    assert settings.catalogue.get("onenote").name == "OneNote Class Notebook"
    assert settings.tst_channel("tst-remote") is not None
    assert "00000000-0000-0000-0000-0000000000021" in settings.roles.triagers


BAD_SETTINGS = [
    (lambda raw: raw.pop("channels"), "'channels' is a required property"),
    (lambda raw: raw["channels"]["triage"].pop("channel_id"), "channels.triage"),
    (lambda raw: raw["channels"].update(tst=[]), "channels.tst"),
    (lambda raw: raw["channels"].update(default_tst="nope"), "channels.default_tst"),
    (lambda raw: raw["channels"]["tst"].append(dict(raw["channels"]["tst"][0])), "its own key"),
    (lambda raw: raw["roles"].update(tsts="someone"), "roles.tsts"),
    (lambda raw: raw["district"].update(timezone="Mars/Olympus"), "district.timezone"),
    (lambda raw: raw.update(schools="missing.csv"), "setting 'schools'"),
    (lambda raw: raw.update(surprise=1), "Additional properties are not allowed"),
    (lambda raw: raw["limits"].update(suggestions=0), "limits.suggestions"),
]


@pytest.mark.parametrize("change, named", BAD_SETTINGS)
def test_bad_setting_is_named(config_dir, change, named):
    path = edit(config_dir, change)

    with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        load(path)


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="HELPDESK_CONFIG"):
        load(tmp_path / "absent.yaml")


def test_invalid_yaml_is_reported(tmp_path):
    path = tmp_path / "helpdesk.yaml"
    path.write_text("district: [unclosed")

    with pytest.raises(ConfigError, match="not valid YAML"):
        load(path)


def test_bad_school_rows_are_named(config_dir):
    (config_dir / "schools.csv").write_text("name,level,community,teachers\nA School,high,Here,10\n")

    with pytest.raises(ConfigError, match="line 2: level 'high' is invalid"):
        load(config_dir / "helpdesk.yaml")


def test_duplicate_school_is_named(config_dir):
    (config_dir / "schools.csv").write_text("name,level\nA School,middle\na school,middle\n")

    with pytest.raises(ConfigError, match="repeated: a school"):
        load(config_dir / "helpdesk.yaml")


def test_duplicate_category_is_named(config_dir):
    (config_dir / "catalogue.yaml").write_text("categories:\n  - {id: forms, name: Forms}\n  - {id: forms, name: Forms again}\n")

    with pytest.raises(ConfigError, match="repeated: forms"):
        load(config_dir / "helpdesk.yaml")


ENVIRONMENT_CASES = [
    ({"PORT": "eighty"}, "PORT is 'eighty'"),
    ({"PORT": "70000"}, "PORT is '70000'"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL is 'loud'"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT is 'xml'"),
    ({"HELPDESK_PRODUCTION": "1"}, "MicrosoftAppId is missing"),
    ({"HELPDESK_PRODUCTION": "1", "MicrosoftAppId": "app"}, "MicrosoftAppPassword is missing"),
    ({"MicrosoftAppId": "app"}, "MicrosoftAppPassword is missing"),
    ({"MicrosoftAppType": "Everyone"}, "MicrosoftAppType is 'Everyone'"),
    ({"MicrosoftAppId": "app", "MicrosoftAppPassword": "secret", "MicrosoftAppType": "SingleTenant"}, "MicrosoftAppTenantId is missing"),
    ({"HELPDESK_PRODUCTION": "maybe"}, "HELPDESK_PRODUCTION is 'maybe'"),
]


@pytest.mark.parametrize("environ, named", ENVIRONMENT_CASES)
def test_bad_environment_is_named(environ, named):
    with pytest.raises(ConfigError, match=named):
        load(SAMPLE, **environ)


@pytest.mark.parametrize("value, expected", [(None, "text"), ("json", "json"), (" JSON ", "json"), ("text", "text")])
def test_log_format_read_from_environment(value, expected):
    environ = {} if value is None else {"LOG_FORMAT": value}

    assert load(SAMPLE, **environ).log_format == expected


def test_credentials_are_read_from_environment():
    settings = load(SAMPLE, MicrosoftAppId="app-id", MicrosoftAppPassword="secret", MicrosoftAppType="SingleTenant", MicrosoftAppTenantId="tenant")

    assert settings.app_id == "app-id"
    assert settings.app_tenant_id == "tenant"
    assert "secret" not in repr(settings)


def test_bad_config_stops_start_up(config_dir):
    path = edit(config_dir, lambda raw: raw["channels"].update(default_tst="nope"))

    result = subprocess.run(
        [sys.executable, "bot.py", "--check-config"],
        cwd=REPO, env={"HELPDESK_CONFIG": str(path), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 2
    assert "channels.default_tst" in result.stderr


def test_check_config_accepts_sample():
    result = subprocess.run([sys.executable, "bot.py", "--check-config"], cwd=REPO, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout


def test_help_url_is_optional(config_dir):
    absent = load(config_dir / "helpdesk.yaml")
    present = load(edit(config_dir, lambda raw: raw["district"].update(help_url="https://help.example.org/teachers")))

    assert absent.help_url == ""
    assert present.help_url == "https://help.example.org/teachers"


@pytest.mark.parametrize("url", ["help.example.org", "ftp://help.example.org", "https://", "https://help.example.org/a b"])
def test_invalid_help_url_is_named(config_dir, url):
    path = edit(config_dir, lambda raw: raw["district"].update(help_url=url))

    with pytest.raises(ConfigError, match="district.help_url"):
        load(path)
