"""Measuring search relevance against labelled teacher questions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.catalogue import REPOSITORY_ROOT
from knowledge.search import KnowledgeBase

DEFAULT_QUESTIONS_PATH = REPOSITORY_ROOT / "tests" / "knowledge" / "questions.yaml"
SPLITS = ("tuning", "holdout")
# Messages no article answers, under these keys of the same file, split the same way.
OFF_TOPIC_KEYS = {"tuning": "off_topic_tuning", "holdout": "off_topic_holdout"}


@dataclass(frozen=True)
class LabelledQuestion:
    """A teacher question and the id of the article that should answer it."""

    question: str
    expected: str
    split: str


@dataclass(frozen=True)
class Miss:
    """A question whose expected article was not the top result."""

    question: str
    expected: str
    rank: int | None  # 1-based rank of the expected article, None when it was not returned
    returned: tuple[str, ...]


@dataclass(frozen=True)
class OffTopicReport:
    """How many messages that no article answers still got results (false positives)."""

    total: int
    false_positives: tuple[tuple[str, tuple[str, ...]], ...]  # (message, returned article ids)

    @property
    def false_positive_rate(self) -> float:
        return len(self.false_positives) / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "false_positives": len(self.false_positives),
            "false_positive_rate": round(self.false_positive_rate, 4),
            "examples": [{"message": message, "returned": list(returned)} for message, returned in self.false_positives],
        }


@dataclass(frozen=True)
class EvaluationReport:
    """Hit counts for one set of questions; a top-k hit means the expected article ranked k or better."""

    total: int
    top1_hits: int
    top3_hits: int
    misses: tuple[Miss, ...] = field(default=())

    @property
    def top1_rate(self) -> float:
        return self.top1_hits / self.total if self.total else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3_hits / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "top1_hits": self.top1_hits,
            "top3_hits": self.top3_hits,
            "top1_rate": round(self.top1_rate, 4),
            "top3_rate": round(self.top3_rate, 4),
            "misses": [
                {"question": miss.question, "expected": miss.expected, "rank": miss.rank, "returned": list(miss.returned)}
                for miss in self.misses
            ],
        }


def load_questions(path: Path | str = DEFAULT_QUESTIONS_PATH) -> list[LabelledQuestion]:
    """Read the labelled questions, grouped under the `tuning` and `holdout` keys.

    Raises ValueError when the file has unknown keys or an entry lacks
    `question` or `expected`.
    """
    path = Path(path)
    document = _read_question_file(path)
    questions = []
    for split in SPLITS:
        for position, entry in enumerate(document.get(split) or [], start=1):
            if not isinstance(entry, dict) or not entry.get("question") or not entry.get("expected"):
                raise ValueError(f"{path}: {split} entry {position} needs 'question' and 'expected'")
            questions.append(LabelledQuestion(str(entry["question"]), str(entry["expected"]), split))
    return questions


def load_off_topic(path: Path | str = DEFAULT_QUESTIONS_PATH) -> dict[str, list[str]]:
    """Read the off-topic messages of each split (`off_topic_tuning`, `off_topic_holdout`).

    Returns a list per split, empty when the file has none. Raises ValueError
    when the file has unknown keys or an entry is not a non-empty string.
    """
    path = Path(path)
    document = _read_question_file(path)
    messages: dict[str, list[str]] = {}
    for split, key in OFF_TOPIC_KEYS.items():
        entries = document.get(key) or []
        for position, entry in enumerate(entries, start=1):
            if not isinstance(entry, str) or not entry.strip():
                raise ValueError(f"{path}: {key} entry {position} must be a non-empty string")
        messages[split] = list(entries)
    return messages


def _read_question_file(path: Path) -> dict:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    allowed = (*SPLITS, *OFF_TOPIC_KEYS.values())
    if not isinstance(document, dict) or set(document) - set(allowed):
        raise ValueError(f"{path}: expected only the keys {', '.join(allowed)}")
    return document


def evaluate(knowledge_base: KnowledgeBase, questions: Iterable[LabelledQuestion]) -> EvaluationReport:
    """Search each question and count how often the expected article ranks first and in the top three."""
    total = top1_hits = top3_hits = 0
    misses = []
    for labelled in questions:
        returned = tuple(result.article.id for result in knowledge_base.search(labelled.question, limit=3))
        rank = returned.index(labelled.expected) + 1 if labelled.expected in returned else None
        total += 1
        top1_hits += rank == 1
        top3_hits += rank is not None
        if rank != 1:
            misses.append(Miss(labelled.question, labelled.expected, rank, returned))
    return EvaluationReport(total, top1_hits, top3_hits, tuple(misses))


def evaluate_off_topic(knowledge_base: KnowledgeBase, messages: Iterable[str]) -> OffTopicReport:
    """Search each message that no article answers and collect those that still returned articles."""
    total = 0
    false_positives = []
    for message in messages:
        total += 1
        returned = tuple(result.article.id for result in knowledge_base.search(message, limit=3))
        if returned:
            false_positives.append((message, returned))
    return OffTopicReport(total, tuple(false_positives))
