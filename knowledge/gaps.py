"""Knowledge gaps: the questions that found no article, grouped by similar wording.

When a teacher's description finds no article above the search thresholds,
the intake records it in the `kb_gaps` collection: the folded text, the
category, the school level when known and the time, with no teacher id.

`group_gaps` clusters them by the Jaccard similarity of their token sets
(the size of the intersection divided by the size of the union). The tokens
come from the same normaliser as search, so "kids" and "students" or "one
note" and "OneNote" count as the same word. Each gap joins the group whose
founding gap is most similar to it, if that similarity reaches `threshold`,
and otherwise founds a new group. Comparing with the founding gap, never
with every member, keeps one chain of near neighbours from merging unrelated
questions. An inverted index from token to group means that only groups
sharing a word are compared.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from knowledge.normalize import Normalizer, fold_text, stem
from knowledge.vocabulary import STOPWORDS
from storage import Put, Store, VersionConflict

GAPS_COLLECTION = "kb_gaps"
DEFAULT_THRESHOLD = 0.4
MAX_GAP_CHARACTERS = 1000
COMMON_WORDS_SHOWN = 8



@dataclass(frozen=True)
class Gap:
    """One question that found no article."""

    text: str
    category: str = ""
    school_level: str = ""
    at: str = ""

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Gap:
        return cls(
            text=str(doc.get("text", "")),
            category=str(doc.get("category") or ""),
            school_level=str(doc.get("school_level") or ""),
            at=str(doc.get("at") or ""),
        )


@dataclass
class GapGroup:
    """Gaps with similar wording: how many, an example, the words they share and where they come from."""

    count: int
    example: str
    common_words: list[str]
    categories: dict[str, int]
    school_levels: dict[str, int]
    latest: str
    gaps: list[Gap] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Convert to plain types for JSON, without the member gaps."""
        return {
            "count": self.count,
            "example": self.example,
            "common_words": self.common_words,
            "categories": self.categories,
            "school_levels": self.school_levels,
            "latest": self.latest,
        }


async def record_gap(store: Store, key: str, text: str, category: str, school_level: str, at: str) -> bool:
    """Store a gap under `key` (one per request); return False when that key was already recorded."""
    doc = {
        "text": fold_text(text)[:MAX_GAP_CHARACTERS],
        "category": category,
        "school_level": school_level,
        "at": at,
    }
    try:
        await store.apply([Put(GAPS_COLLECTION, key, doc, 0)])
    except VersionConflict:
        return False
    return True


async def load_gaps(store: Store) -> list[Gap]:
    """Return every recorded gap, oldest first."""
    gaps = [Gap.from_doc(doc) for doc in await store.find(GAPS_COLLECTION)]
    return sorted(gaps, key=lambda gap: gap.at)


def group_gaps(gaps: Iterable[Gap], threshold: float = DEFAULT_THRESHOLD, normalizer: Normalizer | None = None) -> list[GapGroup]:
    """Group gaps by similar wording and return the groups, biggest first.

    Gaps are taken in the order given, so the oldest gap of a group founds
    it. Gaps with no words left after normalisation are left out. Raises
    ValueError when `threshold` is not above 0 and at most 1.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be above 0 and at most 1, got {threshold}")
    normalizer = normalizer or Normalizer()

    founders: list[frozenset[str]] = []
    members: list[list[tuple[Gap, frozenset[str]]]] = []
    groups_by_token: dict[str, list[int]] = defaultdict(list)
    for gap in gaps:
        tokens = frozenset(normalizer.tokens(gap.text))
        if not tokens:
            continue
        candidates = sorted({index for token in tokens for index in groups_by_token[token]})
        best_index, best_similarity = None, 0.0
        for index in candidates:
            similarity = jaccard(tokens, founders[index])
            if similarity > best_similarity:
                best_index, best_similarity = index, similarity
        if best_index is not None and best_similarity >= threshold:
            members[best_index].append((gap, tokens))
            continue
        founders.append(tokens)
        members.append([(gap, tokens)])
        for token in tokens:
            groups_by_token[token].append(len(founders) - 1)

    # Two stable sorts: the biggest groups first, and among equal sizes the most recent first.
    groups = [_summarise(group) for group in members]
    groups.sort(key=lambda group: group.latest, reverse=True)
    groups.sort(key=lambda group: group.count, reverse=True)
    return groups


def jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    """Return the Jaccard similarity of two token sets, 0 when both are empty."""
    union = len(first | second)
    return len(first & second) / union if union else 0.0


def _summarise(group: Sequence[tuple[Gap, frozenset[str]]]) -> GapGroup:
    token_counts: Counter[str] = Counter()
    for _, tokens in group:
        token_counts.update(tokens)
    # A word is common when more than half of the members use it; a lone gap shows all its words.
    ranked = sorted(token_counts.items(), key=lambda item: (-item[1], item[0]))
    common = [token for token, count in ranked if count * 2 > len(group)]
    common_set = frozenset(common)

    # The example is the member that shares the most with the common words, the earliest on a tie.
    example = max(group, key=lambda member: jaccard(member[1], common_set))[0]
    surface = _surface_words(gap.text for gap, _ in group)
    gaps = [gap for gap, _ in group]
    return GapGroup(
        count=len(group),
        example=example.text,
        common_words=[surface.get(token, token) for token in common[:COMMON_WORDS_SHOWN]],
        categories=dict(Counter(gap.category for gap in gaps if gap.category).most_common()),
        school_levels=dict(Counter(gap.school_level for gap in gaps if gap.school_level).most_common()),
        latest=max(gap.at for gap in gaps),
        gaps=gaps,
    )


def _surface_words(texts: Iterable[str]) -> dict[str, str]:
    """Map each stem to the word the teachers wrote most often for it, so reports show "sharing", not "shar"."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        for word in fold_text(text).split():
            if word not in STOPWORDS:
                seen[stem(word)][word] += 1
    return {token: words.most_common(1)[0][0] for token, words in seen.items()}
