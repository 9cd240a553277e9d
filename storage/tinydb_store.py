"""The embedded storage backend: TinyDB over a journal in one data folder."""

import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.table import Table

from storage.errors import StorageError, VersionConflict
from storage.field_index import CollectionIndexes
from storage.journal_storage import Change, JournalStorage, encode_changes
from storage.ops import VERSION_FIELD, Delete, Op, Put
from storage.projection import CollectionProjections, FieldPath, Projection
from storage.store import Store

logger = logging.getLogger(__name__)

COUNTERS = "counters"

# The fields the helpdesk looks documents up by, indexed as soon as a
# folder opens. Any other field gets an index on its first lookup.
INDEXED_FIELDS: Mapping[str, tuple[str, ...]] = {
    "requests": ("teacher_id", "status", "owner_id"),
    "events": ("request",),
    "outbox": ("state",),
    "posts": ("conversation_id",),
}


class _KeyedTable(Table):
    """A TinyDB table whose document ids are the store's string keys."""

    document_id_class = str


class _KeyedTinyDB(TinyDB):
    table_class = _KeyedTable


@dataclass
class _Batch:
    """One `apply` or `next_number` call waiting for the writer.

    A `next_number` batch names its counter and gets its operation, and the
    number that `done` returns, when the writer checks it.
    """

    ops: list[Op]
    done: asyncio.Future
    counter: str | None = None
    result: int | None = None


class TinyDBStore(Store):
    """A `Store` kept in a TinyDB database whose storage is a `JournalStorage`.

    Documents live in memory, in the dicts of the TinyDB storage. `find`
    reads in-memory field indexes (see `storage.field_index`)
    instead of scanning a collection. `project` keeps its rows after the
    first read and updates them on each write (see `storage.projection`).
    Writes go to the journal as one
    fsynced line a batch, so a write costs the same whatever the size of the
    data. Batches that callers submit while a journal write is under way are
    checked one by one and then written together with one fsync (group
    commit), and none is acknowledged before its line is on disk. One
    process may open a folder at a time.
    """

    keeps_projections = True

    def __init__(self, folder: str | os.PathLike, indexed_fields: Mapping[str, Sequence[str]] = INDEXED_FIELDS):
        self.folder = folder
        self.indexed_fields = indexed_fields
        self._db: TinyDB | None = None
        self._storage: JournalStorage | None = None
        self._indexes: CollectionIndexes | None = None
        self._projections: CollectionProjections | None = None
        self._queue: list[_Batch] = []
        self._writer: asyncio.Task | None = None
        self._writing = False
        self._compaction: asyncio.Future | None = None

    async def open(self) -> None:
        self._db = _KeyedTinyDB(self.folder, storage=JournalStorage)
        self._storage = self._db.storage
        self._indexes = CollectionIndexes(self._storage.read)
        for collection, fields in self.indexed_fields.items():
            self._indexes.ensure(collection, fields)
        self._projections = CollectionProjections(self._storage.read, self._indexes.find_keys)
        logger.info("opened TinyDB data folder %s", self.folder)

    async def close(self) -> None:
        if self._db is None:
            return
        # Batches queued before the close are written; the writer may take new ones meanwhile.
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)
        if self._compaction is not None:
            await self._compaction
        self._db.close()
        self._db = None
        self._storage = None
        self._indexes = None
        self._projections = None
        logger.info("closed TinyDB data folder %s", self.folder)

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        docs = self._require_storage().read().get(collection)
        doc = docs.get(key) if docs else None
        return copy_document(doc) if doc is not None else None

    async def find(self, collection: str, **equals: Any) -> list[dict[str, Any]]:
        docs = self._require_storage().read().get(collection)
        if not docs:
            return []
        if not equals:
            return [copy_document(doc) for doc in docs.values()]
        return [copy_document(docs[key]) for key in self._indexes.find_keys(collection, equals)]

    async def project(self, collection: str, fields: Mapping[FieldPath, Any], **equals: Any) -> list[tuple[Any, ...]]:
        self._require_storage()
        return self._projections.rows(collection, Projection(fields), equals)

    async def count(self, collection: str) -> int:
        return len(self._table(collection))

    async def collections(self) -> list[str]:
        """Return the names of the collections that contain at least one document, sorted."""
        data = self._require_storage().read()
        return sorted(name for name, docs in data.items() if docs)

    async def documents(self, collection: str) -> dict[str, dict[str, Any]]:
        """Return every document of the collection by key, each with its `_version`."""
        docs = self._require_storage().read().get(collection) or {}
        return {key: copy_document(doc) for key, doc in docs.items()}

    async def apply(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        await self._submit(_Batch(list(ops), asyncio.get_running_loop().create_future()))

    async def next_number(self, counter: str) -> int:
        # The writer reads and raises the counter when it checks the batch,
        # so concurrent callers never conflict and retry as in the base class.
        return await self._submit(_Batch([], asyncio.get_running_loop().create_future(), counter=counter))

    async def _submit(self, batch: _Batch) -> Any:
        """Queue the batch for the writer and return what the writer set once it is durable."""
        self._require_storage()
        self._queue.append(batch)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        # Shielded, so a cancelled caller cannot withdraw a batch the writer may already be writing.
        return await asyncio.shield(batch.done)

    def compact(self) -> None:
        """Rewrite the snapshot now; used by tests and the backup command.

        Raises StorageError while a journal write is under way, because the
        snapshot must contain every written batch.
        """
        if self._writing:
            raise StorageError(f"the TinyDB store at {self.folder} cannot compact while a write is under way")
        self._require_storage().compact()

    async def _write_queued(self) -> None:
        """Write the queued batches, a group at a time, until the queue is empty."""
        while self._queue:
            group, self._queue = self._queue, []
            try:
                await self._write_group(group)
            except BaseException as error:  # every caller must hear of the failure, whatever it was
                for batch in group:
                    if not batch.done.done():
                        batch.done.set_exception(error)
                if not isinstance(error, Exception):
                    raise

    async def _write_group(self, group: list[_Batch]) -> None:
        storage = self._require_storage()
        data = storage.read()
        # The documents as the accepted batches of this group leave them, for checking the later ones.
        written: dict[tuple[str, str], dict[str, Any] | None] = {}
        accepted: list[tuple[_Batch, list[Change], bytes]] = []
        conflicts: list[tuple[_Batch, VersionConflict, bool]] = []
        for batch in group:
            if batch.counter is not None:
                batch.ops, batch.result = _next_number_ops(batch.counter, data, written)
            depends_on_group = any((op.collection, op.key) in written for op in batch.ops)
            try:
                changes, encoded = _check(batch.ops, data, written)
            except VersionConflict as conflict:
                conflicts.append((batch, conflict, depends_on_group))
                continue
            except (TypeError, ValueError) as error:
                batch.done.set_exception(error)
                continue
            for collection, key, doc in changes:
                written[(collection, key)] = doc
            accepted.append((batch, changes, encoded))

        failure: StorageError | None = None
        if accepted:
            encoded_batches = [encoded for _, _, encoded in accepted]
            self._writing = True
            try:
                if len(accepted) == 1 and not self._queue:
                    # Nothing else is waiting to be written, so the load is light and
                    # other turns lose little while the loop waits for one fsync. A
                    # worker thread would cost more CPU than the fsync takes.
                    # NOTE: a stalled disk therefore stalls the event loop for as long.
                    storage.append_encoded(encoded_batches)
                else:
                    # Under load the fsync runs in a worker thread, so other turns go
                    # on meanwhile. Memory still changes only on the event loop,
                    # because get and find read the same dicts without a lock.
                    await asyncio.to_thread(storage.append_encoded, encoded_batches)
            except StorageError as error:
                failure = error
            finally:
                self._writing = False

        if failure is None:
            for _, changes, _ in accepted:
                self._indexes.apply(changes)
                self._projections.apply(changes)
                storage.apply_appended(changes)
        for batch, _, _ in accepted:
            if failure is None:
                batch.done.set_result(batch.result)
            else:
                batch.done.set_exception(failure)
        retried = []
        for batch, conflict, depends_on_group in conflicts:
            if failure is not None and depends_on_group:
                # The conflict was with a batch that was not written after all, so check it again.
                retried.append(batch)
            else:
                batch.done.set_exception(conflict)
        self._queue[:0] = retried

        if failure is None:
            self._start_compaction_if_due(storage)

    def _start_compaction_if_due(self, storage: JournalStorage) -> None:
        if self._compaction is not None and not self._compaction.done():
            return
        job = storage.start_compaction_if_due()
        if job is not None:
            self._compaction = asyncio.get_running_loop().run_in_executor(None, job)

    def _table(self, collection: str) -> Table:
        if self._db is None:
            raise StorageError(f"the TinyDB store at {self.folder} is not open")
        return self._db.table(collection, cache_size=0)

    def _require_storage(self) -> JournalStorage:
        if self._storage is None:
            raise StorageError(f"the TinyDB store at {self.folder} is not open")
        return self._storage


def _check(
    ops: Sequence[Op], data: Mapping[str, Mapping[str, Any]], written: Mapping[tuple[str, str], dict[str, Any] | None]
) -> tuple[list[Change], bytes]:
    """Check every condition against the stored data and the group's earlier batches.

    Returns the changes to write and their journal encoding. The changes
    hold documents decoded from that encoding: they are copies, so callers
    may change their own documents afterwards, and memory contains exactly
    what a reopen reads back (a tuple becomes a list, an int key a str).
    Raises VersionConflict, or TypeError for a value that is not JSON.
    """
    pending: dict[tuple[str, str], dict[str, Any] | None] = {}
    changes: list[Change] = []
    for op in ops:
        slot = (op.collection, op.key)
        if slot in pending:
            current = pending[slot]
        elif slot in written:
            current = written[slot]
        else:
            current = data.get(op.collection, {}).get(op.key)
        current_version = current[VERSION_FIELD] if current else 0
        if op.expected_version is not None and op.expected_version != current_version:
            raise VersionConflict(op.collection, op.key, op.expected_version, current_version)
        if isinstance(op, Put):
            doc = {**op.doc, VERSION_FIELD: current_version + 1}
        elif isinstance(op, Delete):
            doc = None
        else:
            raise TypeError(f"unknown storage operation {op!r}")
        pending[slot] = doc
        changes.append((op.collection, op.key, doc))
    encoded = encode_changes(changes)
    return [(collection, key, doc) for collection, key, doc in orjson.loads(encoded)], encoded


def _next_number_ops(
    counter: str, data: Mapping[str, Mapping[str, Any]], written: Mapping[tuple[str, str], dict[str, Any] | None]
) -> tuple[list[Op], int]:
    """Return the write that raises a counter, as the base class's `next_number` makes it, and the new value."""
    slot = (COUNTERS, counter)
    current = written[slot] if slot in written else data.get(COUNTERS, {}).get(counter)
    value = (current or {}).get("value", 0) + 1
    expected = current[VERSION_FIELD] if current else 0
    return [Put(COUNTERS, counter, {"value": value}, expected)], value


def copy_document(value: Any) -> Any:
    """Return a copy of a JSON-like value: dicts, lists and tuples are copied at every depth, other values shared.

    Documents hold JSON types, whose other values (str, numbers, bool, None)
    cannot change, so for them this equals `copy.deepcopy` at a fraction of
    its cost. A dict subclass comes back as a plain dict.
    """
    if isinstance(value, dict):
        return {key: copy_document(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_document(item) for item in value]
    if isinstance(value, tuple):
        return tuple(copy_document(item) for item in value)
    return value
