"""Storage: the interface the domain uses and its backends."""

from storage.errors import CorruptJournal, DataFolderLocked, StorageError, VersionConflict
from storage.ops import VERSION_FIELD, Delete, Op, Put
from storage.postgres_store import PostgresStore, TargetNotEmpty
from storage.store import Store
from storage.tinydb_store import TinyDBStore

__all__ = [
    "CorruptJournal",
    "DataFolderLocked",
    "Delete",
    "Op",
    "PostgresStore",
    "Put",
    "Store",
    "StorageError",
    "TargetNotEmpty",
    "TinyDBStore",
    "VERSION_FIELD",
    "VersionConflict",
]
