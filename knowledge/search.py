"""Ranked search over knowledge-base articles with BM25 (the bm25s library)."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import bm25s
import numpy as np
from wordfreq import zipf_frequency

from knowledge.article import Article
from knowledge.normalize import Normalizer, base_tokens, drop_numbers, stemmed_words
from knowledge.spelling import SpellingCorrector
from knowledge.vocabulary import OTHER_PRODUCTS

logger = logging.getLogger(__name__)

# A result must pass two thresholds to be returned.
# Coverage is the share of the query's weight (IDF, see _coverage_weight)
# found in the article. Words the index has never seen weigh the most, so a
# query that is mostly about something else ("order pizza for the staff
# room") has low coverage even when one of its words matches.
# Confidence is the BM25 score times the coverage. The score grows with how
# rare the matched words are, so a high score makes up for a partial match
# (a question that names its topic among other words), and full coverage of
# a few common words ("assign homework in teams") still passes.
# NOTE: both values were chosen on the starter articles, the tuning
# questions and the off-topic tests. Re-check them with
# `python -m knowledge evaluate` and the off-topic tests after large
# changes to the articles.
DEFAULT_MIN_CONFIDENCE = 1.0
DEFAULT_MIN_COVERAGE = 0.3

# The title counts this many times, so a match in the title outranks one in the summary.
TITLE_WEIGHT = 2

# Queries are cut to these bounds before ranking; all exceed any real question.
MAX_QUERY_CHARACTERS = 2000
MAX_QUERY_WORDS = 200
MAX_QUERY_TOKENS = 48

# Coverage is measured against at most this many never-seen words' worth of
# query weight, so a long description that mentions its topic among many
# other words is not rejected for its length.
COVERAGE_WINDOW_WORDS = 4

# Coverage is checked on this many of the best-scoring articles per requested
# result, because an article with a slightly lower score may cover the query better.
CANDIDATES_PER_RESULT = 5


# Zipf frequencies (log10 of uses per billion words, from wordfreq) that
# bound the scale of everyday rarity: a word this common or more counts
# little, a word this rare or rarer counts fully.
COMMON_WORD_ZIPF = 6.0
RARE_WORD_ZIPF = 3.0
MIN_RARITY = 0.1
# Words at least this common in English are never spelling-corrected. Typos
# such as "notebok" or "asignment" score 0 and "durring" 1.48, while rare real
# words such as "hoarded" or "caterer" score above 2 (wordfreq 3.1.1).
# Common misspellings that wordfreq counts as words ("recieve", 2.75) are left alone too.
CORRECTION_LIMIT_ZIPF = 2.0


def _is_common_english(word: str) -> bool:
    """Tell whether `word` is an English word in its own right, which spelling correction must leave alone.

    Without this check "weather" would become "whether" and "Surrey" would become "survey".
    """
    return zipf_frequency(word, "en") >= CORRECTION_LIMIT_ZIPF


def everyday_rarity(word: str) -> float:
    """Return how rare `word` is in everyday English, from 0.1 (very common) to 1 (rare, or not a word)."""
    zipf = zipf_frequency(word, "en")
    share = (COMMON_WORD_ZIPF - zipf) / (COMMON_WORD_ZIPF - RARE_WORD_ZIPF)
    return min(1.0, max(MIN_RARITY, share))


@dataclass(frozen=True)
class SearchResult:
    """One ranked article and its BM25 score (higher is more relevant)."""

    article: Article
    score: float


class KnowledgeBase:
    """Published articles indexed for search, plus drafts kept for lookup by id.

    Instances are immutable: `with_articles` builds a new one, so a reader
    never sees a half-built index.
    """

    def __init__(
        self,
        articles: Iterable[Article],
        *,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        min_coverage: float = DEFAULT_MIN_COVERAGE,
        category_names: Mapping[str, str] | None = None,
        normalizer: Normalizer | None = None,
    ) -> None:
        """Index the published articles.

        `category_names` maps catalogue ids to display names, which are
        indexed with each article; without it the id's words are used.
        Raises ValueError when two articles share an id, `min_confidence` is
        negative or `min_coverage` is outside 0 to 1.
        """
        if not min_confidence >= 0:  # also false for NaN
            raise ValueError(f"min_confidence must be 0 or more, got {min_confidence}")
        if not 0 <= min_coverage <= 1:
            raise ValueError(f"min_coverage must be between 0 and 1, got {min_coverage}")
        self._articles = tuple(articles)
        self._by_id: dict[str, Article] = {}
        for article in self._articles:
            if article.id in self._by_id:
                raise ValueError(f"duplicate article id {article.id!r}")
            self._by_id[article.id] = article

        self._min_confidence = float(min_confidence)
        self._min_coverage = float(min_coverage)
        self._category_names = dict(category_names or {})
        self._normalizer = normalizer or Normalizer()

        self._indexed = [article for article in self._articles if article.is_published]
        category_ids = sorted({article.category for article in self._indexed})
        self._category_codes = {category: code for code, category in enumerate(category_ids)}
        self._document_categories = np.array(
            [self._category_codes[article.category] for article in self._indexed], dtype=np.int32
        )
        corpus = [self._document_tokens(article) for article in self._indexed]
        self._document_token_sets = [frozenset(tokens) for tokens in corpus]
        self._document_frequency = Counter(token for tokens in self._document_token_sets for token in tokens)
        self._spelling = self._build_spelling_corrector()
        self._other_products = {token for product in OTHER_PRODUCTS for token in self._normalizer.tokens(product)}
        self._retriever: bm25s.BM25 | None = None
        if self._indexed:
            self._retriever = bm25s.BM25()
            self._retriever.index(corpus, show_progress=False)
        # wordfreq loads its English list on first use (about 0.2 s); do it here, not in a teacher's first search.
        everyday_rarity("the")
        logger.debug("Indexed %d published of %d articles", len(self._indexed), len(self._articles))

    @property
    def articles(self) -> tuple[Article, ...]:
        """All articles, drafts included, in the order given."""
        return self._articles

    @property
    def min_confidence(self) -> float:
        return self._min_confidence

    @property
    def min_coverage(self) -> float:
        return self._min_coverage

    def get(self, article_id: str) -> Article | None:
        return self._by_id.get(article_id)

    def with_articles(self, articles: Iterable[Article]) -> KnowledgeBase:
        """Return a new knowledge base with `articles` added, replacing any with the same id."""
        replacements = {article.id: article for article in articles}
        merged = [replacements.pop(article.id, article) for article in self._articles]
        merged.extend(replacements.values())
        return self.rebuilt_with(merged)

    def rebuilt_with(self, articles: Iterable[Article]) -> KnowledgeBase:
        """Return a new knowledge base of exactly `articles`, with this one's thresholds, category names and normaliser."""
        return KnowledgeBase(
            articles,
            min_confidence=self._min_confidence,
            min_coverage=self._min_coverage,
            category_names=self._category_names,
            normalizer=self._normalizer,
        )

    def search(self, text: str, limit: int = 3, category: str | None = None) -> list[SearchResult]:
        """Return up to `limit` published articles for `text`, best first.

        Results below `min_coverage` or `min_confidence` are left out, so an
        unrelated or empty query returns an empty list. `category` restricts
        results to one catalogue id. Only the first MAX_QUERY_CHARACTERS
        characters, MAX_QUERY_WORDS words and MAX_QUERY_TOKENS distinct
        tokens of `text` are used.
        """
        if limit < 1 or self._retriever is None or not text or not text.strip():
            return []
        if category is not None and category not in self._category_codes:
            return []

        tokens, surface_words = self._query_tokens(text)
        token_ids = self._retriever.get_tokens_ids(tokens)
        if not token_ids:
            return []

        scores = self._retriever.get_scores_from_ids(token_ids)
        if category is not None:
            scores = np.where(self._document_categories == self._category_codes[category], scores, 0.0)

        # Coverage is at most 1, so a score below the confidence threshold can never pass.
        candidates = np.flatnonzero((scores > 0) & (scores >= self._min_confidence))
        shortlist_size = limit * CANDIDATES_PER_RESULT
        if candidates.size > shortlist_size:
            top = np.argpartition(scores[candidates], -shortlist_size)[-shortlist_size:]
            candidates = candidates[top]
        # Sort by score, then by position in the article list so ties are stable.
        order = sorted(candidates.tolist(), key=lambda index: (-scores[index], index))

        token_weights = {token: self._coverage_weight(token, surface_words.get(token)) for token in tokens}
        window_weight = COVERAGE_WINDOW_WORDS * self._unseen_idf()
        reference_weight = min(sum(token_weights.values()), window_weight)
        if reference_weight <= 0:
            return []
        results = []
        for index in order:
            matched = sum(weight for token, weight in token_weights.items() if token in self._document_token_sets[index])
            coverage = matched / reference_weight
            if coverage >= self._min_coverage and scores[index] * coverage >= self._min_confidence:
                results.append(SearchResult(article=self._indexed[index], score=float(scores[index])))
                if len(results) == limit:
                    break
        return results

    def guess_category(self, text: str) -> str | None:
        """Return the category of the best result for `text`, or None when nothing scores high enough."""
        results = self.search(text, limit=1)
        return results[0].article.category if results else None

    def _query_tokens(self, text: str) -> tuple[list[str], dict[str, str]]:
        """Normalise a query: bound its size, correct misspelt words, then replace synonyms.

        Returns the distinct tokens in order and, for each token that came
        straight from one of the teacher's words, that word as typed (folded).
        """
        pairs = stemmed_words(text[:MAX_QUERY_CHARACTERS])[:MAX_QUERY_WORDS]
        corrected = [stemmed if _is_common_english(word) else self._spelling.correct(stemmed) for word, stemmed in pairs]
        surface_words = {}
        for (word, _), token in zip(pairs, corrected):
            surface_words.setdefault(token, word)
        distinct = dict.fromkeys(drop_numbers(self._normalizer.replace_phrases(corrected)))
        return list(distinct)[:MAX_QUERY_TOKENS], surface_words

    def _coverage_weight(self, token: str, surface_word: str | None) -> float:
        """Return how much `token` counts towards the coverage threshold.

        A token the articles use counts its IDF. A token they never use counts
        the highest IDF scaled by how rare the teacher's word is in everyday
        English, so "pizza" weighs more than "put" or "arrived". Tokens that a
        synonym put in place of the teacher's words, and other vendors'
        products, count their whole IDF.
        """
        if token in self._document_frequency or surface_word is None or token in self._other_products:
            return self._idf(token)
        return self._unseen_idf() * everyday_rarity(surface_word)

    def _build_spelling_corrector(self) -> SpellingCorrector:
        # Corrections target words before synonym replacement, so that
        # "imersive reader" is fixed first and then becomes one product token.
        frequency: Counter[str] = Counter()
        for article in self._indexed:
            frequency.update(set(base_tokens(" ".join(self._document_texts(article)))))
        for word in self._normalizer.phrase_words:
            frequency[word] += 1
        return SpellingCorrector(frequency)

    def _idf(self, token: str) -> float:
        """Return the BM25 (Lucene) inverse document frequency; unseen tokens get the highest value."""
        document_count = len(self._indexed)
        frequency = self._document_frequency.get(token, 0)
        return math.log(1.0 + (document_count - frequency + 0.5) / (frequency + 0.5))

    def _unseen_idf(self) -> float:
        document_count = len(self._indexed)
        return math.log(1.0 + (document_count + 0.5) / 0.5)

    def _document_texts(self, article: Article) -> list[str]:
        """Return the indexed fields of an article, each normalised separately so phrases never span two."""
        category_name = self._category_names.get(article.category, article.category.replace("-", " "))
        return [article.title] * TITLE_WEIGHT + [article.summary, *article.keywords, category_name]

    def _document_tokens(self, article: Article) -> list[str]:
        tokens: list[str] = []
        for text in self._document_texts(article):
            tokens.extend(self._normalizer.tokens(text))
        return tokens
