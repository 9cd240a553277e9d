"""Copy a TinyDB data folder into a PostgreSQL database, then verify the copy collection by collection.

The copy keeps every key, document and `_version`. Verification reads both
stores back and compares, per collection, the number of documents and a
SHA-256 checksum over each key and its document as canonical JSON (sorted
keys, no `_version`), in key order.
"""

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.errors import StorageError
from storage.journal_storage import JOURNAL_NAME, SNAPSHOT_NAME
from storage.ops import VERSION_FIELD
from storage.postgres_store import PostgresStore
from storage.tinydb_store import TinyDBStore


@dataclass(frozen=True)
class CollectionCheck:
    """The comparison of one collection between the TinyDB source and the PostgreSQL target."""

    collection: str
    source_count: int
    target_count: int
    source_checksum: str
    target_checksum: str

    @property
    def matches(self) -> bool:
        return self.source_count == self.target_count and self.source_checksum == self.target_checksum


def collection_checksum(documents: dict[str, dict[str, Any]]) -> str:
    """Return the SHA-256 hex digest of a collection given as key to document."""
    digest = hashlib.sha256()
    for key in sorted(documents):
        doc = {name: value for name, value in documents[key].items() if name != VERSION_FIELD}
        line = json.dumps([key, doc], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


async def copy_tinydb_to_postgres(folder: str | os.PathLike, database_url: str, replace: bool = False) -> tuple[int, list[CollectionCheck]]:
    """Copy every collection of the data folder into the database; return the documents copied and the checks.

    Raises StorageError when the folder is not a TinyDB data folder or is
    open in a running bot, and TargetNotEmpty, copying nothing, when the
    database already contains documents and `replace` is false.
    """
    folder = Path(folder)
    if not (folder / SNAPSHOT_NAME).is_file() and not (folder / JOURNAL_NAME).is_file():
        raise StorageError(f"{folder} is not a TinyDB data folder: it has neither {SNAPSHOT_NAME} nor {JOURNAL_NAME}")

    source = TinyDBStore(folder)
    await source.open()
    try:
        contents = {name: await source.documents(name) for name in await source.collections()}
    finally:
        await source.close()

    target = PostgresStore(database_url, max_connections=2)
    await target.open()
    try:
        rows = [
            (collection, key, doc, doc.get(VERSION_FIELD, 1))
            for collection, documents in contents.items()
            for key, doc in documents.items()
        ]
        copied = await target.bulk_load(rows, replace=replace)
        checks = await verify_copy(contents, target)
    finally:
        await target.close()
    return copied, checks


async def verify_copy(contents: dict[str, dict[str, dict[str, Any]]], target: PostgresStore) -> list[CollectionCheck]:
    """Compare each source collection with the target, including collections only the target has."""
    checks = []
    for collection in sorted(set(contents) | set(await target.collections())):
        source_documents = contents.get(collection, {})
        target_documents = await target.documents(collection)
        checks.append(
            CollectionCheck(
                collection,
                len(source_documents),
                len(target_documents),
                collection_checksum(source_documents),
                collection_checksum(target_documents),
            )
        )
    return checks
