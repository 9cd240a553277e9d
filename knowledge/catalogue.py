"""Category ids and names from the service catalogue file."""

from __future__ import annotations

from pathlib import Path

import yaml

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOGUE_PATH = REPOSITORY_ROOT / "config" / "catalogue.yaml"


class CatalogueError(ValueError):
    """The catalogue file is missing or malformed."""


def load_category_names(path: Path | str = DEFAULT_CATALOGUE_PATH) -> dict[str, str]:
    """Read the catalogue and return its category names by id, in file order."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"catalogue file not found: {path}") from None
    except yaml.YAMLError as error:
        raise CatalogueError(f"invalid YAML in catalogue {path}: {error}") from error

    categories = document.get("categories") if isinstance(document, dict) else None
    if not isinstance(categories, list):
        raise CatalogueError(f"catalogue {path} has no 'categories:' list")

    names: dict[str, str] = {}
    for position, category in enumerate(categories, start=1):
        if not isinstance(category, dict) or not isinstance(category.get("id"), str):
            raise CatalogueError(f"catalogue {path}: category {position} has no text 'id'")
        names[category["id"]] = str(category.get("name") or category["id"])
    return names
