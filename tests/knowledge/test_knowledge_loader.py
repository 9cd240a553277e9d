"""Loading and writing article files."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.article import KINDS, Article
from knowledge.loader import ArticleImportError, dump_articles, load_articles

CSV_HEADER = "id,title,category,kind,url,summary,keywords\n"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def csv_row(article_id: str, **overrides: str) -> str:
    cells = {
        "id": article_id,
        "title": "A title",
        "category": "forms",
        "kind": "faq",
        "url": "https://example.org/a",
        "summary": "Do this. Then that.",
        "keywords": "quiz; test",
        **overrides,
    }
    ordered_cells = [cells[name] for name in ("id", "title", "category", "kind", "url", "summary", "keywords")]
    return ",".join(f'"{cell}"' if "," in cell else cell for cell in ordered_cells) + "\n"


def make_article(article_id: str, **overrides: object) -> Article:
    fields: dict[str, object] = {
        "id": article_id,
        "title": f"Title of {article_id}",
        "category": "forms",
        "kind": "faq",
        "url": "https://example.org/a",
        "summary": "First sentence. Second sentence.",
        "keywords": ["quiz", "self marking"],
        **overrides,
    }
    return Article.from_dict(fields)


def test_load_yaml_articles(tmp_path):
    path = write(
        tmp_path / "articles.yaml",
        """
        articles:
          - id: kb-one
            title: One
            category: forms
            kind: faq
            url: https://example.org/1
            summary: First. Second.
            keywords: [quiz]
          - id: kb-two
            title: Two
            category: sway
            kind: video
            url: http://example.org/2
            summary: First. Second.
        """,
    )

    articles = load_articles(path)

    assert [article.id for article in articles] == ["kb-one", "kb-two"]
    assert articles[0].keywords == ("quiz",)
    assert articles[1].keywords == ()


def test_load_yaml_bare_list(tmp_path):
    path = write(
        tmp_path / "articles.yml",
        """
        - {id: kb-one, title: One, category: forms, kind: faq, url: "https://example.org/1", summary: "A. B."}
        """,
    )

    assert [article.id for article in load_articles(path)] == ["kb-one"]


def test_load_csv_articles(tmp_path):
    path = write(tmp_path / "articles.csv", CSV_HEADER + csv_row("kb-one") + csv_row("kb-two", keywords="micro bit;;microbit"))

    articles = load_articles(path)

    assert [article.id for article in articles] == ["kb-one", "kb-two"]
    assert articles[0].keywords == ("quiz", "test")
    assert articles[1].keywords == ("micro bit", "microbit")


def test_csv_with_excel_bom_and_blank_rows(tmp_path):
    path = tmp_path / "articles.csv"
    path.write_text("\ufeff" + CSV_HEADER + csv_row("kb-one") + ",,,,,,\n\n", encoding="utf-8")

    assert [article.id for article in load_articles(path)] == ["kb-one"]


def test_yaml_collects_every_bad_entry(tmp_path):
    path = write(
        tmp_path / "articles.yaml",
        """
        articles:
          - id: kb-good
            title: Good
            category: forms
            kind: faq
            url: https://example.org/1
            summary: A. B.
          - id: kb-no-title
            category: forms
            kind: faq
            url: https://example.org/2
            summary: A. B.
          - id: kb-bad-kind
            title: Bad kind
            category: forms
            kind: podcast
            url: https://example.org/3
            summary: A. B.
          - id: kb-bad-url
            title: Bad URL
            category: forms
            kind: faq
            url: www.example.org/4
            summary: A. B.
        """,
    )

    with pytest.raises(ArticleImportError) as raised:
        load_articles(path)

    problems = raised.value.problems
    assert [problem.entry for problem in problems] == [2, 3, 4]
    assert [problem.line for problem in problems] == [8, 13, 19]
    assert [problem.article_id for problem in problems] == ["kb-no-title", "kb-bad-kind", "kb-bad-url"]
    assert "title: missing" in problems[0].message
    assert "kind: unknown value 'podcast'" in problems[1].message
    assert "url: must start with http:// or https://" in problems[2].message
    assert "entry 3, line 13 (kb-bad-kind): kind" in str(raised.value)
    assert "3 problem(s) found, nothing was imported" in str(raised.value)


def test_csv_reports_line_numbers(tmp_path):
    multi_line_summary = '"First line,\nsecond line. Done."'
    rows = (
        CSV_HEADER
        + f"kb-multi,Title,forms,faq,https://example.org/1,{multi_line_summary},quiz\n"
        + csv_row("kb-bad-kind", kind="webinar")
        + csv_row("kb-bad-url", url="mailto:someone@example.org")
        + "kb-short,Only three cells\n"
        + csv_row("kb-wide")[:-1]
        + ",extra cell\n"
    )
    path = write(tmp_path / "articles.csv", rows)

    with pytest.raises(ArticleImportError) as raised:
        load_articles(path)

    problems = raised.value.problems
    assert [(problem.entry, problem.line) for problem in problems] == [(2, 4), (3, 5), (4, 6), (5, 7)]
    assert "kind: unknown value 'webinar'" in problems[0].message
    assert "url:" in problems[1].message
    assert "category: missing" in problems[2].message
    assert "8 cells but the header has 7 columns" in problems[3].message


def test_csv_missing_column_rejected(tmp_path):
    path = write(tmp_path / "articles.csv", "id,title,category,kind,summary\nkb-one,T,forms,faq,A. B.\n")

    with pytest.raises(ArticleImportError) as raised:
        load_articles(path)

    assert len(raised.value.problems) == 1
    assert "missing column(s) url" in raised.value.problems[0].message


def test_csv_unknown_column_rejected(tmp_path):
    path = write(tmp_path / "articles.csv", CSV_HEADER.strip() + ",author\n" + csv_row("kb-one").strip() + ",me\n")

    with pytest.raises(ArticleImportError) as raised:
        load_articles(path)

    assert "unknown column(s) author" in raised.value.problems[0].message


def test_duplicate_ids_rejected(tmp_path):
    path = write(tmp_path / "articles.csv", CSV_HEADER + csv_row("kb-one") + csv_row("kb-two") + csv_row("kb-one"))

    with pytest.raises(ArticleImportError) as raised:
        load_articles(path)

    problems = raised.value.problems
    assert len(problems) == 1
    assert problems[0].entry == 3
    assert "duplicate id 'kb-one', first used by entry 1" in problems[0].message


def test_unknown_category_rejected(tmp_path):
    path = write(tmp_path / "articles.csv", CSV_HEADER + csv_row("kb-one") + csv_row("kb-two", category="cooking"))

    with pytest.raises(ArticleImportError) as raised:
        load_articles(path, known_categories={"forms", "sway"})

    problems = raised.value.problems
    assert [problem.entry for problem in problems] == [2]
    assert "unknown category 'cooking'; expected one of forms, sway" in problems[0].message


def test_unknown_category_allowed_without_catalogue(tmp_path):
    path = write(tmp_path / "articles.csv", CSV_HEADER + csv_row("kb-one", category="cooking"))

    assert load_articles(path)[0].category == "cooking"


def test_invalid_yaml_reports_line(tmp_path):
    path = write(tmp_path / "articles.yaml", "articles:\n  - id: kb-one\n    title: [unclosed\n")

    with pytest.raises(ArticleImportError) as raised:
        load_articles(path)

    assert "invalid YAML" in raised.value.problems[0].message
    assert raised.value.problems[0].line is not None


@pytest.mark.parametrize(
    "text",
    ["articles: 5\n", "just a string\n", "articles: []\nextra: 1\n"],
)
def test_wrong_yaml_shape_rejected(tmp_path, text):
    path = write(tmp_path / "articles.yaml", text)

    with pytest.raises(ArticleImportError):
        load_articles(path)


def test_yaml_entry_that_is_not_mapping(tmp_path):
    path = write(tmp_path / "articles.yaml", "articles:\n  - just text\n")

    with pytest.raises(ArticleImportError) as raised:
        load_articles(path)

    assert "expected a mapping" in raised.value.problems[0].message


def test_empty_files_load_no_articles(tmp_path):
    assert load_articles(write(tmp_path / "empty.yaml", "")) == []
    assert load_articles(write(tmp_path / "empty.csv", CSV_HEADER)) == []


def test_missing_file_rejected(tmp_path):
    with pytest.raises(ArticleImportError) as raised:
        load_articles(tmp_path / "absent.yaml")

    assert "file not found" in str(raised.value)


def test_unsupported_suffix_rejected(tmp_path):
    path = write(tmp_path / "articles.json", "[]")

    with pytest.raises(ArticleImportError) as raised:
        load_articles(path)

    assert "unsupported file type '.json'" in str(raised.value)


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_dump_and_load_round_trip(tmp_path, suffix):
    articles = [
        make_article("kb-one"),
        make_article("kb-two", kind="video", keywords=[], audience="secondary", status="draft"),
        make_article("kb-three", summary='Quotes "here", commas, and\na new line.', title="Crème brûlée, école"),
    ]
    path = tmp_path / f"articles{suffix}"

    dump_articles(articles, path)

    assert load_articles(path) == articles


def test_dump_yaml_has_articles_key(tmp_path):
    path = tmp_path / "articles.yaml"

    dump_articles([make_article("kb-one")], path)

    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(document) == ["articles"]
    assert document["articles"][0]["id"] == "kb-one"


def test_dump_csv_joins_keywords(tmp_path):
    path = tmp_path / "articles.csv"

    dump_articles([make_article("kb-one", keywords=["one note", "homework"])], path)

    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows[0]["keywords"] == "one note; homework"


def test_dump_rejects_unknown_suffix_and_keeps_file(tmp_path):
    path = tmp_path / "articles.txt"
    path.write_text("old", encoding="utf-8")

    with pytest.raises(ValueError):
        dump_articles([make_article("kb-one")], path)

    assert path.read_text(encoding="utf-8") == "old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["articles.txt"]


safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(lambda text: text.strip() == text and text.strip())
slugs = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(slugs, min_size=1, max_size=5, unique=True),
    title=safe_text,
    summary=safe_text,
    keywords=st.lists(safe_text.filter(lambda text: ";" not in text), max_size=4),
    kind=st.sampled_from(KINDS),
    suffix=st.sampled_from([".yaml", ".csv"]),
)
def test_round_trip_arbitrary_text(tmp_path_factory, ids, title, summary, keywords, kind, suffix):
    articles = [make_article(article_id, title=title, summary=summary, keywords=keywords, kind=kind) for article_id in ids]
    path = tmp_path_factory.mktemp("round-trip") / f"articles{suffix}"

    dump_articles(articles, path)

    assert load_articles(path) == articles
