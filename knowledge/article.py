"""The knowledge-base article and its validation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

KINDS = ("faq", "video", "course")
AUDIENCES = ("all", "elementary", "middle", "secondary")
STATUSES = ("published", "draft")

REQUIRED_FIELDS = ("id", "title", "category", "kind", "url", "summary")
OPTIONAL_FIELDS = ("keywords", "audience", "status")

# Slugs such as "kb-onenote-create-notebook": lower-case words joined by hyphens.
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

MAX_ID_LENGTH = 80
MAX_TITLE_LENGTH = 200
MAX_URL_LENGTH = 2000
MAX_SUMMARY_LENGTH = 2000
MAX_KEYWORDS = 40
MAX_KEYWORD_LENGTH = 100

# The CSV format joins keywords with this character, so no keyword may contain it.
KEYWORD_SEPARATOR = ";"


class ArticleError(ValueError):
    """An article field is missing or invalid; `field` names it."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem


@dataclass(frozen=True)
class Article:
    """One self-help answer: an FAQ, a video or a course, linked by URL."""

    id: str
    title: str
    category: str
    kind: str
    url: str
    summary: str
    keywords: tuple[str, ...] = field(default=())
    audience: str = "all"
    status: str = "published"

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def to_dict(self) -> dict[str, Any]:
        """Convert to plain types for YAML or JSON; `from_dict` reads the result back."""
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "kind": self.kind,
            "url": self.url,
            "summary": self.summary,
            "keywords": list(self.keywords),
            "audience": self.audience,
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Article:
        """Validate `data` and build an article from it.

        Raises ArticleError naming the first invalid field. Surrounding
        whitespace is stripped from text fields, and absent optional fields
        take their defaults.
        """
        if not isinstance(data, Mapping):
            raise ArticleError("article", f"expected a mapping of fields, got {type(data).__name__}")

        unknown = sorted(str(name) for name in data if name not in REQUIRED_FIELDS + OPTIONAL_FIELDS)
        if unknown:
            allowed = ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS)
            raise ArticleError(unknown[0], f"unknown field; allowed fields are {allowed}")

        article_id = _require_text(data, "id", MAX_ID_LENGTH)
        if not SLUG_PATTERN.match(article_id):
            raise ArticleError("id", f"invalid slug {article_id!r}; use lower-case letters, digits and single hyphens")

        category = _require_text(data, "category", MAX_ID_LENGTH)
        if not SLUG_PATTERN.match(category):
            raise ArticleError("category", f"invalid category id {category!r}; use a catalogue id such as 'onenote'")

        kind = _require_text(data, "kind", 20)
        _require_choice("kind", kind, KINDS)

        url = _require_text(data, "url", MAX_URL_LENGTH)
        _validate_url(url)

        audience = _optional_text(data, "audience", "all")
        _require_choice("audience", audience, AUDIENCES)

        status = _optional_text(data, "status", "published")
        _require_choice("status", status, STATUSES)

        return cls(
            id=article_id,
            title=_require_text(data, "title", MAX_TITLE_LENGTH),
            category=category,
            kind=kind,
            url=url,
            summary=_require_text(data, "summary", MAX_SUMMARY_LENGTH),
            keywords=_parse_keywords(data.get("keywords")),
            audience=audience,
            status=status,
        )


def _require_text(data: Mapping[str, Any], name: str, max_length: int) -> str:
    if name not in data or data[name] is None:
        raise ArticleError(name, "missing")
    value = data[name]
    if not isinstance(value, str):
        raise ArticleError(name, f"expected text, got {type(value).__name__}")
    value = value.strip()
    if not value:
        raise ArticleError(name, "empty")
    if len(value) > max_length:
        raise ArticleError(name, f"too long ({len(value)} characters, maximum {max_length})")
    return value


def _optional_text(data: Mapping[str, Any], name: str, default: str) -> str:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if not isinstance(value, str):
        raise ArticleError(name, f"expected text, got {type(value).__name__}")
    return value.strip()


def _require_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ArticleError(name, f"unknown value {value!r}; expected one of {', '.join(choices)}")


def _validate_url(url: str) -> None:
    if any(character.isspace() for character in url):
        raise ArticleError("url", f"contains whitespace: {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ArticleError("url", f"must start with http:// or https://, got {url!r}")
    if not parts.hostname:
        raise ArticleError("url", f"has no host name: {url!r}")


def _parse_keywords(value: Any) -> tuple[str, ...]:
    """Accept a list of strings, or one string separated by semicolons as in CSV files."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = value.split(KEYWORD_SEPARATOR)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ArticleError("keywords", f"expected a list of text, got {type(value).__name__}")

    keywords: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ArticleError("keywords", f"expected text, got {type(item).__name__} ({item!r})")
        keyword = item.strip()
        if not keyword:
            if isinstance(value, str):
                continue
            raise ArticleError("keywords", "contains an empty keyword")
        if KEYWORD_SEPARATOR in keyword:
            raise ArticleError("keywords", f"keyword {keyword!r} contains {KEYWORD_SEPARATOR!r}, the CSV separator")
        if len(keyword) > MAX_KEYWORD_LENGTH:
            raise ArticleError("keywords", f"keyword too long ({len(keyword)} characters, maximum {MAX_KEYWORD_LENGTH})")
        keywords.append(keyword)

    if len(keywords) > MAX_KEYWORDS:
        raise ArticleError("keywords", f"too many keywords ({len(keywords)}, maximum {MAX_KEYWORDS})")
    return tuple(keywords)
