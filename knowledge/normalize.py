"""Text normalisation shared by article indexing and queries.

Both sides go through the same steps, so they share one vocabulary. The
steps lower-case the text and strip accents, then drop grade-level context
("grade 7", "3rd graders") that would otherwise match grading articles.
Then they drop stopwords, stem with the Snowball English stemmer and replace
synonyms and phrases.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Mapping

import Stemmer

from knowledge.vocabulary import STOPWORDS, SYNONYMS

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_WORD = re.compile(r"[a-z0-9]+")
_GRADE_LEVEL = re.compile(
    r"\b(?:grade|gr)\s*(?:k|1[0-2]|[1-9])s?\b"  # grade 7, gr7, grade 2s, but not "grade 30 essays"
    r"|\b\d{1,2}(?:st|nd|rd|th)\s+grade(?:rs?|s)?\b"  # 3rd grade, 7th graders
    r"|\bk\s*(?:to\s*)?\d{1,2}\b"  # k-5, k 12
)

def fold_text(text: str) -> str:
    """Lower-case `text`, strip accents and apostrophes, and turn punctuation into spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    # Combining accents go, and so do invisible format characters (soft hyphen, zero-width space and joiner, BOM),
    # which would otherwise split a word in two.
    without_accents = "".join(
        character for character in decomposed if not unicodedata.combining(character) and unicodedata.category(character) != "Cf"
    )
    lowered = _APOSTROPHES.sub("", without_accents.casefold())
    return " ".join(_WORD.findall(lowered))


# Snowball's English stemmer (Porter2), from the PyStemmer package. One
# instance is not safe to share between threads, so each thread gets its own.
_stemmers = threading.local()


def stem(word: str) -> str:
    """Reduce `word` to its Snowball English stem so that inflected forms share one token.

    Stems need not be real words ("sharing" becomes "share", "assignments"
    becomes "assign"); they only have to agree between articles and queries.
    Words with digits and words of three letters or fewer are returned unchanged.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    stemmed = stemmer.stemWord(word)
    # Snowball keeps the doubled letter of "quizzes" ("quizz"), which would not match "quiz".
    return stemmed[:-1] if stemmed.endswith("zz") else stemmed


def stemmed_words(text: str) -> list[tuple[str, str]]:
    """Fold `text`, drop grade levels and stopwords, and return each remaining word with its stem.

    A word is dropped when it is a stopword or its stem is a stopword's stem,
    so "helpful" and "wanted" go with "help" and "want".
    """
    folded = _GRADE_LEVEL.sub(" ", fold_text(text))
    pairs = []
    for word in folded.split():
        if word in STOPWORDS:
            continue
        stemmed = stem(word)
        if stemmed not in _stopword_stems():
            pairs.append((word, stemmed))
    return pairs


@functools.cache
def _stopword_stems() -> frozenset[str]:
    return frozenset(stem(word) for word in STOPWORDS)


def base_tokens(text: str) -> list[str]:
    """Fold `text`, drop grade levels and stopwords, and stem each word, without replacing synonyms."""
    return [stemmed for _, stemmed in stemmed_words(text)]


def drop_numbers(tokens: list[str]) -> list[str]:
    """Remove the tokens that are only digits."""
    return [token for token in tokens if not token.isdigit()]


class Normalizer:
    """Turns text into the token lists that the search index stores and matches.

    `synonyms` maps words or phrases to replacement words; it defaults to the
    table in knowledge.vocabulary. Longer phrases win over shorter ones that
    start at the same word.
    """

    def __init__(self, synonyms: Mapping[str, str] | None = None) -> None:
        table = SYNONYMS if synonyms is None else synonyms
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for phrase, replacement in table.items():
            key = tuple(base_tokens(phrase))
            if not key:
                raise ValueError(f"synonym key {phrase!r} is empty after removing stopwords")
            self._phrases[key] = tuple(base_tokens(replacement))
        self._max_phrase_length = max((len(key) for key in self._phrases), default=0)

    @property
    def phrase_words(self) -> set[str]:
        """Every base token that appears in a synonym key or replacement."""
        words: set[str] = set()
        for key, replacement in self._phrases.items():
            words.update(key)
            words.update(replacement)
        return words

    def tokens(self, text: str) -> list[str]:
        """Return the normalised tokens of `text`, in order, with repeats.

        Numbers alone are dropped after phrases are replaced, so "office 365"
        still becomes one token while a date or a reply of "1" matches nothing.
        """
        return drop_numbers(self.replace_phrases(base_tokens(text)))

    def replace_phrases(self, words: list[str]) -> list[str]:
        """Replace synonym keys in a list of base tokens, longest match first."""
        result: list[str] = []
        position = 0
        while position < len(words):
            replacement, length = self._match_at(words, position)
            if replacement is None:
                result.append(words[position])
                position += 1
            else:
                result.extend(replacement)
                position += length
        return result

    def _match_at(self, words: list[str], position: int) -> tuple[tuple[str, ...] | None, int]:
        longest = min(self._max_phrase_length, len(words) - position)
        for length in range(longest, 0, -1):
            replacement = self._phrases.get(tuple(words[position : position + length]))
            if replacement is not None:
                return replacement, length
        return None, 0
