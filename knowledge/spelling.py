"""Correction of misspelt query tokens against the index vocabulary."""

from __future__ import annotations

from collections.abc import Mapping

from rapidfuzz.distance import OSA

# Shorter tokens have too many one-letter neighbours ("grad", "gram", "gras")
# for a correction to be trusted.
MIN_CORRECTABLE_LENGTH = 5


def _deletions(token: str) -> set[str]:
    return {token[:position] + token[position + 1 :] for position in range(len(token))}


class SpellingCorrector:
    """Maps an unknown token to a vocabulary token one edit away.

    It uses a deletion index to find candidates: words one insertion,
    deletion, substitution or swap of neighbouring letters apart ("notbeook")
    share a one-letter deletion or equal one. Each candidate is then checked
    to be exactly one such edit away. Among
    several candidates the one found in the most documents wins, then the
    alphabetically first, so the result is deterministic.
    """

    def __init__(self, document_frequency: Mapping[str, int]) -> None:
        self._document_frequency = dict(document_frequency)
        self._by_deletion: dict[str, set[str]] = {}
        for token in self._document_frequency:
            if len(token) < MIN_CORRECTABLE_LENGTH or not token.isalpha():
                continue
            for variant in _deletions(token):
                self._by_deletion.setdefault(variant, set()).add(token)

    def correct(self, token: str) -> str:
        """Return `token` if it is known or cannot be corrected, else the closest known token."""
        if token in self._document_frequency or len(token) < MIN_CORRECTABLE_LENGTH or not token.isalpha():
            return token

        candidates = set(self._by_deletion.get(token, ()))  # the teacher left a letter out
        for variant in _deletions(token):
            if variant in self._document_frequency and len(variant) >= MIN_CORRECTABLE_LENGTH:
                candidates.add(variant)  # the teacher typed an extra letter
            candidates.update(self._by_deletion.get(variant, ()))  # a wrong or swapped letter
        # Sharing a deletion also pairs words two edits apart ("lamin" and "admin" share "amin"), so each
        # candidate is checked with the optimal string alignment distance, which counts a swap as one edit.
        candidates = {candidate for candidate in candidates if OSA.distance(token, candidate, score_cutoff=1) <= 1}
        if not candidates:
            return token
        return min(candidates, key=lambda candidate: (-self._document_frequency[candidate], candidate))
