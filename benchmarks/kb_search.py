"""Benchmark of knowledge-base search at district scale, and of the work around it.

Builds a knowledge base of synthetic articles (10,000 by default) from a
varied classroom-technology vocabulary, then runs realistic queries against
it: paraphrased titles with filler words and typos, long descriptions,
off-topic questions and a few huge pastes. It prints and writes to
benchmarks/results/kb_search.json:

* the index build time and the resident memory before and after it;
* query latency percentiles (ms) for `KnowledgeBase.search`, and for a
  message-extension answer (search for 10 results plus their cards);
* how often a paraphrased title finds its own article in the top 3;
* reading the 10 most-deflecting articles from 10,000 counters in TinyDB;
* grouping 5,000 recorded knowledge gaps.

Run from the repository root: `.venv/bin/python benchmarks/kb_search.py`.
It is not a test and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from benchmarks.machine import machine_facts  # noqa: E402
from cards import article_preview, article_result_card  # noqa: E402
from config import load_settings  # noqa: E402
from knowledge import Article, ArticleStats, Gap, KnowledgeBase, group_gaps, load_category_names  # noqa: E402
from storage import Put, TinyDBStore  # noqa: E402

DEFAULT_OUTPUT = REPOSITORY_ROOT / "benchmarks" / "results" / "kb_search.json"

PRODUCTS = [
    "OneNote", "Class Notebook", "Teams", "Forms", "Sway", "Flip", "Immersive Reader", "Reading Progress",
    "Minecraft Education", "MakeCode", "micro:bit", "OneDrive", "PowerPoint", "Word", "Excel", "Outlook",
    "Planner", "Whiteboard", "Stream", "Clipchamp", "Bookings", "Loop", "Copilot", "Lists", "SharePoint",
]
ACTIONS = [
    "share", "create", "grade", "return", "export", "import", "restore", "embed", "record", "schedule", "lock",
    "copy", "archive", "translate", "dictate", "print", "publish", "sync", "rename", "delete", "invite", "mute",
    "assign", "review", "duplicate", "move", "download", "upload", "present", "annotate", "merge", "filter",
]
OBJECTS = [
    "quiz", "rubric", "assignment", "notebook", "section group", "page", "channel", "meeting", "recording",
    "breakout room", "video", "poll", "survey", "reading passage", "world", "lesson plan", "gradebook", "file",
    "folder", "template", "tab", "class team", "parent email", "seating chart", "worksheet", "slide deck",
    "audio note", "caption", "transcript", "badge", "reflection", "calendar", "announcement", "checklist",
]
AUDIENCE_WORDS = [
    "students", "parents", "co-teachers", "substitute teachers", "the whole staff", "my grade team",
    "English language learners", "students with IEPs", "the department", "a small group",
]
PROBLEMS = [
    "is greyed out", "does not sync", "shows an error", "is missing", "keeps loading", "disappeared",
    "opens read-only", "will not save", "lost the formatting", "cannot be found",
]
DEVICES = ["iPad", "Chromebook", "Windows laptop", "smartboard", "phone", "library cart laptop", "Mac"]
FILLERS = [
    "Hi, quick question:", "Please help,", "I am trying to work out how to", "Can someone tell me how to",
    "My principal asked me to", "Before Friday I need to", "Sorry if this is obvious, but how do I",
]
OFF_TOPIC = [
    "can you order pizza for the staff room", "what is for lunch today", "is school closed because of snow",
    "who won the hockey game", "where do I park on the field trip", "asdf qwerty", "my car will not start",
    "when is the next pro-d day", "how much is the book fair", "the photocopier on floor two is jammed",
]


def build_articles(count: int, categories: list[str], randomizer: random.Random) -> list[Article]:
    """Return `count` synthetic articles whose titles and summaries mix products, actions and objects."""
    articles = []
    for number in range(count):
        product = randomizer.choice(PRODUCTS)
        action = randomizer.choice(ACTIONS)
        thing = randomizer.choice(OBJECTS)
        audience = randomizer.choice(AUDIENCE_WORDS)
        problem = randomizer.choice(PROBLEMS)
        device = randomizer.choice(DEVICES)
        title = f"{action.capitalize()} a {thing} with {audience} in {product}"
        summary = (
            f"Open {product} and pick the {thing} you want to {action}. "
            f"If the {randomizer.choice(OBJECTS)} {problem} on a {device}, sign out and back in, then try again. "
            f"Tell {randomizer.choice(AUDIENCE_WORDS)} where to find it and check the {randomizer.choice(OBJECTS)} afterwards."
        )
        articles.append(
            Article(
                id=f"kb-bench-{number}",
                title=title,
                category=randomizer.choice(categories),
                kind=randomizer.choice(("faq", "faq", "video", "course")),
                url=f"https://support.example.org/articles/{number}",
                summary=summary,
                keywords=(product.lower(), thing, f"{action} {thing}"),
            )
        )
    return articles


def with_typo(text: str, randomizer: random.Random) -> str:
    """Swap two neighbouring letters in one longer word, as a hurried typist does."""
    words = text.split()
    long_words = [index for index, word in enumerate(words) if len(word) > 5 and word.isalpha()]
    if not long_words:
        return text
    index = randomizer.choice(long_words)
    word = words[index]
    position = randomizer.randrange(1, len(word) - 2)
    words[index] = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    return " ".join(words)


def build_queries(articles: list[Article], count: int, randomizer: random.Random) -> list[tuple[str, str, str | None]]:
    """Return (kind, query, expected article id or None) tuples in a realistic mix."""
    queries: list[tuple[str, str, str | None]] = []
    while len(queries) < count:
        article = randomizer.choice(articles)
        roll = randomizer.random()
        if roll < 0.45:
            words = article.title.split()
            kept = [word for word in words if randomizer.random() > 0.25] or words
            text = f"{randomizer.choice(FILLERS)} {' '.join(kept).lower()}?"
            if randomizer.random() < 0.3:
                text = with_typo(text, randomizer)
            queries.append(("paraphrased title", text, article.id))
        elif roll < 0.75:
            product, thing = article.keywords[0], article.keywords[1]
            text = (
                f"{randomizer.choice(FILLERS)} {thing} in {product} for {randomizer.choice(AUDIENCE_WORDS)}. "
                f"On the {randomizer.choice(DEVICES)} it {randomizer.choice(PROBLEMS)} and I have tried twice. "
                f"We use it every week in grade {randomizer.randint(1, 12)} and the class is waiting."
            )
            queries.append(("long description", text, None))
        elif roll < 0.97:
            queries.append(("off topic", randomizer.choice(OFF_TOPIC), None))
        else:
            queries.append(("huge paste", " ".join(randomizer.choice(OBJECTS + PRODUCTS) for _ in range(20_000)), None))
    return queries


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 3),
        "p90_ms": round(cuts[89] * 1000, 3),
        "p99_ms": round(cuts[98] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def resident_mib() -> float:
    """Return the current resident set size in MiB, read from /proc (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_resident_mib() -> float:
    """Return the peak resident set size in MiB; Linux reports ru_maxrss in KiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def time_most_deflecting(article_ids: list[str], randomizer: random.Random, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = TinyDBStore(folder)
        await store.open()
        try:
            ops = [
                Put("article_stats", article_id, {"article": article_id, "views": randomizer.randint(0, 50), "helpful": randomizer.randint(0, 5), "not_helpful": 0, "deflections": randomizer.randint(0, 9)}, 0)
                for article_id in article_ids
            ]
            await store.apply(ops)
            stats = ArticleStats(store)
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                await stats.most_deflecting(10)
                samples.append(time.perf_counter() - started)
        finally:
            await store.close()
    return {"counters": len(article_ids), "rounds": rounds, **percentiles(samples)}


def time_gap_grouping(count: int, randomizer: random.Random) -> dict[str, float]:
    gaps = []
    for number in range(count):
        text = (
            f"{randomizer.choice(FILLERS)} {randomizer.choice(ACTIONS)} the {randomizer.choice(OBJECTS)} on the "
            f"{randomizer.choice(DEVICES)} when it {randomizer.choice(PROBLEMS)}"
        )
        gaps.append(Gap(text=text, category="general-o365", at=f"2026-{1 + number % 12:02d}-01T00:00:00Z"))
    started = time.perf_counter()
    groups = group_gaps(gaps)
    elapsed = time.perf_counter() - started
    return {"gaps": count, "groups": len(groups), "largest_group": groups[0].count if groups else 0, "seconds": round(elapsed, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark knowledge-base search on synthetic articles.")
    parser.add_argument("--articles", type=int, default=10_000, help="number of synthetic articles (default: %(default)s)")
    parser.add_argument("--queries", type=int, default=2_000, help="number of queries to time (default: %(default)s)")
    parser.add_argument("--gaps", type=int, default=5_000, help="number of knowledge gaps to group (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=43, help="random seed, so runs are comparable (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="JSON file to write (default: %(default)s)")
    arguments = parser.parse_args(argv)
    randomizer = random.Random(arguments.seed)

    category_names = load_category_names()
    catalogue = load_settings(environ={"HELPDESK_DATA_DIR": tempfile.gettempdir()}).catalogue
    articles = build_articles(arguments.articles, list(category_names), randomizer)
    queries = build_queries(articles, arguments.queries, randomizer)

    memory_before = resident_mib()
    started = time.perf_counter()
    knowledge_base = KnowledgeBase(articles, category_names=category_names)
    build_seconds = time.perf_counter() - started
    memory_after = resident_mib()

    # A few warm-up queries, so one-off costs (first numpy calls) are not counted.
    for _, text, _ in queries[:20]:
        knowledge_base.search(text)

    search_samples: list[float] = []
    extension_samples: list[float] = []
    by_kind: dict[str, list[float]] = {}
    expected_total = expected_found = 0
    for kind, text, expected in queries:
        started = time.perf_counter()
        results = knowledge_base.search(text, limit=3)
        elapsed = time.perf_counter() - started
        search_samples.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
        if expected is not None:
            expected_total += 1
            expected_found += any(result.article.id == expected for result in results)

        # What the message extension does for one keystroke: up to 10 results and their cards.
        started = time.perf_counter()
        for result in knowledge_base.search(text[:500], limit=10):
            article_result_card(result.article, catalogue)
            article_preview(result.article, catalogue)
        extension_samples.append(time.perf_counter() - started)

    report = {
        "articles": arguments.articles,
        "queries": len(queries),
        "query_mix": {kind: len(samples) for kind, samples in by_kind.items()},
        "index_build_seconds": round(build_seconds, 3),
        "resident_mib_before_index": round(memory_before, 1),
        "resident_mib_after_index": round(memory_after, 1),
        "peak_resident_mib": round(peak_resident_mib(), 1),
        "search": percentiles(search_samples),
        "search_by_kind": {kind: percentiles(samples) for kind, samples in by_kind.items()},
        "message_extension_answer": percentiles(extension_samples),
        "paraphrased_title_top3_rate": round(expected_found / expected_total, 3) if expected_total else None,
        "most_deflecting_from_tinydb": asyncio.run(time_most_deflecting([article.id for article in articles], randomizer, rounds=50)),
        "gap_grouping": time_gap_grouping(arguments.gaps, randomizer),
        "machine": machine_facts("bm25s", "numpy", "PyStemmer", "wordfreq", "rapidfuzz"),
        "seed": arguments.seed,
    }

    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"{arguments.articles:,} articles indexed in {build_seconds:.2f} s; resident memory {memory_before:.0f} -> {memory_after:.0f} MiB (peak {report['peak_resident_mib']:.0f} MiB)")
    print(f"{len(queries):,} queries: p50 {report['search']['p50_ms']} ms, p99 {report['search']['p99_ms']} ms, max {report['search']['max_ms']} ms")
    for kind, figures in report["search_by_kind"].items():
        print(f"  {kind} ({report['query_mix'][kind]}): p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
    print(f"message-extension answer: p50 {report['message_extension_answer']['p50_ms']} ms, p99 {report['message_extension_answer']['p99_ms']} ms")
    print(f"paraphrased titles found in the top 3: {report['paraphrased_title_top3_rate']:.1%}")
    deflecting = report["most_deflecting_from_tinydb"]
    print(f"10 most-deflecting of {deflecting['counters']:,} counters: p50 {deflecting['p50_ms']} ms, p99 {deflecting['p99_ms']} ms")
    grouping = report["gap_grouping"]
    print(f"{grouping['gaps']:,} gaps grouped into {grouping['groups']:,} groups in {grouping['seconds']} s")
    print(f"wrote {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
