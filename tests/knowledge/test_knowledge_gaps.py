"""Knowledge gaps: recording questions that found no article, grouping them, and the `gaps` command."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.gaps import GAPS_COLLECTION, Gap, group_gaps, jaccard, load_gaps, record_gap
from storage import TinyDBStore

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

# Hand-made questions: three about Minecraft sign-in, two about a projector over HDMI,
# two about rubrics, and two unrelated ones.
QUESTIONS = [
    ("Students can't log into Minecraft Education on the iPads", "minecraft", "middle", "2026-01-05T16:00:00Z"),
    ("How do I connect the smartboard to my laptop with HDMI?", "general-o365", "elementary", "2026-01-06T16:00:00Z"),
    ("Minecraft Education sign in error on student iPads", "minecraft", "middle", "2026-01-07T16:00:00Z"),
    ("rubric for my persuasive essay assignment", "teams", "secondary", "2026-01-08T16:00:00Z"),
    ("Kids cannot sign into Minecraft on the iPads", "minecraft", "elementary", "2026-01-09T16:00:00Z"),
    ("smartboard not showing my laptop screen over hdmi", "general-o365", "", "2026-01-10T16:00:00Z"),
    ("How can I attach a rubric to an essay assignment?", "teams", "secondary", "2026-01-11T16:00:00Z"),
    ("Can someone order pizza for the staff room", "general-o365", "", "2026-01-12T16:00:00Z"),
    ("The smart board pen is not calibrated", "general-o365", "elementary", "2026-01-13T16:00:00Z"),
]


def hand_made_gaps() -> list[Gap]:
    return [Gap(text, category, level, at) for text, category, level, at in QUESTIONS]


def test_groups_biggest_first():
    groups = group_gaps(hand_made_gaps())

    assert [group.count for group in groups] == [3, 2, 2, 1, 1]
    assert sum(group.count for group in groups) == len(QUESTIONS)


def test_group_summary():
    minecraft = group_gaps(hand_made_gaps())[0]

    assert {"minecraft", "ipads", "students"} <= set(minecraft.common_words)
    assert "Minecraft" in minecraft.example
    assert minecraft.categories == {"minecraft": 3}
    assert minecraft.school_levels == {"middle": 2, "elementary": 1}
    assert minecraft.latest == "2026-01-09T16:00:00Z"


def test_equal_groups_most_recent_first():
    groups = group_gaps(hand_made_gaps())

    # The rubric pair ends on Jan 11 and the HDMI pair on Jan 10.
    assert "rubric" in groups[1].common_words
    assert "hdmi" in groups[2].common_words


def test_common_words_need_majority():
    groups = group_gaps([Gap("rubric for essay"), Gap("rubric for poster")], threshold=0.3)

    assert len(groups) == 1
    assert groups[0].common_words == ["rubric"]


def test_strict_threshold_splits_groups():
    groups = group_gaps(hand_made_gaps(), threshold=1.0)

    assert len(groups) == len(QUESTIONS)


def test_identical_wording_always_groups():
    groups = group_gaps([Gap("Reset the projector remote"), Gap("reset the projector remote!")], threshold=1.0)

    assert [group.count for group in groups] == [2]


def test_stopword_only_gap_left_out():
    groups = group_gaps([Gap("how do I do this?"), Gap("projector lamp is flickering")])

    assert [group.example for group in groups] == ["projector lamp is flickering"]


def test_no_chaining_through_neighbours():
    """Each gap is compared with a group's founding gap, so a chain of small steps does not merge everything."""
    chain = [Gap("alpha beta gamma delta"), Gap("beta gamma delta epsilon"), Gap("gamma delta epsilon zeta"), Gap("delta epsilon zeta eta")]

    groups = group_gaps(chain, threshold=0.5)

    assert len(groups) > 1


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_invalid_threshold_rejected(threshold):
    with pytest.raises(ValueError, match="threshold"):
        group_gaps(hand_made_gaps(), threshold=threshold)


def test_jaccard_values():
    assert jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset()) == 0.0


async def record_questions(folder: Path) -> None:
    store = TinyDBStore(folder)
    await store.open()
    try:
        for number, (text, category, level, at) in enumerate(QUESTIONS, start=1):
            await record_gap(store, f"request-{number}", text, category, level, at)
    finally:
        await store.close()


async def test_record_gap_once_per_key(tmp_path):
    store = TinyDBStore(tmp_path / "data")
    await store.open()
    try:
        first = await record_gap(store, "request-1", "Projector: no signal!", "general-o365", "middle", "2026-01-05T16:00:00Z")
        replay = await record_gap(store, "request-1", "Projector: no signal!", "general-o365", "middle", "2026-01-05T16:00:00Z")
        docs = await store.find(GAPS_COLLECTION)
        gaps = await load_gaps(store)
    finally:
        await store.close()

    assert first is True
    assert replay is False
    assert len(docs) == 1
    assert set(docs[0]) == {"text", "category", "school_level", "at", "_version"}
    assert gaps == [Gap("projector no signal", "general-o365", "middle", "2026-01-05T16:00:00Z")]


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knowledge", *arguments],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_gaps_cli_json(tmp_path):
    asyncio.run(record_questions(tmp_path / "data"))

    completed = run_cli("gaps", "--data", str(tmp_path / "data"), "--json")

    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["gaps"] == len(QUESTIONS)
    assert [group["count"] for group in payload["groups"]] == [3, 2, 2, 1, 1]
    assert set(payload["groups"][0]) == {"count", "example", "common_words", "categories", "school_levels", "latest"}


def test_gaps_cli_text(tmp_path):
    asyncio.run(record_questions(tmp_path / "data"))

    completed = run_cli("gaps", "--data", str(tmp_path / "data"), "--limit", "2")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("9 question(s) found no article; 5 group(s)")
    assert "1. 3 x " in completed.stdout
    assert "3 smaller group(s) not shown" in completed.stdout


def test_gaps_cli_empty_folder(tmp_path):
    (tmp_path / "data").mkdir()

    completed = run_cli("gaps", "--data", str(tmp_path / "data"))

    assert completed.returncode == 0, completed.stderr
    assert "No knowledge gaps" in completed.stdout


def test_gaps_cli_missing_folder(tmp_path):
    completed = run_cli("gaps", "--data", str(tmp_path / "nowhere"))

    assert completed.returncode == 2
    assert "was not found" in completed.stderr
    assert not (tmp_path / "nowhere").exists()


async def test_gaps_cli_folder_in_use(tmp_path):
    store = TinyDBStore(tmp_path / "data")
    await store.open()
    try:
        completed = await asyncio.to_thread(run_cli, "gaps", "--data", str(tmp_path / "data"))
    finally:
        await store.close()

    assert completed.returncode == 3
    assert "open in another process" in completed.stderr
    assert "stop the bot" in completed.stderr
