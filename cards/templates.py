"""Binds data into the Adaptive Card templates kept as JSON files in this folder.

The templates use a small subset of the Adaptive Cards Templating language:

* ``"${path}"`` as a whole string is replaced by the value (of any type);
  inside a longer string it is replaced by the value's text;
* ``"$data": "${path}"`` on an element of an array repeats the element once
  for each item of the list, with that item as the data;
* ``"$when": "${path}"`` (or ``"${!path}"``) keeps an element only when the
  value is truthy (or falsy).

A path is dotted (``request.owner``); ``$root.`` reads from the top-level
data inside a repeated element. Values are inserted as JSON values, never
re-parsed, so text from users cannot change a card's structure.
"""

import functools
import json
import re
from pathlib import Path
from typing import Any

TEMPLATE_DIR = Path(__file__).resolve().parent
WHOLE = re.compile(r"^\$\{(!?)([$\w.]+)\}$")
INLINE = re.compile(r"\$\{([$\w.]+)\}")
_DROP = object()


class TemplateError(Exception):
    """A template refers to a path that the data does not have."""


@functools.cache
def _load(name: str) -> Any:
    with (TEMPLATE_DIR / f"{name}.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def render(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Return the card template `name` (a file in cards/) with `data` bound into it."""
    # Binding builds new dicts and lists and never changes the cached template, so it needs no copy.
    return _bind(_load(name), data, data)


def template_names() -> list[str]:
    """Return the names of every card template."""
    return sorted(path.stem for path in TEMPLATE_DIR.glob("*.json"))


def _lookup(path: str, scope: Any, root: dict[str, Any]) -> Any:
    parts = path.split(".")
    value: Any = scope
    if parts[0] == "$root":
        value, parts = root, parts[1:]
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise TemplateError(f"the card data has no '{path}'")
    return value


def _bind(node: Any, scope: Any, root: dict[str, Any]) -> Any:
    if isinstance(node, str):
        return _bind_string(node, scope, root)
    if isinstance(node, list):
        result = []
        for item in node:
            if isinstance(item, dict) and "$data" in item:
                items = _bind_string(item["$data"], scope, root)
                body = {key: value for key, value in item.items() if key != "$data"}
                for entry in items or []:
                    bound = _bind(body, entry, root)
                    if bound is not _DROP:
                        result.append(bound)
                continue
            bound = _bind(item, scope, root)
            if bound is not _DROP:
                result.append(bound)
        return result
    if isinstance(node, dict):
        if "$when" in node:
            if not _condition(node["$when"], scope, root):
                return _DROP
            node = {key: value for key, value in node.items() if key != "$when"}
        bound_dict = {}
        for key, value in node.items():
            bound = _bind(value, scope, root)
            if bound is not _DROP:
                bound_dict[key] = bound
        return bound_dict
    return node


def _bind_string(text: str, scope: Any, root: dict[str, Any]) -> Any:
    whole = WHOLE.match(text)
    if whole:
        value = _lookup(whole.group(2), scope, root)
        return (not value) if whole.group(1) else value
    return INLINE.sub(lambda match: _as_text(_lookup(match.group(1), scope, root)), text)


def _condition(expression: str, scope: Any, root: dict[str, Any]) -> bool:
    whole = WHOLE.match(expression)
    if not whole:
        raise TemplateError(f"'$when' needs one path such as ${{name}}, not {expression!r}")
    value = bool(_lookup(whole.group(2), scope, root))
    return not value if whole.group(1) else value


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)
