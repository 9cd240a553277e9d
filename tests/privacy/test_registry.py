"""The privacy registry classifies every collection that the code writes."""

import ast

from privacy.registry import COLLECTIONS, PERSONAL, TRANSIENT
from tests.conftest import REPO

# Folders that are no part of the bot (tests, the virtual environment, benchmark scripts), and
# privacy/, which writes only to the collections that the registry lists, through variables.
SKIPPED = {"tests", ".venv", "benchmarks", "node_modules", "privacy"}
WRITE_OPS = {"Put", "Delete"}


def source_modules() -> dict[str, ast.Module]:
    """Parse every Python module of the bot, keyed by dotted module name."""
    modules = {}
    for path in sorted(REPO.rglob("*.py")):
        relative = path.relative_to(REPO)
        if SKIPPED & set(relative.parts) or any(part.startswith(".") for part in relative.parts):
            continue
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        modules[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return modules


class Constants:
    """Resolves a name used in a module to the string constant it stands for, following `from x import NAME`."""

    def __init__(self, modules: dict[str, ast.Module]):
        self.values: dict[str, dict[str, str]] = {}
        self.imports: dict[str, dict[str, tuple[str, str]]] = {}
        for module, tree in modules.items():
            self.values[module] = {}
            self.imports[module] = {}
            for node in tree.body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            self.values[module][target.id] = node.value.value
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    for alias in node.names:
                        self.imports[module][alias.asname or alias.name] = (node.module, alias.name)

    def resolve(self, module: str, name: str, depth: int = 0) -> str | None:
        if depth > 5 or module not in self.values:
            return None
        if name in self.values[module]:
            return self.values[module][name]
        if name in self.imports[module]:
            source, original = self.imports[module][name]
            return self.resolve(source, original, depth + 1)
        return None


def written_collections() -> tuple[set[str], list[str]]:
    """Return the collection names given to Put and Delete in the bot's code, and the arguments that could not be resolved."""
    modules = source_modules()
    constants = Constants(modules)
    names: set[str] = set()
    unresolved: list[str] = []
    for module, tree in modules.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in WRITE_OPS and node.args):
                continue
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                names.add(argument.value)
            elif isinstance(argument, ast.Name) and (value := constants.resolve(module, argument.id)) is not None:
                names.add(value)
            else:
                unresolved.append(f"{module}:{node.lineno}: {ast.unparse(argument)}")
    return names, unresolved


def test_scan_finds_known_writers():
    names, _ = written_collections()

    assert {"requests", "sessions", "champion_offers", "visits", "article_marks", "inbound", "kb_gaps"} <= names


def test_every_written_collection_is_classified():
    names, unresolved = written_collections()

    assert unresolved == [], "Pass Put and Delete a string literal or a module-level constant, so this test can check the collection"
    assert sorted(names - set(COLLECTIONS)) == [], "Add the new collections to privacy/registry.py and handle their personal data in privacy/"


def test_registry_lists_no_stale_collection():
    names, _ = written_collections()

    assert sorted(set(COLLECTIONS) - names) == []


def test_registry_groups_are_disjoint():
    assert not set(PERSONAL) & set(TRANSIENT)
    assert all(collection.contents for collection in COLLECTIONS.values())
