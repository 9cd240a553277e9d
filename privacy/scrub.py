"""Finding what names a person in stored documents, and replacing it with their pseudonym.

Documents name people in two ways. Structured fields keep an id with a
name or address beside it in the same dict, such as `teacher_id` with
`teacher_name` or `by` with `by_name`. A Teams account pairs `aadObjectId`
with `name` and its Teams user `id`, and a dict with a single id pairs it
with an unprefixed `name`, `email` or `upn`. Free text (notes, notices,
errors) contains the id, name or address inside a sentence.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from escalation.ladder import SYSTEM
from escalation.roles import UNKNOWN_NAME

FORMER_NAME = "Former member"
# Placeholder names that never identify anyone, so they are never replaced inside text.
PLACEHOLDER_NAMES = frozenset({FORMER_NAME, UNKNOWN_NAME, SYSTEM.name})
TEAMS_ACCOUNT_ID = "aadObjectId"


@dataclass
class Identity:
    """The names and addresses stored beside a person's id, and the names stored beside other ids."""

    person_id: str
    names: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)
    other_names: set[str] = field(default_factory=set)

    def learn(self, docs: Iterable[Any]) -> None:
        """Collect names and addresses from the structured fields of the documents."""
        for doc in docs:
            for node in _dicts(doc):
                for key in _id_keys(node):
                    names, addresses = _beside(node, key)
                    found = {node[name] for name in names if isinstance(node.get(name), str) and node[name]}
                    if node[key] == self.person_id:
                        self.names |= found
                        self.addresses |= {node[name] for name in addresses if isinstance(node.get(name), str) and node[name]}
                    else:
                        self.other_names |= found

    @property
    def text_names(self) -> set[str]:
        """Return the names safe to replace inside text: not placeholders, and not also the name of someone else."""
        return {name for name in self.names - self.other_names - PLACEHOLDER_NAMES if len(name.strip()) >= 2}


class Scrubber:
    """Replaces one person's id with a pseudonym, and their names and addresses with FORMER_NAME or an empty text."""

    def __init__(self, identity: Identity, pseudonym: str):
        self.identity = identity
        self.pseudonym = pseudonym
        terms = [identity.person_id, *identity.text_names, *identity.addresses]
        # Terms are tried in order of decreasing length, so a full name wins over a
        # shorter name inside it. The lookarounds keep "Sam" from matching inside "Samira".
        alternatives = "|".join(re.escape(term) for term in sorted(set(terms), key=len, reverse=True) if term)
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")

    def document(self, doc: Any) -> Any:
        """Return a copy of the document without the person's id, names or addresses."""
        return self._text_in(self._fields_in(doc))

    def mentions(self, doc: Any) -> bool:
        return self.document(doc) != doc

    def _fields_in(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._fields_in(item) for item in node]
        if not isinstance(node, dict):
            return node
        result = {key: self._fields_in(value) for key, value in node.items()}
        for key in _id_keys(node):
            if node[key] != self.identity.person_id:
                continue
            names, addresses = _beside(node, key)
            result[key] = self.pseudonym
            result.update({name: FORMER_NAME for name in names if isinstance(node.get(name), str) and node[name]})
            result.update({name: "" for name in addresses if isinstance(node.get(name), str) and node[name]})
        return result

    def _text_in(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._text_in(item) for item in node]
        if isinstance(node, dict):
            return {key: self._text_in(value) for key, value in node.items()}
        if not isinstance(node, str) or not node:
            return node
        if node in self.identity.addresses:
            return ""
        return self._pattern.sub(self._replacement, node)

    def _replacement(self, match: re.Match) -> str:
        return self.pseudonym if match.group(0) == self.identity.person_id else FORMER_NAME


def scrub_document(doc: dict[str, Any], person_id: str, pseudonym: str) -> dict[str, Any]:
    """Return the document without one person, using only the names and addresses that the document itself stores."""
    identity = Identity(person_id)
    identity.learn([doc])
    return Scrubber(identity, pseudonym).document(doc)


def _dicts(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _dicts(item)


def _is_id_key(key: str) -> bool:
    return key in ("id", "by", TEAMS_ACCOUNT_ID) or key.endswith("_id")


def _id_keys(node: dict[str, Any]) -> list[str]:
    return [key for key, value in node.items() if isinstance(key, str) and _is_id_key(key) and isinstance(value, str) and value]


def _beside(node: dict[str, Any], key: str) -> tuple[list[str], list[str]]:
    """Return the keys of the names and of the addresses that belong to the id under `key` in the same dict."""
    if key == TEAMS_ACCOUNT_ID:
        return ["name"], ["id"]
    if key == "by":
        return ["by_name"], []
    names: list[str] = []
    addresses: list[str] = []
    if key.endswith("_id"):
        prefix = key.removesuffix("_id")
        names.append(f"{prefix}_name")
        addresses += [f"{prefix}_upn", f"{prefix}_email"]
    if _id_keys(node) == [key]:
        names.append("name")
        addresses += ["upn", "email"]
    return names, addresses
