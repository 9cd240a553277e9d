"""The embedded storage backend: TinyDB over a journal in one data folder."""

import asyncio
import copy
import logging
import os
from collections.abc import Sequence
from typing import Any

from tinydb import Query, TinyDB
from tinydb.table import Table

from storage.errors import StorageError, VersionConflict
from storage.journal_storage import Change, JournalStorage
from storage.ops import VERSION_FIELD, Delete, Op, Put
from storage.store import Store

logger = logging.getLogger(__name__)


class _KeyedTable(Table):
    """A TinyDB table whose document ids are the store's string keys."""

    document_id_class = str


class _KeyedTinyDB(TinyDB):
    table_class = _KeyedTable


class TinyDBStore(Store):
    """A `Store` kept in a TinyDB database whose storage is a `JournalStorage`.

    Reads go through TinyDB tables and queries. Writes go to the journal as
    one fsynced line a batch, so a write costs the same whatever the size of
    the data. One process may open a folder at a time.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = folder
        self._db: TinyDB | None = None
        self._storage: JournalStorage | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        self._db = _KeyedTinyDB(self.folder, storage=JournalStorage)
        self._storage = self._db.storage
        logger.info("opened TinyDB data folder %s", self.folder)

    async def close(self) -> None:
        if self._db is not None:
            async with self._write_lock:
                self._db.close()
            self._db = None
            logger.info("closed TinyDB data folder %s", self.folder)

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        doc = self._table(collection).get(doc_id=key)
        return dict(copy.deepcopy(doc)) if doc is not None else None

    async def find(self, collection: str, **equals: Any) -> list[dict[str, Any]]:
        table = self._table(collection)
        if not equals:
            docs = table.all()
        else:
            condition = None
            for field, value in equals.items():
                term = Query()[field] == value
                condition = term if condition is None else condition & term
            docs = table.search(condition)
        return [dict(copy.deepcopy(doc)) for doc in docs]

    async def count(self, collection: str) -> int:
        return len(self._table(collection))

    async def apply(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        # Shielded, so a cancelled caller cannot stop a write half way. Without
        # it the lock would be released while the journal write still runs.
        await asyncio.shield(self._apply_locked(ops))

    async def _apply_locked(self, ops: Sequence[Op]) -> None:
        async with self._write_lock:
            storage = self._require_storage()
            changes = self._check(ops)
            # Only the journal write and fsync run in a worker thread. Memory
            # changes here on the event loop, because get and find iterate the
            # same dicts without a lock.
            await asyncio.to_thread(storage.append, changes)
            storage.apply_appended(changes)
            for collection in {change[0] for change in changes}:
                self._table(collection).clear_cache()
            # Compaction only reads memory, so readers may run beside it.
            await asyncio.to_thread(storage.compact_if_due)

    def compact(self) -> None:
        """Rewrite the snapshot now; used by tests and the backup command."""
        self._require_storage().compact()

    def _check(self, ops: Sequence[Op]) -> list[Change]:
        """Check every condition against the stored data and return the changes to write."""
        data = self._require_storage().read()
        pending: dict[tuple[str, str], dict[str, Any] | None] = {}
        changes: list[Change] = []
        for op in ops:
            slot = (op.collection, op.key)
            current = pending[slot] if slot in pending else data.get(op.collection, {}).get(op.key)
            current_version = current[VERSION_FIELD] if current else 0
            if op.expected_version is not None and op.expected_version != current_version:
                raise VersionConflict(op.collection, op.key, op.expected_version, current_version)
            if isinstance(op, Put):
                doc = copy.deepcopy(op.doc)
                doc[VERSION_FIELD] = current_version + 1
            elif isinstance(op, Delete):
                doc = None
            else:
                raise TypeError(f"unknown storage operation {op!r}")
            pending[slot] = doc
            changes.append((op.collection, op.key, doc))
        return changes

    def _table(self, collection: str) -> Table:
        if self._db is None:
            raise StorageError(f"the TinyDB store at {self.folder} is not open")
        return self._db.table(collection, cache_size=0)

    def _require_storage(self) -> JournalStorage:
        if self._storage is None:
            raise StorageError(f"the TinyDB store at {self.folder} is not open")
        return self._storage
