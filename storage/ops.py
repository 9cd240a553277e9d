"""Write operations that a backend applies atomically as one batch."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Put:
    """Store `doc` under `collection`/`key`.

    `expected_version` makes the write conditional: 0 means the key must not
    exist yet, n means the stored document must still have version n, and
    None writes unconditionally.
    """

    collection: str
    key: str
    doc: dict[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class Delete:
    """Remove `collection`/`key`, optionally only if it still has `expected_version`."""

    collection: str
    key: str
    expected_version: int | None = None


Op = Put | Delete

VERSION_FIELD = "_version"
