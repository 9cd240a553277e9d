"""Command-line tool for the knowledge base: search, import, export, evaluate and report gaps.

Run `python -m knowledge --help` from the repository root. Exit codes: 0 on
success, 1 when a file cannot be written, 2 for invalid input (bad options,
articles, catalogue or questions), 3 when the data folder cannot be opened
(for example because the bot has it open).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from knowledge import DEFAULT_ARTICLES_PATH, DEFAULT_CATALOGUE_PATH, Article, KnowledgeBase, load_category_names
from knowledge.catalogue import CatalogueError
from knowledge.evaluation import (
    DEFAULT_QUESTIONS_PATH,
    SPLITS,
    EvaluationReport,
    OffTopicReport,
    evaluate,
    evaluate_off_topic,
    load_question_file,
)
from knowledge.gaps import DEFAULT_THRESHOLD, Gap, GapGroup, group_gaps, load_gaps
from knowledge.loader import ArticleImportError, dump_articles, load_articles
from storage import DataFolderLocked, StorageError, TinyDBStore

EXIT_OK = 0
EXIT_WRITE_FAILED = 1
EXIT_INVALID_INPUT = 2
EXIT_DATA_UNAVAILABLE = 3


class _InvalidInput(Exception):
    """Stops a command with a message for standard error and exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.handler(arguments)
    except (_InvalidInput, ArticleImportError, CatalogueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="Search and maintain the helpdesk knowledge base.")
    parser.add_argument(
        "--catalogue",
        type=Path,
        default=DEFAULT_CATALOGUE_PATH,
        help="service catalogue YAML whose category ids articles must use (default: %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    search = commands.add_parser("search", help="print the articles that best match a question")
    search.add_argument("query", help="the question, in quotes")
    search.add_argument("--limit", type=_positive_int, default=3, help="maximum number of results (default: %(default)s)")
    search.add_argument("--category", help="only return articles in this catalogue category id")
    search.add_argument("--json", action="store_true", help="print JSON instead of text")
    _add_articles_option(search)
    search.set_defaults(handler=_run_search)

    import_command = commands.add_parser(
        "import",
        help="validate an article file and write it as YAML or CSV",
        description="Validate every article in PATH. If any is invalid, print each problem and write nothing.",
    )
    import_command.add_argument("path", type=Path, help="YAML or CSV file to import")
    import_command.add_argument("--out", type=Path, required=True, help="file to write; .yaml, .yml or .csv")
    import_command.add_argument(
        "--merge",
        action="store_true",
        help="keep the articles already in --out and add the imported ones, replacing any with the same id",
    )
    import_command.set_defaults(handler=_run_import)

    export = commands.add_parser("export", help="write the knowledge base to a YAML or CSV file")
    export.add_argument("--out", type=Path, required=True, help="file to write; .yaml, .yml or .csv")
    _add_articles_option(export)
    export.set_defaults(handler=_run_export)

    evaluate_command = commands.add_parser(
        "evaluate", help="measure top-1 and top-3 hit rates on labelled questions, and false positives on off-topic messages"
    )
    evaluate_command.add_argument(
        "--questions", type=Path, default=DEFAULT_QUESTIONS_PATH, help="labelled questions YAML (default: %(default)s)"
    )
    evaluate_command.add_argument("--split", choices=(*SPLITS, "all"), default="all", help="question set to run (default: all)")
    evaluate_command.add_argument(
        "--show-misses",
        action="store_true",
        help="list questions whose article was not ranked first, and off-topic messages that returned articles",
    )
    evaluate_command.add_argument("--json", action="store_true", help="print JSON instead of text")
    _add_articles_option(evaluate_command)
    evaluate_command.set_defaults(handler=_run_evaluate)

    gaps = commands.add_parser(
        "gaps",
        help="group the questions that found no article, biggest group first",
        description=(
            "Read the knowledge gaps recorded in a bot data folder and group them by similar wording. "
            "Only one process may open a data folder, so stop the bot first or pass a copy of its folder."
        ),
    )
    gaps.add_argument("--data", type=Path, required=True, help="the bot's data folder (HELPDESK_DATA_DIR)")
    gaps.add_argument(
        "--threshold",
        type=_fraction,
        default=DEFAULT_THRESHOLD,
        help="minimum Jaccard similarity of two questions' word sets to group them, above 0 and at most 1 (default: %(default)s)",
    )
    gaps.add_argument("--limit", type=_positive_int, default=20, help="maximum number of groups to print (default: %(default)s)")
    gaps.add_argument("--json", action="store_true", help="print JSON instead of text")
    gaps.set_defaults(handler=_run_gaps)
    return parser


def _add_articles_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--articles", type=Path, default=DEFAULT_ARTICLES_PATH, help="article file, YAML or CSV (default: %(default)s)"
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {value}")
    return value


def _load_knowledge_base(arguments: argparse.Namespace) -> KnowledgeBase:
    category_names = load_category_names(arguments.catalogue)
    articles = load_articles(arguments.articles, known_categories=category_names)
    return KnowledgeBase(articles, category_names=category_names)


def _run_search(arguments: argparse.Namespace) -> int:
    if arguments.category is not None and arguments.category not in load_category_names(arguments.catalogue):
        raise _InvalidInput(f"unknown category {arguments.category!r}; see {arguments.catalogue} for the ids")
    knowledge_base = _load_knowledge_base(arguments)

    results = knowledge_base.search(arguments.query, limit=arguments.limit, category=arguments.category)
    if arguments.json:
        payload = {
            "query": arguments.query,
            "results": [
                {
                    "id": result.article.id,
                    "title": result.article.title,
                    "url": result.article.url,
                    "category": result.article.category,
                    "kind": result.article.kind,
                    "score": round(result.score, 4),
                }
                for result in results
            ],
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return EXIT_OK

    if not results:
        print("No article matched closely enough. Try other words, or file a request for a Technology Support Teacher.")
        return EXIT_OK
    for rank, result in enumerate(results, start=1):
        article = result.article
        print(f"{rank}. {article.id}  [{article.category}, score {result.score:.2f}]")
        print(f"   {article.title}")
        print(f"   {article.url}")
    return EXIT_OK


def _run_import(arguments: argparse.Namespace) -> int:
    known_categories = load_category_names(arguments.catalogue)
    imported = load_articles(arguments.path, known_categories=known_categories)

    articles = imported
    if arguments.merge and arguments.out.exists():
        existing = load_articles(arguments.out, known_categories=known_categories)
        articles = list(KnowledgeBase(existing, category_names=known_categories).with_articles(imported).articles)
    return _write(articles, arguments.out, f"Imported {len(imported)} article(s) from {arguments.path}")


def _run_export(arguments: argparse.Namespace) -> int:
    articles = load_articles(arguments.articles, known_categories=load_category_names(arguments.catalogue))
    return _write(articles, arguments.out, f"Exported {len(articles)} article(s)")


def _write(articles: list[Article], path: Path, summary: str) -> int:
    try:
        dump_articles(articles, path)
    except ValueError as error:
        raise _InvalidInput(str(error)) from error
    except OSError as error:
        print(f"error: cannot write {path}: {error}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    print(f"{summary}; wrote {len(articles)} article(s) to {path}")
    return EXIT_OK


def _run_evaluate(arguments: argparse.Namespace) -> int:
    knowledge_base = _load_knowledge_base(arguments)
    try:
        question_file = load_question_file(arguments.questions)
    except (OSError, ValueError) as error:
        raise _InvalidInput(f"cannot read questions: {error}") from error
    questions, off_topic = question_file.questions, question_file.off_topic

    splits = SPLITS if arguments.split == "all" else (arguments.split,)
    unknown_ids = sorted({question.expected for question in questions if knowledge_base.get(question.expected) is None})
    if unknown_ids:
        raise _InvalidInput(f"{arguments.questions} expects article ids that do not exist: {', '.join(unknown_ids)}")

    reports = {split: evaluate(knowledge_base, [question for question in questions if question.split == split]) for split in splits}
    off_topic_reports = {split: evaluate_off_topic(knowledge_base, off_topic[split]) for split in splits if off_topic[split]}
    if arguments.json:
        payload: dict[str, object] = {split: report.to_dict() for split, report in reports.items()}
        payload.update({f"off_topic_{split}": report.to_dict() for split, report in off_topic_reports.items()})
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return EXIT_OK

    for split, report in reports.items():
        print(_format_report_line(split, report))
        if arguments.show_misses:
            for miss in report.misses:
                rank = f"rank {miss.rank}" if miss.rank else "not in top 3"
                print(f"    {rank}: {miss.question!r} expected {miss.expected}, got {', '.join(miss.returned) or 'nothing'}")
    for split, off_topic_report in off_topic_reports.items():
        print(_format_off_topic_line(split, off_topic_report))
        if arguments.show_misses:
            for message, returned in off_topic_report.false_positives:
                print(f"    {message!r} got {', '.join(returned)}")
    return EXIT_OK


def _format_report_line(split: str, report: EvaluationReport) -> str:
    return (
        f"{split}: {report.total} questions, "
        f"top-1 {report.top1_hits} ({report.top1_rate:.1%}), "
        f"top-3 {report.top3_hits} ({report.top3_rate:.1%})"
    )


def _format_off_topic_line(split: str, report: OffTopicReport) -> str:
    return (
        f"off-topic {split}: {report.total} messages, "
        f"{len(report.false_positives)} returned articles ({report.false_positive_rate:.1%})"
    )


def _run_gaps(arguments: argparse.Namespace) -> int:
    folder: Path = arguments.data
    if not folder.is_dir():
        raise _InvalidInput(f"data folder {folder} was not found; pass the folder the bot uses (HELPDESK_DATA_DIR)")
    try:
        gaps = asyncio.run(_read_gaps(folder))
    except DataFolderLocked:
        print(
            f"error: the data folder {folder} is open in another process, probably the running bot. "
            "Only one process may open it at a time: stop the bot, or copy the folder and pass the copy.",
            file=sys.stderr,
        )
        return EXIT_DATA_UNAVAILABLE
    except StorageError as error:
        print(f"error: cannot read the data folder {folder}: {error}", file=sys.stderr)
        return EXIT_DATA_UNAVAILABLE

    groups = group_gaps(gaps, threshold=arguments.threshold)
    shown = groups[: arguments.limit]
    if arguments.json:
        payload = {"gaps": len(gaps), "threshold": arguments.threshold, "groups": [group.to_dict() for group in shown]}
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return EXIT_OK

    if not gaps:
        print(f"No knowledge gaps are recorded in {folder}: every question so far found an article.")
        return EXIT_OK
    print(f"{len(gaps)} question(s) found no article; {len(groups)} group(s) of similar wording, biggest first.")
    for rank, group in enumerate(shown, start=1):
        print(_format_gap_group(rank, group))
    if len(groups) > len(shown):
        print(f"{len(groups) - len(shown)} smaller group(s) not shown; use --limit to see more.")
    return EXIT_OK


async def _read_gaps(folder: Path) -> list[Gap]:
    store = TinyDBStore(folder)
    await store.open()
    try:
        return await load_gaps(store)
    finally:
        await store.close()


def _format_gap_group(rank: int, group: GapGroup) -> str:
    lines = [f"{rank}. {group.count} x {group.example!r}", f"   common words: {', '.join(group.common_words)}"]
    if group.categories:
        lines.append("   categories: " + ", ".join(f"{name} {count}" for name, count in group.categories.items()))
    if group.school_levels:
        lines.append("   school levels: " + ", ".join(f"{name} {count}" for name, count in group.school_levels.items()))
    lines.append(f"   latest: {group.latest}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
