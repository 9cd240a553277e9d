"""Build the Teams app package: fill the manifest template, check it and the icons, then write the zip.

    python -m manifest.package --app-id GUID --host bot.example.org \\
        --website-url https://... --privacy-url https://... --terms-url https://... \\
        --out build/helpdesk.zip

The zip is written only when every check passes. Otherwise the command lists
every problem, writes nothing and exits with status 2.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml

from manifest.icons import check_color_icon, check_outline_icon

MANIFEST_DIR = Path(__file__).resolve().parent
REPO = MANIFEST_DIR.parent
TEMPLATE_PATH = MANIFEST_DIR / "manifest.template.json"
# The official schemas are kept in the shared reference folder beside the repository, not inside it.
DEFAULT_SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "teams-manifest" / "v1.22" / "MicrosoftTeams.schema.json"
DEFAULT_CONFIG_PATH = REPO / "config" / "helpdesk.yaml"
DEFAULT_VERSION = "1.0.0"
EXIT_INVALID = 2
EXIT_WRITE_FAILED = 1

GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# The schema's description requires a semantic version. Only the plain MAJOR.MINOR.PATCH form is accepted, without pre-release or build parts.
VERSION = re.compile(r"^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$")
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
MAX_HOST_LENGTH = 253
MAX_SCHEMA_MESSAGE = 300

# The command-line option that sets each template placeholder, for messages.
PLACEHOLDER_OPTIONS = {
    "appId": "--app-id",
    "botHost": "--host",
    "version": "--version",
    "developerName": "--developer-name",
    "websiteUrl": "--website-url",
    "privacyUrl": "--privacy-url",
    "termsOfUseUrl": "--terms-url",
}


class PackageError(Exception):
    """Packaging was rejected. `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PackageOptions:
    """The values to fill in and the files to read."""

    app_id: str
    host: str
    version: str = DEFAULT_VERSION
    developer_name: str | None = None
    website_url: str | None = None
    privacy_url: str | None = None
    terms_url: str | None = None
    template_path: Path = TEMPLATE_PATH
    schema_path: Path = DEFAULT_SCHEMA_PATH
    icons_dir: Path = MANIFEST_DIR
    config_path: Path = DEFAULT_CONFIG_PATH


@dataclass(frozen=True)
class Package:
    """A checked manifest and the icon files that go into the zip beside it."""

    manifest: dict[str, Any]
    color_icon: Path
    outline_icon: Path


# Checks on the values given on the command line


def check_app_id(value: str) -> list[str]:
    if GUID.match(value):
        return []
    return [
        f"--app-id '{value}' is not a GUID; use the Application (client) ID of the bot's Entra app registration, "
        "for example 8c0e5a4e-2f1b-4a53-9d7e-1b2c3d4e5f60"
    ]


def check_host(value: str) -> list[str]:
    """Check that `value` is a bare, fully qualified host name such as bot.example.org."""
    if not value:
        return ["--host is empty; give the bot's public host name, for example bot.example.org"]
    if "://" in value:
        suggestion = urlsplit(value).hostname or "bot.example.org"
        return [f"--host '{value}' has a scheme; give the bare host name without 'https://', for example {suggestion}"]
    if "/" in value or "?" in value or "#" in value:
        return [f"--host '{value}' has a path; give only the host name, for example {re.split(r'[/?#]', value)[0]}"]
    if "@" in value:
        return [f"--host '{value}' has a user name; give only the host name"]
    if ":" in value:
        return [f"--host '{value}' has a port; give only the host name, because this command and validDomains take host names without ports"]
    problems = []
    if len(value) > MAX_HOST_LENGTH:
        problems.append(f"--host is {len(value)} characters long; the maximum is {MAX_HOST_LENGTH}")
    labels = value.split(".")
    if not all(HOST_LABEL.match(label) for label in labels):
        problems.append(
            f"--host '{value}' is not a valid host name; use letters, digits, hyphens and dots, for example bot.example.org"
        )
    elif len(labels) < 2:
        problems.append(f"--host '{value}' is not a fully qualified host name; Azure Bot Service needs a public name such as bot.example.org")
    return problems


def check_version(value: str) -> list[str]:
    if VERSION.match(value):
        return []
    return [f"--version '{value}' is invalid; use MAJOR.MINOR.PATCH with whole numbers, for example 1.0.0"]


def check_https_url(option: str, value: str | None) -> list[str]:
    if not value:
        return [f"{option} is missing; Teams shows this page on the app's details, so give an https:// URL the district publishes"]
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or " " in value:
        return [f"{option} '{value}' is invalid; give an https:// URL with a host name, for example https://www.example.org/privacy"]
    return []


def district_setting(config_path: Path, key: str) -> str | None:
    """Return `district.<key>` from the helpdesk config file, or None when it is absent or cannot be read."""
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("district"), dict):
        return None
    value = data["district"].get(key)
    return value if isinstance(value, str) and value.strip() else None


# The template


def render_template(template: Any, values: Mapping[str, str]) -> tuple[Any, dict[str, list[str]], set[str]]:
    """Replace each {{name}} in the template's strings with values[name].

    Filling parsed JSON, not text, keeps quotes or backslashes in a value from
    breaking the manifest. Returns the filled manifest, the JSON paths where
    each placeholder was used, and the names of placeholders without a value.
    """
    used_at: dict[str, list[str]] = {}
    unknown: set[str] = set()

    def fill(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            return {key: fill(child, _join_path(path, key)) for key, child in node.items()}
        if isinstance(node, list):
            return [fill(child, f"{path}[{index}]") for index, child in enumerate(node)]
        if isinstance(node, str):
            return PLACEHOLDER.sub(lambda match: substitute(match, path), node)
        return node

    def substitute(match: re.Match[str], path: str) -> str:
        name = match.group(1)
        used_at.setdefault(name, []).append(path)
        if name not in values:
            unknown.add(name)
            return match.group(0)
        return values[name]

    return fill(template, ""), used_at, unknown


def load_template(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise PackageError([f"manifest template {path} was not found"]) from error
    except (OSError, json.JSONDecodeError) as error:
        raise PackageError([f"manifest template {path} cannot be read as JSON: {error}"]) from error


# The schema


def load_schema(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise PackageError([
            f"Teams manifest schema {path} was not found; "
            "point --schema at MicrosoftTeams.schema.json v1.22 from https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json"
        ])
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise PackageError([f"Teams manifest schema {path} cannot be read as JSON: {error}"]) from error


def schema_problems(manifest: Any, schema: dict[str, Any]) -> list[tuple[str, str]]:
    """Validate with Draft7Validator and return (JSON path, message) for every error.

    The Teams schemas declare draft-04 but use `const` (draft 6) and, from
    v1.30, `if`/`then` (draft 7). A draft-04 validator silently skips those,
    so a wrong manifestVersion would pass. Draft 7 checks them.
    """
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(manifest), key=lambda error: [str(part) for part in error.absolute_path])
    return [(_error_path(error), _describe_schema_error(error)) for error in errors]


def _describe_schema_error(error: jsonschema.ValidationError) -> str:
    where = _error_path(error) or "the manifest"
    instance = error.instance
    limit = error.validator_value
    if error.validator == "maxLength" and isinstance(instance, str):
        return f"{where} is {len(instance)} characters long; the maximum is {limit}"
    if error.validator == "maxItems" and isinstance(instance, list):
        return f"{where} has {len(instance)} items; the maximum is {limit}"
    if error.validator == "const":
        return f"{where} is {json.dumps(instance)}; this schema requires {json.dumps(limit)}"
    if error.validator == "pattern":
        return f"{where} value {json.dumps(instance)} does not match the pattern {limit}"
    message = error.message
    if len(message) > MAX_SCHEMA_MESSAGE:
        message = message[:MAX_SCHEMA_MESSAGE] + "…"
    return f"{where}: {message}"


def _error_path(error: jsonschema.ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path = f"{path}[{part}]" if isinstance(part, int) else _join_path(path, part)
    return path


def _join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# Checks across the manifest


def consistency_problems(manifest: dict[str, Any], app_id: str) -> list[str]:
    """Check what the schema cannot: there is exactly one bot, and its id and webApplicationInfo.id are the app id."""
    problems = []
    bots = manifest.get("bots") or []
    if len(bots) != 1:
        problems.append(f"bots has {len(bots)} entries; the helpdesk package needs exactly one bot")
    for index, bot in enumerate(bots):
        if bot.get("botId") != app_id:
            problems.append(f"bots[{index}].botId is {json.dumps(bot.get('botId'))}; it must be the app id {app_id}")
    web_application_id = (manifest.get("webApplicationInfo") or {}).get("id")
    if web_application_id is not None and web_application_id != app_id:
        problems.append(f"webApplicationInfo.id is {json.dumps(web_application_id)}; it must be the app id {app_id}")
    return problems


def icon_paths(manifest: dict[str, Any], icons_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """Find the files that icons.color and icons.outline name. Both must be plain file names, because the icons sit at the package root."""
    icons = manifest.get("icons") or {}
    paths: dict[str, Path] = {}
    problems = []
    for role in ("color", "outline"):
        name = icons.get(role)
        if not isinstance(name, str) or not name:
            problems.append(f"icons.{role} is missing; name the {role} icon file in the manifest template")
            continue
        if Path(name).name != name or name in (".", ".."):
            problems.append(f"icons.{role} '{name}' must be a plain file name, because the icons sit at the root of the package")
            continue
        paths[role] = icons_dir / name
    return paths, problems


# Building and writing


def build_package(options: PackageOptions) -> Package:
    """Fill the template and run every check. Raises PackageError listing every problem found."""
    developer_name = options.developer_name or district_setting(options.config_path, "name")
    website_url = options.website_url or district_setting(options.config_path, "help_url")
    option_problems = _option_problems(options, developer_name, website_url)
    problems = [problem for found in option_problems.values() for problem in found]
    rejected = {name for name, found in option_problems.items() if found}

    values = {
        "appId": options.app_id,
        "botHost": options.host,
        "version": options.version,
        "developerName": developer_name or "",
        "websiteUrl": website_url or "",
        "privacyUrl": options.privacy_url or "",
        "termsOfUseUrl": options.terms_url or "",
    }
    try:
        template = load_template(options.template_path)
    except PackageError as error:
        raise PackageError([*problems, *error.problems]) from error
    manifest, used_at, unknown = render_template(template, values)
    for name in sorted(unknown):
        problems.append(f"manifest template {options.template_path} has the placeholder {{{{{name}}}}}, which has no value")
    if not isinstance(manifest, dict):
        raise PackageError([*problems, f"manifest template {options.template_path} must contain a JSON object"])

    try:
        schema = load_schema(options.schema_path)
    except PackageError as error:
        problems.extend(error.problems)
    else:
        # A value already reported above would otherwise be reported again at every place the template uses it.
        skipped_paths = {path for name in rejected for path in used_at.get(name, [])}
        option_at = {path: PLACEHOLDER_OPTIONS[name] for name, paths in used_at.items() if name in PLACEHOLDER_OPTIONS for path in paths}
        for path, message in schema_problems(manifest, schema):
            if path in skipped_paths:
                continue
            problems.append(f"{message} (set with {option_at[path]})" if path in option_at else message)

    if "appId" not in rejected:
        problems.extend(consistency_problems(manifest, options.app_id))

    paths, path_problems = icon_paths(manifest, options.icons_dir)
    problems.extend(path_problems)
    if "color" in paths:
        problems.extend(check_color_icon(paths["color"]))
    if "outline" in paths:
        problems.extend(check_outline_icon(paths["outline"]))

    if problems:
        raise PackageError(problems)
    return Package(manifest, paths["color"], paths["outline"])


def _option_problems(options: PackageOptions, developer_name: str | None, website_url: str | None) -> dict[str, list[str]]:
    """Check each value to fill in, from the command line or the config file, keyed by its template placeholder."""
    missing_developer = [
        f"--developer-name is missing and no district.name was found in {options.config_path}; "
        "give the name Teams shows as the app's publisher"
    ]
    from_config = website_url and not options.website_url
    website_source = f"district.help_url in {options.config_path}" if from_config else "--website-url"
    return {
        "appId": check_app_id(options.app_id),
        "botHost": check_host(options.host),
        "version": check_version(options.version),
        "developerName": [] if developer_name else missing_developer,
        "websiteUrl": check_https_url(website_source, website_url),
        "privacyUrl": check_https_url("--privacy-url", options.privacy_url),
        "termsOfUseUrl": check_https_url("--terms-url", options.terms_url),
    }


def write_zip(package: Package, out: Path) -> None:
    """Write manifest.json and the two icons at the root of the zip, replacing `out` atomically.

    The zip is built in a temporary file beside `out` and renamed over it, so
    a failure never leaves a partial package. Fixed timestamps make the same
    inputs produce the same bytes.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest_bytes = (json.dumps(package.manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    members = [
        ("manifest.json", manifest_bytes),
        (package.color_icon.name, package.color_icon.read_bytes()),
        (package.outline_icon.name, package.outline_icon.read_bytes()),
    ]
    handle = tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp", delete=False)
    temporary = Path(handle.name)
    try:
        with handle, zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        # NamedTemporaryFile creates the file readable by its owner only.
        temporary.chmod(0o644)
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m manifest.package",
        description="Build the Pedagogical Helpdesk Teams app package (manifest.json, color.png, outline.png in one zip).",
    )
    parser.add_argument("--app-id", required=True, help="Application (client) ID of the bot's Entra app registration; also the manifest id")
    parser.add_argument("--host", required=True, help="public host name of the bot's HTTPS endpoint, without scheme, path or port (bot.example.org)")
    parser.add_argument("--version", default=DEFAULT_VERSION, help=f"app version as MAJOR.MINOR.PATCH; raise it for every upload (default {DEFAULT_VERSION})")
    parser.add_argument("--developer-name", help="publisher name shown in Teams, at most 32 characters (default: district.name from the config file)")
    parser.add_argument("--website-url", help="https:// URL of the district's support page for the app (default: district.help_url from the config file)")
    parser.add_argument("--privacy-url", help="https:// URL of the district's privacy statement")
    parser.add_argument("--terms-url", help="https:// URL of the district's terms of use")
    parser.add_argument("--out", required=True, type=Path, help="path of the zip to write, for example build/helpdesk.zip")
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA_PATH, help=f"Teams manifest JSON schema v1.22 (default {DEFAULT_SCHEMA_PATH})")
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH, help=f"manifest template (default {TEMPLATE_PATH})")
    parser.add_argument("--icons-dir", type=Path, default=MANIFEST_DIR, help=f"folder containing the icon files the manifest names (default {MANIFEST_DIR})")
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("HELPDESK_CONFIG") or DEFAULT_CONFIG_PATH),
        help="helpdesk config file that supplies the default developer name and website URL (default: HELPDESK_CONFIG or config/helpdesk.yaml)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = PackageOptions(
        app_id=args.app_id,
        host=args.host,
        version=args.version,
        developer_name=args.developer_name,
        website_url=args.website_url,
        privacy_url=args.privacy_url,
        terms_url=args.terms_url,
        template_path=args.template,
        schema_path=args.schema,
        icons_dir=args.icons_dir,
        config_path=args.config,
    )
    problems: list[str] = []
    if args.out.is_dir():
        problems.append(f"--out {args.out} is a folder; give the path of the zip file to write")
    try:
        package = build_package(options)
    except PackageError as error:
        problems = [*problems, *error.problems]
    if problems:
        print(f"Packaging failed with {len(problems)} problem(s); no file was written:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_INVALID

    try:
        write_zip(package, args.out)
    except OSError as error:
        print(f"Writing {args.out} failed: {error}; no file was written", file=sys.stderr)
        return EXIT_WRITE_FAILED
    print(f"Wrote {args.out}: app {options.app_id} version {options.version} for host {options.host}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
