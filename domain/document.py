"""Dataclasses stored as documents, with the store's `_version` kept in a `version` field that is never written."""

from dataclasses import asdict, fields
from typing import Any, Self

from storage.ops import VERSION_FIELD


class VersionedDocument:
    """A mixin for dataclasses with a `version: int` field that mirrors the stored document's version."""

    def to_doc(self) -> dict[str, Any]:
        """Return the fields to store; the store sets the version itself."""
        doc = asdict(self)
        doc.pop("version")
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Self:
        """Build the object from a stored document, ignoring fields the class no longer has."""
        known = {item.name for item in fields(cls)} - {"version"}
        return cls(**{name: value for name, value in doc.items() if name in known}, version=doc.get(VERSION_FIELD, 0))
