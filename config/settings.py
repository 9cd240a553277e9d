"""Settings: the config file, its referenced files and environment variables, checked once at start-up."""

import csv
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml

from config.schema import CATALOGUE_SCHEMA, SETTINGS_SCHEMA
from domain.catalogue import Catalogue, Category
from domain.clock import load_zone
from domain.school_calendar import SchoolCalendar
from domain.schools import School, SchoolDirectory
from storage.database_url import check_database_url

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).resolve().parent / "helpdesk.yaml"
SCHOOL_LEVELS = ("elementary", "middle", "secondary")
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it and says how to fix it."""


@dataclass(frozen=True)
class ChannelSettings:
    key: str
    name: str
    team_id: str
    channel_id: str


@dataclass(frozen=True)
class RoleSettings:
    admins: frozenset[str] = frozenset()
    triagers: frozenset[str] = frozenset()
    tsts: frozenset[str] = frozenset()
    leaders: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SlaSettings:
    """How long work may wait before the triager is reminded, and when waiting requests close."""

    untriaged_school_days: int = 1
    unclaimed_school_hours: int = 4
    waiting_on_teacher_days: int = 5
    check_minutes: int = 15


@dataclass(frozen=True)
class GraphSettings:
    """Connection settings for Microsoft Graph with client credentials.

    Graph is used only when `base_url` is set. Neither address has a
    default, so a development machine or a test never calls Microsoft by
    accident; a district sets both (see the README).
    """

    base_url: str = ""
    authority: str = ""
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    # A PEM file of extra trusted certificates, for a TLS-inspecting proxy or a test fake.
    ca_bundle: str = ""
    timeout_seconds: float = 8.0
    max_attempts: int = 3
    # The maximum time one call may spend waiting between retries, so a card click still gets its reply in time.
    max_wait_seconds: float = 8.0

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)


@dataclass(frozen=True)
class SessionSettings:
    """Small-group sessions (level 2): group sizes, length, and the categories grouped by school level."""

    duration_minutes: int = 45
    min_group_size: int = 2
    max_group_size: int = 12
    # Categories whose sessions differ between elementary, middle and secondary teachers.
    level_specific_categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ChampionSettings:
    """Technology Champion matches (level 3): how long a champion has to answer an offer, and how many matches a TST sees."""

    offer_hours: int = 48
    matches_shown: int = 5


@dataclass(frozen=True)
class VisitSettings:
    """Site visits and in-class support (levels 4 and 5): default length and the local time of the day-before reminder."""

    duration_minutes: int = 60
    reminder_time: time = time(12, 0)


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to start, already validated."""

    config_path: Path
    district_name: str
    timezone: str
    data_dir: Path
    knowledge_base_path: Path
    catalogue: Catalogue
    schools: SchoolDirectory
    roles: RoleSettings
    triage_channel: ChannelSettings
    tst_channels: tuple[ChannelSettings, ...]
    default_tst_channel: str
    calendar: SchoolCalendar = field(default_factory=lambda: SchoolCalendar("America/Vancouver"))
    routing: dict[str, str] = field(default_factory=dict)
    digest_time: time = time(8, 15)
    digest_max_items: int = 8
    sla: SlaSettings = field(default_factory=SlaSettings)
    description_max_chars: int = 4000
    suggestion_count: int = 3
    host: str = "127.0.0.1"
    port: int = 3978
    log_level: str = "INFO"
    # "text" for people, or "json" for one JSON object per line (LOG_FORMAT).
    log_format: str = "text"
    production: bool = False
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_tenant_id: str = ""
    app_type: str = "MultiTenant"
    help_url: str = ""
    # The PostgreSQL database that replicas share, or empty for the TinyDB data folder. The URL may contain a password, so repr hides it.
    database_url: str = field(default="", repr=False)
    # Where inbound Bot Framework tokens' signing keys are published; empty means the public cloud's.
    openid_metadata_url: str = ""
    # Closed requests older than this many years are deleted daily; None keeps them.
    closed_request_years: int | None = None
    graph: GraphSettings = field(default_factory=GraphSettings)
    sessions: SessionSettings = field(default_factory=SessionSettings)
    champions: ChampionSettings = field(default_factory=ChampionSettings)
    visits: VisitSettings = field(default_factory=VisitSettings)
    # The bot's public https:// address, for links the bot serves such as session calendar files; empty turns them off.
    public_url: str = ""

    def tst_channel(self, key: str) -> ChannelSettings | None:
        """Return the TST channel with this key, or None."""
        return next((channel for channel in self.tst_channels if channel.key == key), None)

    def channel_for(self, category: str) -> str:
        """Return the key of the TST channel that serves a category, by the routing rules."""
        return self.routing.get(category, self.default_tst_channel)


def load_settings(environ: Mapping[str, str] | None = None, config_path: str | os.PathLike | None = None) -> Settings:
    """Read and validate the settings; raises ConfigError naming the first bad one."""
    environ = os.environ if environ is None else environ
    path = Path(config_path or environ.get("HELPDESK_CONFIG") or DEFAULT_CONFIG).resolve()
    raw = _read_yaml(path, SETTINGS_SCHEMA, "HELPDESK_CONFIG")
    base = path.parent

    data_dir = Path(environ.get("HELPDESK_DATA_DIR") or base / raw.get("data_dir", "../data")).resolve()
    database_url = _database_url(environ.get("HELPDESK_DATABASE_URL") or raw.get("database_url", ""), path)
    catalogue = _load_catalogue(_existing_file(base / raw["catalogue"], "catalogue"))
    schools = _load_schools(_existing_file(base / raw["schools"], "schools"))
    knowledge_base = _existing_file(base / raw["knowledge_base"], "knowledge_base")

    channels = raw["channels"]
    tst_channels = tuple(ChannelSettings(**entry) for entry in channels["tst"])
    keys = [channel.key for channel in tst_channels]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"channels.tst in {path}: every TST channel needs its own key, found {keys}")
    default_tst = channels.get("default_tst", keys[0])
    if default_tst not in keys:
        raise ConfigError(f"channels.default_tst in {path}: '{default_tst}' is not one of the TST channel keys {keys}")

    routing = raw.get("routing", {})
    for category_id, channel_key in routing.items():
        if catalogue.get(category_id) is None:
            raise ConfigError(f"routing in {path}: '{category_id}' is not a category id in the catalogue")
        if channel_key not in keys:
            raise ConfigError(f"routing.{category_id} in {path}: '{channel_key}' is not one of the TST channel keys {keys}")

    roles = RoleSettings(**{name: frozenset(ids) for name, ids in raw.get("roles", {}).items()})
    limits = raw.get("limits", {})
    timezone = raw["district"].get("timezone", "America/Vancouver")
    _check_timezone(timezone)
    calendar = _calendar(raw.get("calendar", {}), timezone, path)
    digest = raw.get("digest", {})

    production = _flag(environ, "HELPDESK_PRODUCTION")
    app_id = environ.get("MicrosoftAppId", "")
    app_password = environ.get("MicrosoftAppPassword", "")
    app_type = environ.get("MicrosoftAppType", "MultiTenant")
    app_tenant_id = environ.get("MicrosoftAppTenantId", "")
    if app_type not in APP_TYPES:
        raise ConfigError(f"MicrosoftAppType is '{app_type}'; use one of {', '.join(APP_TYPES)}")
    if production and not (app_id and app_password):
        missing = "MicrosoftAppId" if not app_id else "MicrosoftAppPassword"
        raise ConfigError(f"{missing} is missing: production mode (HELPDESK_PRODUCTION=1) needs the bot's Entra app credentials")
    if app_id and not app_password and app_type != "UserAssignedMSI":
        raise ConfigError("MicrosoftAppPassword is missing: it is required when MicrosoftAppId is set")
    if app_type == "SingleTenant" and not app_tenant_id:
        raise ConfigError("MicrosoftAppTenantId is missing: it is required when MicrosoftAppType is SingleTenant")
    openid_metadata_url = _openid_metadata_url(environ.get("HELPDESK_OPENID_METADATA_URL", ""), production)
    graph = _graph(raw.get("graph", {}), environ, path)
    sessions = _sessions(raw.get("sessions", {}), catalogue, path)
    public_url = _public_url(environ.get("HELPDESK_PUBLIC_URL", ""))

    return Settings(
        config_path=path,
        district_name=raw["district"]["name"],
        help_url=_help_url(raw["district"].get("help_url", "")),
        timezone=timezone,
        data_dir=data_dir,
        database_url=database_url,
        knowledge_base_path=knowledge_base,
        catalogue=catalogue,
        schools=schools,
        roles=roles,
        triage_channel=ChannelSettings(key="triage", **channels["triage"]),
        tst_channels=tst_channels,
        default_tst_channel=default_tst,
        calendar=calendar,
        routing=dict(routing),
        digest_time=_clock(digest.get("time", "08:15")),
        digest_max_items=digest.get("max_items", 8),
        sla=SlaSettings(**raw.get("sla", {})),
        description_max_chars=limits.get("description_max_chars", 4000),
        suggestion_count=limits.get("suggestions", 3),
        host=environ.get("HOST", "127.0.0.1"),
        port=_port(environ.get("PORT", "3978")),
        log_level=_log_level(environ.get("LOG_LEVEL", "INFO")),
        log_format=_log_format(environ.get("LOG_FORMAT", "text")),
        production=production,
        app_id=app_id,
        app_password=app_password,
        app_tenant_id=app_tenant_id,
        app_type=app_type,
        openid_metadata_url=openid_metadata_url,
        closed_request_years=raw.get("retention", {}).get("closed_request_years"),
        graph=graph,
        sessions=sessions,
        champions=ChampionSettings(**raw.get("champions", {})),
        visits=_visits(raw.get("visits", {})),
        public_url=public_url,
    )


class _TextDateLoader(yaml.SafeLoader):
    """A YAML loader that keeps dates as text, so the schema and the date parser see what was written."""


_TextDateLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path, schema: dict[str, Any], setting: str) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{setting}: the file {path} was not found; create it or point {setting} at another file")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDateLoader)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from error
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(part) for part in first.absolute_path) or "(top level)"
        raise ConfigError(f"{path}: setting '{where}' is invalid: {first.message}")
    return data


def _existing_file(path: Path, setting: str) -> Path:
    path = path.resolve()
    if not path.is_file():
        raise ConfigError(f"setting '{setting}': the file {path} was not found")
    return path


def _load_catalogue(path: Path) -> Catalogue:
    raw = _read_yaml(path, CATALOGUE_SCHEMA, "catalogue")
    ids = [entry["id"] for entry in raw["categories"]]
    duplicates = sorted({category_id for category_id in ids if ids.count(category_id) > 1})
    if duplicates:
        raise ConfigError(f"{path}: category ids must be unique, repeated: {', '.join(duplicates)}")
    return Catalogue(tuple(Category(**entry) for entry in raw["categories"]))


def _load_schools(path: Path) -> SchoolDirectory:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"name", "level"} - set(reader.fieldnames or ())
        if missing:
            raise ConfigError(f"{path}: the school directory needs the columns {', '.join(sorted(missing))}")
        schools: list[School] = []
        for line, row in enumerate(reader, start=2):
            name = (row.get("name") or "").strip()
            level = (row.get("level") or "").strip().lower()
            if not name:
                raise ConfigError(f"{path} line {line}: the school name is empty")
            if level not in SCHOOL_LEVELS:
                raise ConfigError(f"{path} line {line}: level '{level}' is invalid; use one of {', '.join(SCHOOL_LEVELS)}")
            teachers = (row.get("teachers") or "").strip()
            if teachers and not (teachers.isascii() and teachers.isdigit()):
                raise ConfigError(f"{path} line {line}: teachers '{teachers}' is not a whole number")
            schools.append(School(name=name, level=level, community=(row.get("community") or "").strip(), teachers=int(teachers or 0)))
    if not schools:
        raise ConfigError(f"{path}: the school directory has no schools")
    try:
        return SchoolDirectory(tuple(schools))
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from error


def _calendar(raw: dict[str, Any], timezone: str, path: Path) -> SchoolCalendar:
    ranges: list[tuple[date, date]] = []
    for entry in raw.get("non_school_days", []):
        first_text, _, last_text = entry.partition("..")
        try:
            first = date.fromisoformat(first_text)
            last = date.fromisoformat(last_text) if last_text else first
        except ValueError as error:
            raise ConfigError(f"calendar.non_school_days in {path}: '{entry}' is not a valid date or range: {error}") from error
        if last < first:
            raise ConfigError(f"calendar.non_school_days in {path}: the range '{entry}' ends before it starts")
        ranges.append((first, last))
    start = _clock(raw.get("school_day_start", "08:00"))
    end = _clock(raw.get("school_day_end", "15:00"))
    if end <= start:
        raise ConfigError(f"calendar in {path}: school_day_end ({end:%H:%M}) must be after school_day_start ({start:%H:%M})")
    return SchoolCalendar.from_ranges(timezone, start, end, ranges)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _help_url(url: str) -> str:
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.hostname or any(character.isspace() for character in url)):
        raise ConfigError(f"district.help_url is '{url}'; use an http:// or https:// address of the district's help page, or leave it out")
    return url


def _openid_metadata_url(url: str, production: bool) -> str:
    """Check HELPDESK_OPENID_METADATA_URL, which tests and private clouds set to their own OpenID configuration."""
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise ConfigError(f"HELPDESK_OPENID_METADATA_URL is '{url}'; use the http:// or https:// address of an OpenID configuration, or leave it unset")
    if production and parts.scheme == "http":
        raise ConfigError(f"HELPDESK_OPENID_METADATA_URL is '{url}'; production mode (HELPDESK_PRODUCTION=1) needs an https:// address")
    return url


def _graph(raw: dict[str, Any], environ: Mapping[str, str], path: Path) -> GraphSettings:
    """Read the Graph settings: addresses from the config file or HELPDESK_GRAPH_*, credentials from the environment.

    The credentials default to the bot's own app registration (MicrosoftAppId,
    MicrosoftAppPassword, MicrosoftAppTenantId); HELPDESK_GRAPH_CLIENT_ID,
    HELPDESK_GRAPH_CLIENT_SECRET and HELPDESK_GRAPH_TENANT_ID select another one.
    """
    base_url = environ.get("HELPDESK_GRAPH_BASE_URL") or raw.get("base_url", "")
    authority = environ.get("HELPDESK_GRAPH_AUTHORITY") or raw.get("authority", "")
    ca_bundle = environ.get("HELPDESK_GRAPH_CA_BUNDLE", "")
    client_id = environ.get("HELPDESK_GRAPH_CLIENT_ID") or environ.get("MicrosoftAppId", "")
    client_secret = environ.get("HELPDESK_GRAPH_CLIENT_SECRET") or environ.get("MicrosoftAppPassword", "")
    tenant_id = environ.get("HELPDESK_GRAPH_TENANT_ID") or environ.get("MicrosoftAppTenantId", "")
    limits = {name: raw[name] for name in ("timeout_seconds", "max_attempts", "max_wait_seconds") if name in raw}
    if not base_url:
        if authority:
            raise ConfigError(f"HELPDESK_GRAPH_AUTHORITY is set but HELPDESK_GRAPH_BASE_URL (graph.base_url in {path}) is not; set both to use Microsoft Graph")
        return GraphSettings(**limits)
    _check_https(base_url, "HELPDESK_GRAPH_BASE_URL", "https://graph.microsoft.com/v1.0")
    if not authority:
        raise ConfigError("HELPDESK_GRAPH_AUTHORITY is missing: Microsoft Graph needs the sign-in authority, e.g. https://login.microsoftonline.com/<tenant id>")
    _check_https(authority, "HELPDESK_GRAPH_AUTHORITY", "https://login.microsoftonline.com/<tenant id>")
    credentials = (
        ("MicrosoftAppId (or HELPDESK_GRAPH_CLIENT_ID)", client_id),
        ("MicrosoftAppPassword (or HELPDESK_GRAPH_CLIENT_SECRET)", client_secret),
        ("MicrosoftAppTenantId (or HELPDESK_GRAPH_TENANT_ID)", tenant_id),
    )
    missing = [variable for variable, value in credentials if not value]
    if missing:
        raise ConfigError(f"{missing[0]} is missing: Microsoft Graph needs the app's client id, client secret and tenant id")
    first_segment = urlsplit(authority).path.strip("/").split("/")[0]
    if first_segment.lower() != tenant_id.lower():
        raise ConfigError(
            f"HELPDESK_GRAPH_AUTHORITY is '{authority}'; client credentials need the tenant's own authority, "
            f"ending in /{tenant_id} (the tenant id), not /common or /organizations"
        )
    if ca_bundle and not Path(ca_bundle).is_file():
        raise ConfigError(f"HELPDESK_GRAPH_CA_BUNDLE: the file {ca_bundle} was not found")
    return GraphSettings(
        base_url=base_url.rstrip("/"),
        authority=authority.rstrip("/"),
        tenant_id=tenant_id,
        client_id=client_id,
        client_secret=client_secret,
        ca_bundle=ca_bundle,
        **limits,
    )


def _check_https(url: str, setting: str, example: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or any(character.isspace() for character in url):
        raise ConfigError(f"{setting} is '{url}'; use an https:// address such as {example}")


def _visits(raw: dict[str, Any]) -> VisitSettings:
    values: dict[str, Any] = {name: raw[name] for name in ("duration_minutes",) if name in raw}
    if "reminder_time" in raw:
        values["reminder_time"] = _clock(raw["reminder_time"])
    return VisitSettings(**values)


def _sessions(raw: dict[str, Any], catalogue: Catalogue, path: Path) -> SessionSettings:
    categories = raw.get("level_specific_categories", [])
    for category_id in categories:
        if catalogue.get(category_id) is None:
            raise ConfigError(f"sessions.level_specific_categories in {path}: '{category_id}' is not a category id in the catalogue")
    settings = SessionSettings(
        **{name: raw[name] for name in ("duration_minutes", "min_group_size", "max_group_size") if name in raw},
        level_specific_categories=frozenset(categories),
    )
    if settings.max_group_size < settings.min_group_size:
        raise ConfigError(f"sessions in {path}: max_group_size ({settings.max_group_size}) is below min_group_size ({settings.min_group_size})")
    return settings


def _public_url(url: str) -> str:
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if url and not (local or (parts.scheme == "https" and parts.hostname)) or any(character.isspace() for character in url):
        raise ConfigError(f"HELPDESK_PUBLIC_URL is '{url}'; use the bot's https:// address (http:// only for 127.0.0.1 or localhost), or leave it unset")
    return url.rstrip("/")


def _database_url(url: str, path: Path) -> str:
    """Check the PostgreSQL URL from HELPDESK_DATABASE_URL or database_url. The error never shows the password."""
    if not url:
        return ""
    try:
        check_database_url(url)
    except ValueError as error:
        raise ConfigError(f"HELPDESK_DATABASE_URL (or database_url in {path}) is invalid: {error}") from None
    return url


def _check_timezone(name: str) -> None:
    try:
        load_zone(name)
    except LookupError as error:
        raise ConfigError(f"district.timezone: {error}") from error


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ConfigError(f"{name} is '{value}'; use 1 or 0")


def _port(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
        raise ConfigError(f"PORT is '{value}'; use a whole number from 1 to 65535")
    return int(value)


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"LOG_LEVEL is '{value}'; use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def _log_format(value: str) -> str:
    log_format = value.strip().lower()
    if log_format not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT is '{value}'; use text or json")
    return log_format
