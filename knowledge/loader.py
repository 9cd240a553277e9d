"""Reading and writing article files in YAML or CSV.

YAML files contain a top-level `articles:` list (a bare list is accepted too).
CSV files have a header row with the columns id, title, category, kind, url,
summary and keywords, plus the optional columns audience and status. Keywords
in one cell are separated by semicolons.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.article import KEYWORD_SEPARATOR, MAX_ID_LENGTH, OPTIONAL_FIELDS, REQUIRED_FIELDS, Article, ArticleError

YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)
CSV_COLUMNS = REQUIRED_FIELDS + OPTIONAL_FIELDS


@dataclass(frozen=True)
class ImportProblem:
    """One invalid entry in an article file."""

    entry: int | None  # 1-based position among the articles; None for file-level problems
    line: int | None  # 1-based line where the entry starts, when known
    article_id: str | None
    message: str

    def __str__(self) -> str:
        location = []
        if self.entry is not None:
            location.append(f"entry {self.entry}")
        if self.line is not None:
            location.append(f"line {self.line}")
        where = ", ".join(location) if location else "file"
        label = f" ({self.article_id})" if self.article_id else ""
        return f"{where}{label}: {self.message}"


class ArticleImportError(ValueError):
    """An article file is unreadable or has invalid entries; `problems` lists every one."""

    def __init__(self, path: Path | str, problems: list[ImportProblem]) -> None:
        self.path = Path(path)
        self.problems = problems
        lines = [f"{self.path}: {len(problems)} problem(s) found, nothing was imported"]
        lines.extend(f"  {problem}" for problem in problems)
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class _RawEntry:
    entry: int
    line: int | None
    data: Any
    problem: str | None = None  # set when the entry is malformed before field validation


def load_articles(path: Path | str, known_categories: Collection[str] | None = None) -> list[Article]:
    """Load and validate every article in a YAML or CSV file, chosen by suffix.

    Raises ArticleImportError listing every invalid entry, duplicate id and,
    when `known_categories` is given, every category outside it. Either all
    articles load or none do.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ArticleImportError(path, [ImportProblem(None, None, None, "file not found")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ArticleImportError(path, [ImportProblem(None, None, None, f"cannot read file: {error}")]) from error

    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        entries = _read_yaml_entries(path, text)
    elif suffix in CSV_SUFFIXES:
        entries = _read_csv_entries(path, text)
    else:
        message = f"unsupported file type {suffix or '(none)'!r}; use .yaml, .yml or .csv"
        raise ArticleImportError(path, [ImportProblem(None, None, None, message)])

    return _validate_entries(path, entries, known_categories)


def dump_articles(articles: Iterable[Article], path: Path | str) -> None:
    """Write articles to a YAML or CSV file, chosen by suffix.

    The file is replaced atomically, so a failed write leaves any old file intact.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        document = {"articles": [article.to_dict() for article in articles]}
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    elif suffix in CSV_SUFFIXES:
        text = _format_csv(articles)
    else:
        raise ValueError(f"unsupported file type {suffix or '(none)'!r} for {path}; use .yaml, .yml or .csv")
    _write_atomically(path, text)


def _read_yaml_entries(path: Path, text: str) -> list[_RawEntry]:
    # Composing the node tree first keeps each entry's line number for error messages.
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        document = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        raise ArticleImportError(path, [ImportProblem(None, _yaml_error_line(error), None, f"invalid YAML: {error}")]) from error
    finally:
        loader.dispose()

    if document is None:
        return []

    items_node = root
    items = document
    if isinstance(document, dict):
        if set(document) != {"articles"}:
            message = "expected a top-level 'articles:' list and no other keys"
            raise ArticleImportError(path, [ImportProblem(None, 1, None, message)])
        items = document["articles"]
        items_node = next(value for key, value in root.value if key.value == "articles")
        if items is None:
            return []

    if not isinstance(items, list):
        message = f"expected a list of articles, got {type(items).__name__}"
        raise ArticleImportError(path, [ImportProblem(None, 1, None, message)])

    return [
        _RawEntry(entry=index, line=node.start_mark.line + 1, data=item)
        for index, (node, item) in enumerate(zip(items_node.value, items), start=1)
    ]


def _yaml_error_line(error: yaml.YAMLError) -> int | None:
    mark = getattr(error, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


def _read_csv_entries(path: Path, text: str) -> list[_RawEntry]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED_FIELDS if column not in header]
    unknown = [column for column in header if column not in CSV_COLUMNS]
    problems = []
    if not header:
        problems.append(ImportProblem(None, 1, None, f"missing header row; expected columns {', '.join(CSV_COLUMNS)}"))
    else:
        if missing:
            problems.append(ImportProblem(None, 1, None, f"missing column(s) {', '.join(missing)}"))
        if unknown:
            problems.append(ImportProblem(None, 1, None, f"unknown column(s) {', '.join(unknown)}; allowed are {', '.join(CSV_COLUMNS)}"))
    if problems:
        raise ArticleImportError(path, problems)

    entries = []
    next_line = 2
    entry = 0
    for row in reader:
        line = next_line
        # A quoted field may span several lines, so the next row starts after the reader's position.
        next_line = reader.line_num + 1
        # Spreadsheet exports often end with rows of empty cells; they carry no article.
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in row.values()):
            continue
        entry += 1
        if None in row:
            # DictReader puts the cells beyond the header under the key None.
            problem = f"row has {len(header) + len(row[None])} cells but the header has {len(header)} columns"
            entries.append(_RawEntry(entry=entry, line=line, data=_present_cells(row), problem=problem))
            continue
        entries.append(_RawEntry(entry=entry, line=line, data=_present_cells(row)))
    return entries


def _present_cells(row: dict[str | None, Any]) -> dict[str, str]:
    """Drop empty cells so that validation reports them as missing fields."""
    return {name: value for name, value in row.items() if isinstance(name, str) and isinstance(value, str) and value.strip()}


def _validate_entries(path: Path, entries: list[_RawEntry], known_categories: Collection[str] | None) -> list[Article]:
    articles: list[Article] = []
    problems: list[ImportProblem] = []
    first_entry_by_id: dict[str, int] = {}

    for raw in entries:
        article_id = _raw_id(raw.data)
        if raw.problem is not None:
            problems.append(ImportProblem(raw.entry, raw.line, article_id, raw.problem))
            continue
        try:
            article = Article.from_dict(raw.data)
        except ArticleError as error:
            problems.append(ImportProblem(raw.entry, raw.line, article_id, str(error)))
            continue

        if known_categories is not None and article.category not in known_categories:
            message = f"category: unknown category {article.category!r}; expected one of {', '.join(sorted(known_categories))}"
            problems.append(ImportProblem(raw.entry, raw.line, article.id, message))
            continue

        first_entry = first_entry_by_id.get(article.id)
        if first_entry is not None:
            message = f"id: duplicate id {article.id!r}, first used by entry {first_entry}"
            problems.append(ImportProblem(raw.entry, raw.line, article.id, message))
            continue
        first_entry_by_id[article.id] = raw.entry
        articles.append(article)

    if problems:
        raise ArticleImportError(path, problems)
    return articles


def _raw_id(data: Any) -> str | None:
    """Return the entry's id for error messages, even when the entry is invalid."""
    if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"].strip():
        return data["id"].strip()[:MAX_ID_LENGTH]
    return None


def _format_csv(articles: Iterable[Article]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for article in articles:
        row = article.to_dict()
        row["keywords"] = f"{KEYWORD_SEPARATOR} ".join(article.keywords)
        writer.writerow(row)
    return buffer.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary_name, path)
    except BaseException:
        Path(temporary_name).unlink(missing_ok=True)
        raise
