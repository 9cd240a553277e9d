"""Fixtures for the knowledge-base tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from knowledge import KnowledgeBase, load_category_names, load_knowledge_base  # noqa: E402


@pytest.fixture(scope="session")
def category_names() -> dict[str, str]:
    return load_category_names()


@pytest.fixture(scope="session")
def starter_knowledge_base() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture()
def valid_fields() -> dict[str, object]:
    """Fields of one valid article; tests copy and break them."""
    return {
        "id": "kb-test-article",
        "title": "Share a class notebook page",
        "category": "onenote",
        "kind": "faq",
        "url": "https://example.org/help",
        "summary": "Open the notebook. Choose Distribute Page.",
        "keywords": ["one note", "handout"],
    }
