"""The `python -m knowledge` command line, run as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
CSV_HEADER = "id,title,category,kind,url,summary,keywords\n"
GOOD_ROW = "kb-new-one,Calibrate the smartboard pen,general-o365,faq,https://example.org/pen,Open settings. Tap the dots.,smartboard\n"


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knowledge", *arguments],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_search_json_shape():
    completed = run_cli("search", "how do kids see the quiz results", "--json", "--limit", "2")

    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["query"] == "how do kids see the quiz results"
    assert 1 <= len(payload["results"]) <= 2
    first = payload["results"][0]
    assert set(first) == {"id", "title", "url", "category", "kind", "score"}
    assert first["id"] == "kb-forms-quiz-results"
    assert first["url"].startswith("https://")
    assert isinstance(first["score"], float)


def test_search_json_no_results():
    completed = run_cli("search", "asdf qwerty", "--json")

    assert completed.returncode == 0
    assert json.loads(completed.stdout) == {"query": "asdf qwerty", "results": []}


def test_search_text_output():
    completed = run_cli("search", "breakout rooms")

    assert completed.returncode == 0
    assert completed.stdout.startswith("1. kb-meetings-breakout-rooms")
    assert "https://support.microsoft.com/" in completed.stdout


def test_search_text_no_results():
    completed = run_cli("search", "what's for lunch")

    assert completed.returncode == 0
    assert "No article matched" in completed.stdout


def test_search_unknown_category_exits_2():
    completed = run_cli("search", "quiz", "--category", "cooking")

    assert completed.returncode == 2
    assert "unknown category 'cooking'" in completed.stderr


def test_search_rejects_zero_limit():
    completed = run_cli("search", "quiz", "--limit", "0")

    assert completed.returncode == 2
    assert "must be 1 or more" in completed.stderr


def test_import_bad_csv_exits_2_and_writes_nothing(tmp_path):
    source = tmp_path / "new.csv"
    source.write_text(
        CSV_HEADER
        + GOOD_ROW
        + "kb-bad-url,Title,forms,faq,not-a-url,A. B.,quiz\n"
        + "kb-bad-kind,Title,forms,webinar,https://example.org,A. B.,quiz\n"
        + "kb-bad-category,Title,cooking,faq,https://example.org,A. B.,quiz\n",
        encoding="utf-8",
    )
    out = tmp_path / "articles.yaml"

    completed = run_cli("import", str(source), "--out", str(out))

    assert completed.returncode == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]
    assert "3 problem(s) found, nothing was imported" in completed.stderr
    assert "entry 2, line 3 (kb-bad-url): url:" in completed.stderr
    assert "entry 3, line 4 (kb-bad-kind): kind:" in completed.stderr
    assert "entry 4, line 5 (kb-bad-category): category: unknown category 'cooking'" in completed.stderr


def test_import_bad_csv_keeps_existing_output(tmp_path):
    source = tmp_path / "new.csv"
    source.write_text(CSV_HEADER + GOOD_ROW + GOOD_ROW, encoding="utf-8")
    out = tmp_path / "articles.yaml"
    out.write_text("articles: []\n", encoding="utf-8")

    completed = run_cli("import", str(source), "--out", str(out))

    assert completed.returncode == 2
    assert "duplicate id 'kb-new-one'" in completed.stderr
    assert out.read_text(encoding="utf-8") == "articles: []\n"


def test_import_good_csv_writes_yaml(tmp_path):
    source = tmp_path / "new.csv"
    source.write_text(CSV_HEADER + GOOD_ROW, encoding="utf-8")
    out = tmp_path / "articles.yaml"

    completed = run_cli("import", str(source), "--out", str(out))

    assert completed.returncode == 0, completed.stderr
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert [article["id"] for article in document["articles"]] == ["kb-new-one"]
    assert document["articles"][0]["keywords"] == ["smartboard"]


def test_import_merge_keeps_existing_articles(tmp_path):
    out = tmp_path / "articles.yaml"
    assert run_cli("export", "--out", str(out)).returncode == 0
    existing_count = len(yaml.safe_load(out.read_text(encoding="utf-8"))["articles"])
    source = tmp_path / "new.csv"
    source.write_text(CSV_HEADER + GOOD_ROW, encoding="utf-8")

    completed = run_cli("import", str(source), "--out", str(out), "--merge")

    assert completed.returncode == 0, completed.stderr
    ids = [article["id"] for article in yaml.safe_load(out.read_text(encoding="utf-8"))["articles"]]
    assert len(ids) == existing_count + 1
    assert ids[-1] == "kb-new-one"
    searched = run_cli("search", "smartboard pen", "--json", "--articles", str(out))
    assert json.loads(searched.stdout)["results"][0]["id"] == "kb-new-one"


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_export_then_import_round_trip(tmp_path, suffix):
    exported = tmp_path / f"exported{suffix}"
    reimported = tmp_path / "reimported.yaml"

    assert run_cli("export", "--out", str(exported)).returncode == 0
    completed = run_cli("import", str(exported), "--out", str(reimported))

    assert completed.returncode == 0, completed.stderr
    original = yaml.safe_load((REPOSITORY_ROOT / "knowledge" / "starter_articles.yaml").read_text(encoding="utf-8"))
    round_tripped = yaml.safe_load(reimported.read_text(encoding="utf-8"))
    assert [article["id"] for article in round_tripped["articles"]] == [article["id"] for article in original["articles"]]
    assert [article["url"] for article in round_tripped["articles"]] == [article["url"] for article in original["articles"]]


def test_export_unsupported_suffix_exits_2(tmp_path):
    completed = run_cli("export", "--out", str(tmp_path / "articles.json"))

    assert completed.returncode == 2
    assert "unsupported file type '.json'" in completed.stderr


def test_evaluate_json_shape():
    completed = run_cli("evaluate", "--json")

    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert set(payload) == {"tuning", "holdout", "off_topic_tuning", "off_topic_holdout"}
    for split in ("tuning", "holdout"):
        assert payload[split]["total"] > 0
        assert 0.0 <= payload[split]["top1_rate"] <= payload[split]["top3_rate"] <= 1.0
        assert isinstance(payload[split]["misses"], list)
    for split in ("off_topic_tuning", "off_topic_holdout"):
        assert payload[split]["total"] > 0
        assert payload[split]["false_positives"] == len(payload[split]["examples"])


def test_evaluate_text_output():
    completed = run_cli("evaluate", "--split", "holdout")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("holdout: ")
    assert "top-1" in completed.stdout
    assert "top-3" in completed.stdout
    assert "off-topic holdout: " in completed.stdout
    assert "tuning" not in completed.stdout


def test_evaluate_unknown_expected_id_exits_2(tmp_path):
    questions = tmp_path / "questions.yaml"
    questions.write_text("holdout:\n  - {question: rubric, expected: kb-missing}\n", encoding="utf-8")

    completed = run_cli("evaluate", "--questions", str(questions))

    assert completed.returncode == 2
    assert "kb-missing" in completed.stderr


def test_missing_articles_file_exits_2(tmp_path):
    completed = run_cli("search", "quiz", "--articles", str(tmp_path / "absent.yaml"))

    assert completed.returncode == 2
    assert "file not found" in completed.stderr


def test_evaluate_invalid_off_topic_entry_exits_2(tmp_path):
    questions = tmp_path / "questions.yaml"
    questions.write_text(
        "holdout:\n  - {question: rubric, expected: kb-assignments-rubric}\noff_topic_holdout:\n  - {question: lunch}\n",
        encoding="utf-8",
    )

    completed = run_cli("evaluate", "--questions", str(questions))

    assert completed.returncode == 2
    assert "off_topic_holdout entry 1 must be a non-empty string" in completed.stderr


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tuning: [\n", "is not valid YAML"),
        ("tuning: 5\n", "tuning must be a list, got int"),
        ("", "expected a mapping"),
        ("off_topic_tuning: pizza\n", "off_topic_tuning must be a list, got str"),
        ("tuning:\n  - {question: 123, expected: kb-assignments-rubric}\n", "needs a non-empty text"),
        ("tuning:\n  - {question: rubric, expected: kb-assignments-rubric, note: x}\n", "exactly the keys"),
        ("---\ntuning: []\n---\nholdout: []\n", "is not valid YAML"),
        ("misc: []\n", "unknown keys misc"),
    ],
)
def test_evaluate_malformed_questions_exit_2(tmp_path, text, problem):
    questions = tmp_path / "questions.yaml"
    questions.write_text(text, encoding="utf-8")

    completed = run_cli("evaluate", "--questions", str(questions))

    assert completed.returncode == 2
    assert problem in completed.stderr
    assert "Traceback" not in completed.stderr


def test_evaluate_folder_exits_2(tmp_path):
    completed = run_cli("evaluate", "--questions", str(tmp_path))

    assert completed.returncode == 2
    assert "is not a file" in completed.stderr
