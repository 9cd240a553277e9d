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
# Off-topic messages (ones that no article covers), under these keys of the same file, split the same way.
OFF_TOPIC_KEYS = {"tuning": "off_topic_tuning", "holdout": "off_topic_holdout"}
# Far above any hand-written set, and small enough that a mistaken path fails fast.
MAX_QUESTION_FILE_BYTES = 2_000_000


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
    """Off-topic messages that still got results (false positives), out of all those searched."""

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


@dataclass(frozen=True)
class QuestionFile:
    """The labelled questions and off-topic messages of one questions file."""

    questions: tuple[LabelledQuestion, ...]
    off_topic: dict[str, tuple[str, ...]]  # split -> messages


def load_question_file(path: Path | str = DEFAULT_QUESTIONS_PATH) -> QuestionFile:
    """Read and validate a questions file.

    Labelled questions sit under `tuning` and `holdout`, each a list of
    mappings with exactly the string keys `question` and `expected`. Off-topic
    messages sit under `off_topic_tuning` and `off_topic_holdout`, each a list
    of strings. Raises ValueError naming the file and the first problem.
    """
    path = Path(path)
    document = _read_question_file(path)
    questions = []
    for split in SPLITS:
        for position, entry in enumerate(_entries(path, document, split), start=1):
            if not isinstance(entry, dict) or set(entry) != {"question", "expected"}:
                raise ValueError(f"{path}: {split} entry {position} must have exactly the keys 'question' and 'expected'")
            if not all(isinstance(entry[key], str) and entry[key].strip() for key in ("question", "expected")):
                raise ValueError(f"{path}: {split} entry {position} needs a non-empty text 'question' and 'expected'")
            questions.append(LabelledQuestion(entry["question"], entry["expected"].strip(), split))

    off_topic = {}
    for split, key in OFF_TOPIC_KEYS.items():
        entries = _entries(path, document, key)
        for position, entry in enumerate(entries, start=1):
            if not isinstance(entry, str) or not entry.strip():
                raise ValueError(f"{path}: {key} entry {position} must be a non-empty string")
        off_topic[split] = tuple(entries)
    return QuestionFile(tuple(questions), off_topic)


def load_questions(path: Path | str = DEFAULT_QUESTIONS_PATH) -> list[LabelledQuestion]:
    """Return the labelled questions of a questions file (see load_question_file)."""
    return list(load_question_file(path).questions)


def load_off_topic(path: Path | str = DEFAULT_QUESTIONS_PATH) -> dict[str, tuple[str, ...]]:
    """Return the off-topic messages of each split of a questions file (see load_question_file)."""
    return load_question_file(path).off_topic


def _read_question_file(path: Path) -> dict:
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    size = path.stat().st_size
    if size > MAX_QUESTION_FILE_BYTES:
        raise ValueError(f"{path} is {size:,} bytes; a questions file may have at most {MAX_QUESTION_FILE_BYTES:,}")
    try:
        document = yaml.safe_load(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text: {error}") from error
    except yaml.YAMLError as error:
        raise ValueError(f"{path} is not valid YAML: {error}") from error

    allowed = (*SPLITS, *OFF_TOPIC_KEYS.values())
    if not isinstance(document, dict) or not document:
        raise ValueError(f"{path}: expected a mapping with some of the keys {', '.join(allowed)}")
    unknown = [str(key) for key in document if key not in allowed]
    if unknown:
        raise ValueError(f"{path}: unknown keys {', '.join(unknown)}; expected only {', '.join(allowed)}")
    return document


def _entries(path: Path, document: dict, key: str) -> list:
    entries = document.get(key)
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: {key} must be a list, got {type(entries).__name__}")
    return entries


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
    """Search each off-topic message and collect those that still returned articles."""
    total = 0
    false_positives = []
    for message in messages:
        total += 1
        returned = tuple(result.article.id for result in knowledge_base.search(message, limit=3))
        if returned:
            false_positives.append((message, returned))
    return OffTopicReport(total, tuple(false_positives))
