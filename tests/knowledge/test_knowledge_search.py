"""Search relevance, thresholds, limits and index updates."""

from __future__ import annotations

import dataclasses
import random

import pytest

from knowledge import Article, KnowledgeBase
from knowledge.evaluation import evaluate, evaluate_off_topic, load_off_topic, load_questions
from knowledge.search import MAX_QUERY_CHARACTERS, SearchResult, everyday_rarity

TUNING_MIN_TOP3 = 0.95
HOLDOUT_MIN_TOP3 = 0.95
# Shares of off-topic messages that may still return articles; see
# docs/knowledge-base.md for the measured rates.
OFF_TOPIC_TUNING_MAX_RATE = 0.25
OFF_TOPIC_HOLDOUT_MAX_RATE = 0.35

# Messages that share no meaningful word with any article. Realistic
# off-topic messages, some of which do share words, are measured as a rate
# in test_off_topic_false_positive_rate.
UNRELATED_QUERIES = [
    "asdf qwerty",
    "what's for lunch",
    "qwertyuiop",
    "???",
    "1234567",
    "lorem ipsum dolor sit amet",
    "the quick brown fox jumps over the lazy dog",
    "I love teaching",
    "my classroom is too cold",
    "good morning",
    "thanks so much, you're very helpful",
]


def make_article(article_id: str, title: str, category: str = "forms", **overrides: object) -> Article:
    fields: dict[str, object] = {
        "id": article_id,
        "title": title,
        "category": category,
        "kind": "faq",
        "url": "https://example.org/a",
        "summary": f"All about {title}. Follow the steps.",
        **overrides,
    }
    return Article.from_dict(fields)


@pytest.fixture(scope="module")
def questions():
    return load_questions()


def test_questions_reference_existing_articles(starter_knowledge_base, questions):
    unknown = sorted({question.expected for question in questions if starter_knowledge_base.get(question.expected) is None})
    assert unknown == []


def test_question_sets_are_large_enough(questions):
    assert sum(question.split == "tuning" for question in questions) >= 60
    assert sum(question.split == "holdout" for question in questions) >= 50


def test_question_sets_do_not_overlap(questions):
    tuning = {question.question.lower() for question in questions if question.split == "tuning"}
    holdout = {question.question.lower() for question in questions if question.split == "holdout"}

    assert tuning & holdout == set()


def test_tuning_top3_hit_rate(starter_knowledge_base, questions):
    report = evaluate(starter_knowledge_base, [question for question in questions if question.split == "tuning"])

    assert report.top3_rate >= TUNING_MIN_TOP3, [miss.question for miss in report.misses if miss.rank is None]


def test_holdout_top3_hit_rate(starter_knowledge_base, questions):
    report = evaluate(starter_knowledge_base, [question for question in questions if question.split == "holdout"])

    # Only the totals are shown, so that a failure does not reveal which holdout questions missed.
    assert report.top3_rate >= HOLDOUT_MIN_TOP3, f"top-3 {report.top3_hits} of {report.total}"


@pytest.mark.parametrize(("split", "max_rate"), [("tuning", OFF_TOPIC_TUNING_MAX_RATE), ("holdout", OFF_TOPIC_HOLDOUT_MAX_RATE)])
def test_off_topic_false_positive_rate(starter_knowledge_base, split, max_rate):
    messages = load_off_topic()[split]

    report = evaluate_off_topic(starter_knowledge_base, messages)

    assert report.total >= 30
    assert report.false_positive_rate <= max_rate, f"{len(report.false_positives)} of {report.total} returned articles"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("how do kids see the quiz results", "kb-forms-quiz-results"),
        ("one note class notebook tab in my class team", "kb-onenote-notebook-tab-teams"),
        ("microbit download", "kb-coding-microbit-download"),
        ("flipgrid", "kb-flip-educator-guide"),
        ("breakout rooms", "kb-meetings-breakout-rooms"),
        ("Immersive Reader syllables and line focus", "kb-immersive-reader-guide"),
    ],
)
def test_search_ranks_expected_first(starter_knowledge_base, query, expected):
    results = starter_knowledge_base.search(query)

    assert results
    assert results[0].article.id == expected


@pytest.mark.parametrize("query", UNRELATED_QUERIES)
def test_unrelated_query_returns_nothing(starter_knowledge_base, query):
    assert starter_knowledge_base.search(query) == []


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "the and of", "how do I"])
def test_empty_query_returns_nothing(starter_knowledge_base, query):
    assert starter_knowledge_base.search(query) == []


def test_huge_query_is_bounded(starter_knowledge_base):
    query = ("how do I add a rubric to my assignment " * 3_000)[:100_000]

    results = starter_knowledge_base.search(query)

    assert len(query) == 100_000
    assert [result.article.id for result in results][:1] == ["kb-assignments-rubric"]


def test_huge_nonsense_query_returns_nothing(starter_knowledge_base):
    query = ("lorem ipsum dolor " * 10_000)[:100_000]

    assert starter_knowledge_base.search(query) == []


def test_text_past_character_bound_is_ignored(starter_knowledge_base):
    query = "x " * MAX_QUERY_CHARACTERS + "rubric"

    assert starter_knowledge_base.search(query) == []


def test_results_sorted_best_first(starter_knowledge_base):
    results = starter_knowledge_base.search("share a file in onedrive with a colleague", limit=5)

    assert len(results) >= 2
    scores = [result.score for result in results]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(result, SearchResult) for result in results)


def test_limit_respected(starter_knowledge_base):
    assert len(starter_knowledge_base.search("teams", limit=1)) <= 1
    assert len(starter_knowledge_base.search("teams class assignment meeting", limit=2)) == 2
    assert starter_knowledge_base.search("teams", limit=0) == []


def test_category_filter(starter_knowledge_base):
    results = starter_knowledge_base.search("assignment quiz", limit=5, category="forms")

    assert results
    assert {result.article.category for result in results} == {"forms"}


def test_unknown_category_filter_returns_nothing(starter_knowledge_base):
    assert starter_knowledge_base.search("quiz", category="cooking") == []


def test_guess_category(starter_knowledge_base):
    assert starter_knowledge_base.guess_category("my micro:bit won't download the program") == "coding"
    assert starter_knowledge_base.guess_category("students can't log into Minecraft") == "minecraft"
    assert starter_knowledge_base.guess_category("asdf qwerty") is None


def test_get_by_id(starter_knowledge_base):
    assert starter_knowledge_base.get("kb-forms-create-quiz").category == "forms"
    assert starter_knowledge_base.get("kb-does-not-exist") is None


def test_drafts_not_searchable():
    published = make_article("kb-published", "Rubric basics")
    draft = make_article("kb-draft", "Rubric advanced", status="draft")
    knowledge_base = KnowledgeBase([published, draft], min_confidence=0.0, min_coverage=0.0)

    assert [result.article.id for result in knowledge_base.search("rubric", limit=5)] == ["kb-published"]
    assert knowledge_base.get("kb-draft") == draft
    assert knowledge_base.articles == (published, draft)


def test_duplicate_ids_rejected():
    article = make_article("kb-same", "First")

    with pytest.raises(ValueError, match="duplicate article id 'kb-same'"):
        KnowledgeBase([article, dataclasses.replace(article, title="Second")])


def test_with_articles_adds_and_replaces(starter_knowledge_base):
    before = len(starter_knowledge_base.articles)
    new_article = make_article(
        "kb-smartboard-pen",
        "Calibrate the interactive whiteboard pen",
        category="general-o365",
        keywords=("smartboard",),
    )
    replacement = dataclasses.replace(starter_knowledge_base.get("kb-sway-get-started"), title="Sway basics for beginners")

    updated = starter_knowledge_base.with_articles([new_article, replacement])

    assert len(updated.articles) == before + 1
    assert updated.get("kb-sway-get-started").title == "Sway basics for beginners"
    assert updated.search("smartboard pen calibration")[0].article.id == "kb-smartboard-pen"
    assert starter_knowledge_base.get("kb-smartboard-pen") is None
    assert updated.min_confidence == starter_knowledge_base.min_confidence


def test_empty_knowledge_base_returns_nothing():
    knowledge_base = KnowledgeBase([])

    assert knowledge_base.search("rubric") == []
    assert knowledge_base.guess_category("rubric") is None


def test_search_over_ten_thousand_articles(starter_knowledge_base):
    # Speed over this many articles is measured by benchmarks/kb_search.py; this checks ranking still works.
    randomizer = random.Random(43)
    vocabulary = sorted({word for article in starter_knowledge_base.articles for word in article.summary.split()})
    articles = []
    for number in range(10_000):
        template = starter_knowledge_base.articles[number % len(starter_knowledge_base.articles)]
        filler = " ".join(randomizer.choice(vocabulary) for _ in range(20))
        articles.append(dataclasses.replace(template, id=f"{template.id}-{number}", summary=f"{template.summary} {filler}"))
    knowledge_base = KnowledgeBase(articles)

    results = knowledge_base.search("how do kids see the quiz results")

    assert results
    assert results[0].article.id.startswith("kb-forms-quiz-results-")
    assert knowledge_base.search("asdf qwerty") == []


@pytest.mark.parametrize(("min_confidence", "min_coverage"), [(-1.0, 0.3), (1.0, -0.1), (1.0, 1.5)])
def test_invalid_thresholds_rejected(min_confidence, min_coverage):
    with pytest.raises(ValueError):
        KnowledgeBase([], min_confidence=min_confidence, min_coverage=min_coverage)


def test_lower_threshold_returns_more(starter_knowledge_base):
    strict = KnowledgeBase(starter_knowledge_base.articles, min_confidence=4.0)
    lenient = KnowledgeBase(starter_knowledge_base.articles, min_confidence=0.1, min_coverage=0.0)

    assert strict.search("can you order pizza for the staff room") == []
    assert lenient.search("can you order pizza for the staff room")


def test_everyday_rarity_orders_words():
    assert everyday_rarity("put") < everyday_rarity("pizza") < everyday_rarity("rubric")


@pytest.mark.parametrize("word", ["the", "asdfghjkl", ""])
def test_everyday_rarity_is_bounded(word):
    assert 0.1 <= everyday_rarity(word) <= 1.0


def test_common_unseen_words_weigh_less(starter_knowledge_base):
    # "arrived" is unknown to the articles but common in English, so it weighs little.
    # "pizza" and "hockey" are rarer, so they make the second question about something else.
    assert starter_knowledge_base.search("a new student arrived, how do I put her in my class team")
    assert starter_knowledge_base.search("can you order pizza and hockey tickets for the team") == []


@pytest.mark.parametrize("query", ["1", "#1", "1 2", "2024"])
def test_number_reply_returns_nothing(starter_knowledge_base, query):
    assert starter_knowledge_base.search(query) == []


@pytest.mark.parametrize("query", ["Where is the laminator?", "what's the weather in Surrey today"])
def test_real_words_not_corrected_into_articles(starter_knowledge_base, query):
    assert starter_knowledge_base.search(query) == []


def test_nan_threshold_rejected():
    with pytest.raises(ValueError):
        KnowledgeBase([], min_confidence=float("nan"))


def test_rebuilt_with_drops_missing_articles(starter_knowledge_base):
    kept = starter_knowledge_base.articles[:5]

    rebuilt = starter_knowledge_base.rebuilt_with(kept)

    assert [article.id for article in rebuilt.articles] == [article.id for article in kept]
    assert rebuilt.get(starter_knowledge_base.articles[6].id) is None
    assert rebuilt.min_confidence == starter_knowledge_base.min_confidence
