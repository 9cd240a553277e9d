"""Article validation and conversion."""

from __future__ import annotations

import dataclasses

import pytest

from knowledge.article import Article, ArticleError

MISSING = object()  # a change value that removes the field


def test_from_dict_builds_article(valid_fields):
    article = Article.from_dict(valid_fields)

    assert article.id == "kb-test-article"
    assert article.keywords == ("one note", "handout")
    assert article.audience == "all"
    assert article.status == "published"
    assert article.is_published


def test_to_dict_round_trip(valid_fields):
    article = Article.from_dict({**valid_fields, "audience": "middle", "status": "draft"})

    assert Article.from_dict(article.to_dict()) == article


def test_article_is_frozen(valid_fields):
    article = Article.from_dict(valid_fields)

    with pytest.raises(dataclasses.FrozenInstanceError):
        article.title = "Changed"  # type: ignore[misc]


def test_text_fields_are_stripped(valid_fields):
    article = Article.from_dict({**valid_fields, "title": "  Padded title  "})

    assert article.title == "Padded title"


def test_keywords_from_semicolon_text(valid_fields):
    article = Article.from_dict({**valid_fields, "keywords": "one note; homework ;; quiz"})

    assert article.keywords == ("one note", "homework", "quiz")


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"title": MISSING}, "title", "missing"),
        ({"url": MISSING}, "url", "missing"),
        ({"title": None}, "title", "missing"),
        ({"title": "   "}, "title", "empty"),
        ({"summary": None}, "summary", "missing"),
        ({"id": "Has Spaces"}, "id", "invalid slug"),
        ({"id": "x" * 81}, "id", "too long"),
        ({"category": "One Note"}, "category", "invalid category id"),
        ({"kind": "podcast"}, "kind", "unknown value 'podcast'"),
        ({"url": "ftp://example.org/file"}, "url", "http:// or https://"),
        ({"url": "javascript:alert(1)"}, "url", "http:// or https://"),
        ({"url": "https://"}, "url", "no host name"),
        ({"url": "https://example.org/a b"}, "url", "whitespace"),
        ({"title": 42}, "title", "expected text, got int"),
        ({"audience": "university"}, "audience", "unknown value"),
        ({"status": "archived"}, "status", "unknown value"),
        ({"keywords": 7}, "keywords", "expected a list"),
        ({"keywords": ["ok", 3]}, "keywords", "expected text"),
        ({"keywords": ["ok", " "]}, "keywords", "empty keyword"),
        ({"keywords": ["a;b"]}, "keywords", "CSV separator"),
        ({"keywords": [f"word{index}" for index in range(41)]}, "keywords", "too many"),
        ({"summary": "x" * 2001}, "summary", "too long"),
        ({"titel": "typo"}, "titel", "unknown field"),
    ],
)
def test_from_dict_rejects_invalid_field(valid_fields, change, field, problem):
    fields = {**valid_fields, **change}
    for name, value in change.items():
        if value is MISSING:
            del fields[name]

    with pytest.raises(ArticleError) as raised:
        Article.from_dict(fields)

    assert raised.value.field == field
    assert problem in raised.value.problem
    assert str(raised.value).startswith(f"{field}: ")


def test_from_dict_rejects_non_mapping():
    with pytest.raises(ArticleError) as raised:
        Article.from_dict(["not", "a", "mapping"])  # type: ignore[arg-type]

    assert raised.value.field == "article"


def test_article_error_is_value_error():
    assert issubclass(ArticleError, ValueError)
