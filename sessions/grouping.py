"""Proposed groups for small-group sessions, from the open level-2 requests.

Requests are grouped by category first. For the categories listed in
`sessions.level_specific_categories`, elementary, middle and secondary
teachers are grouped apart, because a coding session for kindergarten
differs from one for grade 11. Within that, requests whose descriptions
share enough words (Jaccard similarity of the knowledge base's normalised
tokens, compared with each group's oldest request) form a group. Requests
left alone in their wording group are pooled by category, so every category
with enough waiting teachers gets a proposal.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from domain.request import Request
from domain.schools import SchoolDirectory
from knowledge.gaps import jaccard
from knowledge.normalize import Normalizer

# Two descriptions count as the same need from this share of common words.
DEFAULT_SIMILARITY = 0.2
UNKNOWN_LEVEL = "other"


@dataclass(frozen=True)
class Proposal:
    """A suggested group: requests of one category (and school level, when it matters), oldest first."""

    category: str
    school_level: str
    requests: tuple[Request, ...]
    # True when the requests share wording; False for the pool of the category's remaining requests.
    similar: bool

    @property
    def key(self) -> str:
        return f"{self.category}:{self.school_level or 'any'}:{self.requests[0].number}"

    @property
    def numbers(self) -> list[int]:
        return [request.number for request in self.requests]


def propose_groups(
    requests: Iterable[Request],
    schools: SchoolDirectory,
    level_specific_categories: frozenset[str],
    min_size: int,
    max_size: int,
    similarity: float = DEFAULT_SIMILARITY,
    tokens: Callable[[str], list[str]] | None = None,
) -> list[Proposal]:
    """Return proposals of `min_size` to `max_size` requests each, the one with the oldest request first."""
    tokens = tokens or Normalizer().tokens
    buckets: dict[tuple[str, str], list[Request]] = {}
    for request in sorted(requests, key=lambda item: (item.created_at, item.number)):
        buckets.setdefault((request.category, _level(request, schools, level_specific_categories)), []).append(request)

    proposals: list[Proposal] = []
    for (category, level), members in buckets.items():
        leftovers: list[Request] = []
        for group in _by_wording(members, tokens, similarity):
            if len(group) >= min_size:
                proposals.extend(Proposal(category, level, chunk, True) for chunk in _chunks(group, max_size))
            else:
                leftovers.extend(group)
        leftovers.sort(key=lambda item: (item.created_at, item.number))
        if len(leftovers) >= min_size:
            proposals.extend(Proposal(category, level, chunk, False) for chunk in _chunks(leftovers, max_size) if len(chunk) >= min_size)
    return sorted(proposals, key=lambda proposal: (proposal.requests[0].created_at, proposal.requests[0].number))


def school_level(request: Request, schools: SchoolDirectory) -> str:
    """Return the level (elementary, middle or secondary) of the request's school, or 'other' for an unknown school."""
    school = schools.get(request.school)
    return school.level if school else UNKNOWN_LEVEL


def _level(request: Request, schools: SchoolDirectory, level_specific_categories: frozenset[str]) -> str:
    return school_level(request, schools) if request.category in level_specific_categories else ""


def _by_wording(members: Sequence[Request], tokens: Callable[[str], list[str]], similarity: float) -> list[list[Request]]:
    """Group requests whose descriptions resemble each group's first (oldest) request."""
    founders: list[frozenset[str]] = []
    groups: list[list[Request]] = []
    for request in members:
        words = frozenset(tokens(request.description))
        scores = [jaccard(words, founder) for founder in founders]
        best = max(range(len(scores)), key=scores.__getitem__, default=None)
        if best is not None and words and scores[best] >= similarity:
            groups[best].append(request)
            continue
        founders.append(words)
        groups.append([request])
    return groups


def _chunks(group: Sequence[Request], size: int) -> list[tuple[Request, ...]]:
    """Split a group into chunks of at most `size`, as even as possible, so no chunk is left tiny."""
    count = -(-len(group) // size)
    base, extra = divmod(len(group), count)
    chunks, start = [], 0
    for index in range(count):
        length = base + (1 if index < extra else 0)
        chunks.append(tuple(group[start : start + length]))
        start += length
    return chunks
