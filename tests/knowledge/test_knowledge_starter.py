"""Content checks on the starter knowledge base."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from knowledge import DEFAULT_ARTICLES_PATH, load_articles

# The help-topics list sits in the shared reference folder beside the repository.
HELP_TOPICS_PATH = Path(__file__).resolve().parents[3] / "shared" / "data" / "o365-help-topics.csv"

# Topic groups in the help-topics list, mapped to catalogue ids.
TOPIC_GROUP_CATEGORIES = {
    "OneNote Class Notebook": "onenote",
    "Teams for Education - class teams": "teams-classes",
    "Teams for Education - general": "teams-general",
    "Teams for Education - assignments": "teams-assignments",
    "Teams for Education - meetings": "teams-meetings",
    "Microsoft Forms": "forms",
    "Sway": "sway",
    "Flip": "flip",
    "Immersive Reader": "immersive-reader",
    "Reading Progress": "reading-progress",
    "OneDrive sharing": "onedrive",
    "Accessibility tools": "accessibility",
    "General / training hubs": "training",
}
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


@pytest.fixture(scope="module")
def starter_articles(category_names):
    return load_articles(DEFAULT_ARTICLES_PATH, known_categories=category_names)


@pytest.fixture(scope="module")
def help_topics():
    if not HELP_TOPICS_PATH.exists():
        pytest.skip(f"help-topics list not found at {HELP_TOPICS_PATH}")
    with HELP_TOPICS_PATH.open(encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def expected_category(topic: dict[str, str]) -> str:
    group = topic["category"]
    if group == "Minecraft Education / MakeCode":
        is_coding = "makecode" in topic["topic"].lower() or "micro:bit" in topic["topic"].lower()
        return "coding" if is_coding else "minecraft"
    return TOPIC_GROUP_CATEGORIES[group]


def test_starter_has_enough_articles(starter_articles):
    assert len(starter_articles) >= 48


def test_every_category_has_two_articles(starter_articles, category_names):
    counts = Counter(article.category for article in starter_articles)

    thin = {category: counts[category] for category in category_names if counts[category] < 2}
    assert thin == {}


def test_every_help_topic_url_covered(starter_articles, help_topics):
    categories_by_url: dict[str, set[str]] = {}
    for article in starter_articles:
        categories_by_url.setdefault(article.url, set()).add(article.category)

    missing = [topic["url"] for topic in help_topics if topic["url"] not in categories_by_url]
    assert missing == []


def test_help_topic_urls_in_mapped_category(starter_articles, help_topics):
    categories_by_url: dict[str, set[str]] = {}
    for article in starter_articles:
        categories_by_url.setdefault(article.url, set()).add(article.category)

    misplaced = [
        (topic["url"], expected_category(topic))
        for topic in help_topics
        if expected_category(topic) not in categories_by_url.get(topic["url"], set())
    ]
    assert misplaced == []


def test_article_urls_come_from_help_topics(starter_articles, help_topics):
    known_urls = {topic["url"] for topic in help_topics}

    invented = sorted({article.url for article in starter_articles} - known_urls)
    assert invented == []


def test_summaries_have_two_to_four_sentences(starter_articles):
    wrong = {
        article.id: len(SENTENCE_END.findall(article.summary))
        for article in starter_articles
        if not 2 <= len(SENTENCE_END.findall(article.summary)) <= 4
    }
    assert wrong == {}


def test_titles_are_unique(starter_articles):
    duplicates = [title for title, count in Counter(article.title for article in starter_articles).items() if count > 1]
    assert duplicates == []


def test_articles_have_keywords(starter_articles):
    without_keywords = [article.id for article in starter_articles if not article.keywords]
    assert without_keywords == []


def test_flip_summaries_state_retirement(starter_articles):
    flip_articles = [article for article in starter_articles if article.category == "flip"]

    assert len(flip_articles) >= 2
    for article in flip_articles:
        assert "2024" in article.summary, article.id
        assert "retire" in article.summary.lower() or "no longer" in article.summary.lower(), article.id


def test_flip_dates_match_reported_retirement(starter_articles):
    guide = next(article for article in starter_articles if article.id == "kb-flip-educator-guide")

    assert "1 July 2024" in guide.summary
    assert "30 September 2024" in guide.summary
    assert "Teams" in guide.summary


def test_starter_articles_are_published(starter_articles):
    assert all(article.is_published for article in starter_articles)
