"""Knowledge base: self-help articles and their search.

Typical use::

    from knowledge import load_knowledge_base

    knowledge_base = load_knowledge_base()
    for result in knowledge_base.search("how do kids see the quiz results"):
        print(result.article.title, result.article.url)
"""

from __future__ import annotations

from pathlib import Path

from knowledge.article import Article, ArticleError
from knowledge.catalogue import DEFAULT_CATALOGUE_PATH, REPOSITORY_ROOT, load_category_names
from knowledge.drafts import ArticleDraft, ArticleDrafts, DraftForm, DraftState, draft_id
from knowledge.gaps import Gap, GapGroup, group_gaps, load_gaps, record_gap
from knowledge.loader import ArticleImportError, ImportProblem, dump_articles, load_articles
from knowledge.search import DEFAULT_MIN_COVERAGE, DEFAULT_MIN_CONFIDENCE, KnowledgeBase, SearchResult
from knowledge.stats import ArticleCounts, ArticleStats, VoteResult

DEFAULT_ARTICLES_PATH = Path(__file__).resolve().parent / "starter_articles.yaml"


def load_knowledge_base(
    articles_path: Path | str = DEFAULT_ARTICLES_PATH,
    catalogue_path: Path | str = DEFAULT_CATALOGUE_PATH,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
) -> KnowledgeBase:
    """Load articles and the catalogue, reject unknown categories, and build the search index.

    Raises ArticleImportError for invalid articles and CatalogueError for a bad catalogue.
    """
    category_names = load_category_names(catalogue_path)
    articles = load_articles(articles_path, known_categories=category_names)
    return KnowledgeBase(articles, min_confidence=min_confidence, min_coverage=min_coverage, category_names=category_names)


__all__ = [
    "Article",
    "ArticleCounts",
    "ArticleDraft",
    "ArticleDrafts",
    "ArticleError",
    "ArticleImportError",
    "ArticleStats",
    "DEFAULT_ARTICLES_PATH",
    "DEFAULT_CATALOGUE_PATH",
    "DEFAULT_MIN_COVERAGE",
    "DEFAULT_MIN_CONFIDENCE",
    "DraftForm",
    "DraftState",
    "Gap",
    "GapGroup",
    "ImportProblem",
    "KnowledgeBase",
    "REPOSITORY_ROOT",
    "SearchResult",
    "VoteResult",
    "draft_id",
    "dump_articles",
    "group_gaps",
    "load_articles",
    "load_category_names",
    "load_gaps",
    "load_knowledge_base",
    "record_gap",
]
