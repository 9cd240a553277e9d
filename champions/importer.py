"""Reading the champion directory from a CSV or YAML file, checking every row before anything is stored.

CSV columns (a header row is required): id, name, upn, school, categories,
monthly_capacity and, optionally, available. Categories in a CSV cell are
separated by semicolons. A YAML file is a list of mappings with the same
keys, or a mapping whose `champions` key holds that list; its categories may
be a list. `*` as a category means every category. An empty `available`
keeps the flag already stored (a new champion starts available).
"""

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from champions.champion import ANY_CATEGORY, Champion
from domain.catalogue import Catalogue
from domain.schools import SchoolDirectory

COLUMNS = ("id", "name", "upn", "school", "categories", "monthly_capacity", "available")
REQUIRED = COLUMNS[:-1]
MAX_CAPACITY = 100
NAME_MAX_CHARS = 120
ID_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,99}$")
UPN_PATTERN = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
TRUE_WORDS = {"yes", "true", "1", "y"}
FALSE_WORDS = {"no", "false", "0", "n"}


class ChampionImportError(Exception):
    """The file cannot be imported; `problems` lists (line number, problem) for every bad row."""

    def __init__(self, path: Path, problems: list[tuple[int, str]]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  line {line}: {problem}" for line, problem in problems)
        super().__init__(f"{path}: {len(problems)} problem(s), nothing was imported:\n{lines}")


@dataclass(frozen=True)
class ImportedChampion:
    """A checked row: the champion, and whether the row set the available flag."""

    champion: Champion
    sets_availability: bool
    line: int


def load_champions(path: Path, catalogue: Catalogue, schools: SchoolDirectory) -> list[ImportedChampion]:
    """Read and check every row of a .csv, .yaml or .yml file; raises ChampionImportError listing every bad row."""
    rows = _read_rows(path)
    problems: list[tuple[int, str]] = []
    imported: list[ImportedChampion] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        try:
            champion, sets_availability = _champion(row, catalogue, schools)
        except ValueError as error:
            problems.append((line, str(error)))
            continue
        if champion.id in seen:
            problems.append((line, f"id {champion.id} is repeated; it was first given on line {seen[champion.id]}"))
            continue
        seen[champion.id] = line
        imported.append(ImportedChampion(champion, sets_availability, line))
    if not rows and not problems:
        problems.append((1, "the file lists no champions"))
    if problems:
        raise ChampionImportError(path, problems)
    return imported


def _read_rows(path: Path) -> list[tuple[int, Mapping[str, Any]]]:
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ChampionImportError(path, [(0, f"the file cannot be read: {error.strerror or error}")]) from error
    if suffix == ".csv":
        return _csv_rows(path, text)
    if suffix in (".yaml", ".yml"):
        return _yaml_rows(path, text)
    raise ChampionImportError(path, [(0, f"the file type '{suffix}' is not supported; use .csv, .yaml or .yml")])


def _csv_rows(path: Path, text: str) -> list[tuple[int, Mapping[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in REQUIRED if column not in (reader.fieldnames or ())]
    if missing:
        raise ChampionImportError(path, [(1, f"the header lacks the column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")])
    rows = []
    for row in reader:
        # DictReader counts physical lines, so a quoted cell with a line break still gives the row's last line.
        rows.append((reader.line_num, row))
    return rows


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records the line of each mapping under the key `__line__`."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def _yaml_rows(path: Path, text: str) -> list[tuple[int, Mapping[str, Any]]]:
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ChampionImportError(path, [(mark.line + 1 if mark else 0, f"the file is not valid YAML: {error}")]) from error
    if isinstance(data, dict) and "champions" in data:
        data = data["champions"]
    if not isinstance(data, list):
        raise ChampionImportError(path, [(1, "the file must be a list of champions, or a mapping with a 'champions' list")])
    rows: list[tuple[int, Mapping[str, Any]]] = []
    for item in data:
        if not isinstance(item, dict):
            raise ChampionImportError(path, [(0, f"every champion must be a mapping of {', '.join(COLUMNS)}, not {item!r}")])
        line = item.pop("__line__")
        rows.append((line, item))
    return rows


def _champion(row: Mapping[str, Any], catalogue: Catalogue, schools: SchoolDirectory) -> tuple[Champion, bool]:
    """Return the champion of one row and whether it set `available`; raises ValueError naming every bad field."""
    problems: list[str] = []
    unknown = sorted(str(key) for key in row if key not in COLUMNS and key is not None)
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}")

    champion_id = _text(row.get("id"))
    if not ID_PATTERN.match(champion_id):
        problems.append(f"id {champion_id!r} is not an Entra ID object id" if champion_id else "id is missing")
    name = _text(row.get("name"))
    if not name or len(name) > NAME_MAX_CHARS:
        problems.append(f"name is missing or longer than {NAME_MAX_CHARS} characters")
    upn = _text(row.get("upn"))
    if not UPN_PATTERN.match(upn):
        problems.append(f"upn {upn!r} is not a user principal name such as jo.lee@district.example" if upn else "upn is missing")

    school_name = _text(row.get("school"))
    school = schools.get(school_name) if school_name else None
    if school is None:
        problems.append(f"school {school_name!r} is not in the school directory" if school_name else "school is missing")

    categories = _categories(row.get("categories"))
    bad = [category for category in categories if category != ANY_CATEGORY and catalogue.get(category) is None]
    if not categories:
        problems.append("categories is missing; list catalogue category ids separated by ';', or * for every category")
    elif bad:
        problems.append(f"categor{'y' if len(bad) == 1 else 'ies'} {', '.join(bad)} not in the service catalogue")

    capacity_text = _text(row.get("monthly_capacity"))
    if not (capacity_text.isascii() and capacity_text.isdigit()) or int(capacity_text) > MAX_CAPACITY:
        problems.append(f"monthly_capacity {capacity_text!r} is not a whole number from 0 to {MAX_CAPACITY}")

    available_text = _text(row.get("available")).lower()
    if available_text and available_text not in TRUE_WORDS | FALSE_WORDS:
        problems.append(f"available {available_text!r} is not yes or no")

    if problems:
        raise ValueError("; ".join(problems))
    champion = Champion(
        id=champion_id,
        name=name,
        upn=upn.lower(),
        school=school.name,
        categories=tuple(dict.fromkeys(categories)),
        monthly_capacity=int(capacity_text),
        available=available_text not in FALSE_WORDS,
    )
    return champion, bool(available_text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip() if isinstance(value, (str, int)) else repr(value)


def _categories(value: Any) -> list[str]:
    if isinstance(value, list):
        items = [_text(item) for item in value]
    else:
        items = _text(value).split(";")
    return [item.strip() for item in items if item.strip()]
