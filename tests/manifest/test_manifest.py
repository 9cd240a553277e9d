"""Tests for the Teams app manifest template, the icon checks and the packaging command."""

import json
import struct
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest

from bots.message_extension import QUERY_PARAMETER
from manifest.icons import check_color_icon, check_outline_icon, decode_rgba_pixels
from manifest.package import (
    MANIFEST_DIR,
    TEMPLATE_PATH,
    PackageOptions,
    build_package,
    check_host,
    main,
    render_template,
)

# The official Teams manifest schemas are in the shared reference folder beside the repository.
SCHEMAS_DIR = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "teams-manifest"
APP_ID = "8c0e5a4e-2f1b-4a53-9d7e-1b2c3d4e5f60"
HOST = "helpdesk.sd43.example.org"
URL_OPTIONS = [
    "--website-url", "https://www.example.org/helpdesk",
    "--privacy-url", "https://www.example.org/privacy",
    "--terms-url", "https://www.example.org/terms",
]
PERSONAL_COMMANDS = ["new request", "my requests", "help"]
TEAM_COMMANDS = ["queue", "mine", "report", "help"]
PACKAGE_FILES = {"manifest.json", "color.png", "outline.png"}


def schema_path(version: str) -> Path:
    path = SCHEMAS_DIR / version / "MicrosoftTeams.schema.json"
    if not path.is_file():
        pytest.skip(f"Teams manifest schema not found at {path}")
    return path


@pytest.fixture
def schema_v1_22() -> Path:
    return schema_path("v1.22")


@pytest.fixture
def schema_v1_30() -> Path:
    return schema_path("v1.30")


def options(**changes) -> PackageOptions:
    values = {
        "app_id": APP_ID,
        "host": HOST,
        "version": "1.2.3",
        "developer_name": "School District 43",
        "website_url": "https://www.example.org/helpdesk",
        "privacy_url": "https://www.example.org/privacy",
        "terms_url": "https://www.example.org/terms",
        "schema_path": SCHEMAS_DIR / "v1.22" / "MicrosoftTeams.schema.json",
    }
    values.update(changes)
    return PackageOptions(**values)


def package_args(out: Path, *extra: str, app_id: str = APP_ID, host: str = HOST) -> list[str]:
    args = ["--app-id", app_id, "--host", host, *URL_OPTIONS, "--out", str(out)]
    if not any(arg == "--schema" for arg in extra):
        args += ["--schema", str(SCHEMAS_DIR / "v1.22" / "MicrosoftTeams.schema.json")]
    return [*args, *extra]


def write_template(tmp_path: Path, change) -> Path:
    """Write a copy of the real template with `change` applied to its parsed JSON."""
    template = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    change(template)
    path = tmp_path / "manifest.template.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    return path


def assert_rejected(tmp_path: Path, capsys, args: list[str], expected: str) -> str:
    """Run the command, expect exit status 2 with `expected` in the message, and no zip or temporary file."""
    before = set(tmp_path.rglob("*"))
    status = main(args)
    error = capsys.readouterr().err
    assert status == 2, error
    assert expected in error
    assert "no file was written" in error
    assert set(tmp_path.rglob("*")) == before
    return error


def personal_and_team_lists(manifest: dict) -> dict[str, list[dict]]:
    return {tuple(entry["scopes"])[0]: entry["commands"] for entry in manifest["bots"][0]["commandLists"]}


# PNG files written with the standard library, so each check can be fed a bad icon.


def filter_row(filter_type: int, row: bytes, previous: bytes, bytes_per_pixel: int) -> bytes:
    """Apply a PNG scanline filter, the inverse of what a decoder undoes."""
    out = bytearray()
    for i, value in enumerate(row):
        left = row[i - bytes_per_pixel] if i >= bytes_per_pixel else 0
        up = previous[i]
        up_left = previous[i - bytes_per_pixel] if i >= bytes_per_pixel else 0
        if filter_type == 0:
            predictor = 0
        elif filter_type == 1:
            predictor = left
        elif filter_type == 2:
            predictor = up
        elif filter_type == 3:
            predictor = (left + up) // 2
        else:
            estimate = left + up - up_left
            distances = [abs(estimate - left), abs(estimate - up), abs(estimate - up_left)]
            predictor = (left, up, up_left)[distances.index(min(distances))]
        out.append((value - predictor) & 0xFF)
    return bytes(out)


def encode_png(width: int, height: int, pixel, colour_type: int = 6, filter_type: int = 0) -> bytes:
    """Encode an 8-bit PNG whose pixel at (x, y) is `pixel(x, y)`, a tuple of channel values."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    rows = [bytes(channel for x in range(width) for channel in pixel(x, y)) for y in range(height)]
    raw = bytearray()
    previous = bytes(width * channels)
    for row in rows:
        raw.append(filter_type)
        raw += filter_row(filter_type, row, previous, channels)
        previous = row

    def chunk(chunk_type: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + chunk_type + body + struct.pack(">I", zlib.crc32(chunk_type + body))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")


def white_mark(x: int, y: int) -> tuple[int, int, int, int]:
    """A white square in the middle of a transparent 32×32 icon."""
    return (255, 255, 255, 255) if 8 <= x < 24 and 8 <= y < 24 else (255, 255, 255, 0)


# The template


def test_template_valid_against_v1_22(schema_v1_22):
    package = build_package(options(schema_path=schema_v1_22))
    schema = json.loads(schema_v1_22.read_text(encoding="utf-8"))
    errors = [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(package.manifest)]
    assert errors == []
    assert package.manifest["manifestVersion"] == "1.22"
    assert package.manifest["$schema"] == "https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json"


def test_template_valid_against_v1_30(schema_v1_22, schema_v1_30):
    manifest = build_package(options(schema_path=schema_v1_22)).manifest
    manifest["manifestVersion"] = "1.30"
    manifest["$schema"] = "https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json"
    schema = json.loads(schema_v1_30.read_text(encoding="utf-8"))
    errors = [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(manifest)]
    assert errors == []


def test_template_fills_every_placeholder(schema_v1_22):
    manifest = build_package(options(schema_path=schema_v1_22)).manifest
    assert "{{" not in json.dumps(manifest)
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    assert manifest["validDomains"] == [HOST]
    assert manifest["version"] == "1.2.3"
    assert manifest["developer"] == {
        "name": "School District 43",
        "websiteUrl": "https://www.example.org/helpdesk",
        "privacyUrl": "https://www.example.org/privacy",
        "termsOfUseUrl": "https://www.example.org/terms",
    }


def test_render_keeps_quotes_inside_strings():
    manifest, used_at, unknown = render_template({"name": {"short": "{{name}} help"}}, {"name": 'Say "hi" \\ now'})
    assert manifest == {"name": {"short": 'Say "hi" \\ now help'}}
    assert used_at == {"name": ["name.short"]}
    assert unknown == set()


def test_render_reports_unknown_placeholder():
    manifest, used_at, unknown = render_template({"items": ["{{missing}}"]}, {})
    assert manifest == {"items": ["{{missing}}"]}
    assert used_at == {"missing": ["items[0]"]}
    assert unknown == {"missing"}


def test_bot_scopes_and_files(schema_v1_22):
    manifest = build_package(options(schema_path=schema_v1_22)).manifest
    assert len(manifest["bots"]) == 1
    bot = manifest["bots"][0]
    assert bot["scopes"] == ["personal", "team"]
    assert bot["supportsFiles"] is False
    assert manifest["name"]["short"] == "Pedagogical Helpdesk"
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_command_lists_per_scope(schema_v1_22):
    manifest = build_package(options(schema_path=schema_v1_22)).manifest
    lists = personal_and_team_lists(manifest)
    assert [entry["scopes"] for entry in manifest["bots"][0]["commandLists"]] == [["personal"], ["team"]]
    assert [command["title"] for command in lists["personal"]] == PERSONAL_COMMANDS
    assert [command["title"] for command in lists["team"]] == TEAM_COMMANDS
    for command in lists["personal"] + lists["team"]:
        assert command["description"].strip(), command
        assert len(command["description"]) <= 60, command


def test_message_extension_matches_bot(schema_v1_22):
    manifest = build_package(options(schema_path=schema_v1_22)).manifest
    extension = manifest["composeExtensions"][0]
    command = extension["commands"][0]

    assert extension["botId"] == APP_ID
    assert command["type"] == "query"
    assert [parameter["name"] for parameter in command["parameters"]] == [QUERY_PARAMETER]


# Rejected manifests


def test_wrong_manifest_version_rejected(tmp_path, capsys, schema_v1_22):
    template = write_template(tmp_path, lambda t: t.update(manifestVersion="1.21"))
    error = assert_rejected(tmp_path, capsys, package_args(tmp_path / "out.zip", "--template", str(template)), "manifestVersion")
    assert '"1.21"' in error
    assert 'requires "1.22"' in error


def test_short_name_of_31_chars_rejected(tmp_path, capsys, schema_v1_22):
    template = write_template(tmp_path, lambda t: t["name"].update(short="P" * 31))
    assert_rejected(tmp_path, capsys, package_args(tmp_path / "out.zip", "--template", str(template)), "name.short is 31 characters long; the maximum is 30")


def test_eleven_commands_rejected(tmp_path, capsys, schema_v1_22):
    commands = [{"title": f"command {number}", "description": "Does one thing"} for number in range(11)]
    template = write_template(tmp_path, lambda t: t["bots"][0]["commandLists"][0].update(commands=commands))
    assert_rejected(
        tmp_path, capsys, package_args(tmp_path / "out.zip", "--template", str(template)),
        "bots[0].commandLists[0].commands has 11 items; the maximum is 10",
    )


def test_invalid_guid_rejected(tmp_path, capsys):
    bad_id = "12345678-abcd-efgh-1234-1234567890ab"
    error = assert_rejected(tmp_path, capsys, package_args(tmp_path / "out.zip", app_id=bad_id), f"--app-id '{bad_id}' is not a GUID")
    # The bad id is reported once, not again at every place the template uses it.
    assert error.count(bad_id) == 1


def test_host_with_scheme_rejected(tmp_path, capsys):
    error = assert_rejected(tmp_path, capsys, package_args(tmp_path / "out.zip", host="https://bot.example.org"), "--host 'https://bot.example.org' has a scheme")
    assert "bot.example.org" in error.split("has a scheme", 1)[1]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("https://bot.example.org", "has a scheme"),
        ("bot.example.org/api/messages", "has a path"),
        ("bot.example.org:443", "has a port"),
        ("admin@bot.example.org", "has a user name"),
        ("bot_helpdesk.example.org", "is not a valid host name"),
        ("-bot.example.org", "is not a valid host name"),
        ("bot.example.org.", "is not a valid host name"),
        ("helpdesk", "is not a fully qualified host name"),
        ("", "--host is empty"),
    ],
)
def test_check_host_rejects(host, expected):
    problems = check_host(host)
    assert len(problems) == 1
    assert expected in problems[0]


@pytest.mark.parametrize("host", ["bot.example.org", "helpdesk-bot.sd43.bc.ca", "A1.example.org"])
def test_check_host_accepts(host):
    assert check_host(host) == []


def test_bad_version_and_urls_listed_together(tmp_path, capsys):
    args = [
        "--app-id", APP_ID, "--host", HOST, "--version", "1.0",
        "--website-url", "http://www.example.org", "--out", str(tmp_path / "out.zip"),
    ]
    error = assert_rejected(tmp_path, capsys, args, "--version '1.0' is invalid")
    assert "--website-url 'http://www.example.org' is invalid" in error
    assert "--privacy-url is missing" in error
    assert "--terms-url is missing" in error


def test_missing_schema_rejected(tmp_path, capsys):
    missing = tmp_path / "schemas" / "MicrosoftTeams.schema.json"
    assert_rejected(tmp_path, capsys, package_args(tmp_path / "out.zip", "--schema", str(missing)), f"Teams manifest schema {missing} was not found")


def test_failure_keeps_existing_zip(tmp_path, capsys):
    out = tmp_path / "helpdesk.zip"
    out.write_bytes(b"earlier package")
    assert_rejected(tmp_path, capsys, package_args(out, app_id="not-a-guid"), "is not a GUID")
    assert out.read_bytes() == b"earlier package"


def test_developer_defaults_from_config(tmp_path, schema_v1_22):
    config = tmp_path / "helpdesk.yaml"
    config.write_text("district:\n  name: Example School District\n  help_url: https://help.example.org/\n", encoding="utf-8")
    package = build_package(options(schema_path=schema_v1_22, developer_name=None, website_url=None, config_path=config))
    assert package.manifest["developer"]["name"] == "Example School District"
    assert package.manifest["developer"]["websiteUrl"] == "https://help.example.org/"


def test_http_help_url_from_config_rejected(tmp_path, capsys):
    config = tmp_path / "helpdesk.yaml"
    config.write_text("district:\n  name: Example School District\n  help_url: http://help.example.org/\n", encoding="utf-8")
    args = ["--app-id", APP_ID, "--host", HOST, "--privacy-url", "https://www.example.org/privacy", "--terms-url", "https://www.example.org/terms"]
    args += ["--config", str(config), "--out", str(tmp_path / "out.zip")]
    assert_rejected(tmp_path, capsys, args, f"district.help_url in {config} 'http://help.example.org/' is invalid")


def test_options_override_config(tmp_path, schema_v1_22):
    config = tmp_path / "helpdesk.yaml"
    config.write_text("district:\n  name: Example School District\n  help_url: https://help.example.org/\n", encoding="utf-8")
    package = build_package(options(schema_path=schema_v1_22, config_path=config))
    assert package.manifest["developer"]["name"] == "School District 43"
    assert package.manifest["developer"]["websiteUrl"] == "https://www.example.org/helpdesk"


def test_long_developer_name_names_option(tmp_path, capsys, schema_v1_22):
    args = package_args(tmp_path / "out.zip", "--developer-name", "D" * 33)
    assert_rejected(tmp_path, capsys, args, "developer.name is 33 characters long; the maximum is 32 (set with --developer-name)")


def test_developer_name_missing_rejected(tmp_path, capsys):
    config = tmp_path / "absent.yaml"
    error = assert_rejected(tmp_path, capsys, package_args(tmp_path / "out.zip", "--config", str(config)), "--developer-name is missing")
    assert str(config) in error


# Icons


def test_committed_icons_pass():
    assert check_color_icon(MANIFEST_DIR / "color.png") == []
    assert check_outline_icon(MANIFEST_DIR / "outline.png") == []


@pytest.mark.parametrize("filter_type", [0, 1, 2, 3, 4])
def test_decoder_undoes_each_filter(filter_type):
    def pixel(x, y):
        return (x * 7 % 256, y * 11 % 256, (x * y) % 256, 255 - x - y)

    rows = decode_rgba_pixels(encode_png(32, 32, pixel, filter_type=filter_type))
    assert rows == [[pixel(x, y) for x in range(32)] for y in range(32)]


def test_color_icon_wrong_size(tmp_path):
    path = tmp_path / "color.png"
    path.write_bytes(encode_png(191, 192, lambda x, y: (200, 50, 50), colour_type=2))
    problems = check_color_icon(path)
    assert len(problems) == 1
    assert "is 191×192 pixels; Teams requires exactly 192×192" in problems[0]


def test_color_icon_greyscale_rejected(tmp_path):
    path = tmp_path / "color.png"
    path.write_bytes(encode_png(192, 192, lambda x, y: (128,), colour_type=0))
    problems = check_color_icon(path)
    assert len(problems) == 1
    assert "is greyscale" in problems[0]


def test_outline_icon_wrong_size(tmp_path):
    path = tmp_path / "outline.png"
    path.write_bytes(encode_png(48, 48, white_mark))
    problems = check_outline_icon(path)
    assert len(problems) == 1
    assert "is 48×48 pixels; Teams requires exactly 32×32" in problems[0]


def test_outline_icon_white_mark_passes(tmp_path):
    path = tmp_path / "outline.png"
    path.write_bytes(encode_png(32, 32, white_mark, filter_type=4))
    assert check_outline_icon(path) == []


def test_outline_icon_coloured_pixel_rejected(tmp_path):
    def with_red_pixel(x, y):
        return (255, 0, 0, 128) if (x, y) == (10, 12) else white_mark(x, y)

    path = tmp_path / "outline.png"
    path.write_bytes(encode_png(32, 32, with_red_pixel))
    problems = check_outline_icon(path)
    assert len(problems) == 1
    assert "1 pixels that are neither white nor transparent" in problems[0]
    assert "(10, 12) with colour #FF0000 and alpha 128" in problems[0]


def test_outline_icon_opaque_background_rejected(tmp_path):
    path = tmp_path / "outline.png"
    path.write_bytes(encode_png(32, 32, lambda x, y: (255, 255, 255, 255)))
    problems = check_outline_icon(path)
    assert len(problems) == 1
    assert "has no transparent pixels" in problems[0]


def test_outline_icon_without_alpha_rejected(tmp_path):
    path = tmp_path / "outline.png"
    path.write_bytes(encode_png(32, 32, lambda x, y: (255, 255, 255), colour_type=2))
    problems = check_outline_icon(path)
    assert len(problems) == 1
    assert "8-bit RGB PNG; save it as a non-interlaced 8-bit RGBA PNG" in problems[0]


def test_icon_not_png_rejected(tmp_path):
    path = tmp_path / "outline.png"
    path.write_bytes(b"GIF89a not a png")
    problems = check_outline_icon(path)
    assert len(problems) == 1
    assert "is not a valid PNG file" in problems[0]


def test_icon_bad_crc_rejected(tmp_path):
    data = bytearray(encode_png(32, 32, white_mark))
    data[20] ^= 0xFF  # a byte inside the IHDR body
    path = tmp_path / "outline.png"
    path.write_bytes(bytes(data))
    problems = check_outline_icon(path)
    assert len(problems) == 1
    assert "bad CRC" in problems[0]


def test_bad_icon_stops_packaging(tmp_path, capsys):
    icons = tmp_path / "icons"
    icons.mkdir()
    (icons / "color.png").write_bytes((MANIFEST_DIR / "color.png").read_bytes())
    (icons / "outline.png").write_bytes(encode_png(32, 32, lambda x, y: (0, 0, 0, 255) if x == y else (255, 255, 255, 0)))
    error = assert_rejected(tmp_path, capsys, package_args(tmp_path / "out.zip", "--icons-dir", str(icons)), "neither white nor transparent")
    assert str(icons / "outline.png") in error


# The zip


def test_zip_holds_exactly_three_files(tmp_path, capsys, schema_v1_22):
    out = tmp_path / "build" / "helpdesk.zip"
    assert main(package_args(out)) == 0, capsys.readouterr().err
    with zipfile.ZipFile(out) as archive:
        assert set(archive.namelist()) == PACKAGE_FILES
        assert len(archive.namelist()) == 3
        manifest = json.loads(archive.read("manifest.json"))
        color = archive.read("color.png")
        outline = archive.read("outline.png")
    assert manifest["id"] == APP_ID
    assert manifest["validDomains"] == [HOST]
    assert color == (MANIFEST_DIR / "color.png").read_bytes()
    assert outline == (MANIFEST_DIR / "outline.png").read_bytes()
    assert sorted(path.name for path in out.parent.iterdir()) == ["helpdesk.zip"]


def test_zip_same_inputs_same_bytes(tmp_path, capsys, schema_v1_22):
    first = tmp_path / "first.zip"
    second = tmp_path / "second.zip"
    assert main(package_args(first)) == 0, capsys.readouterr().err
    assert main(package_args(second)) == 0, capsys.readouterr().err
    assert first.read_bytes() == second.read_bytes()
