"""Errors raised by every storage backend."""


class StorageError(Exception):
    """A storage operation failed; nothing from it was applied."""


class VersionConflict(StorageError):
    """A document changed since the caller read it, so a conditional write was rejected."""

    def __init__(self, collection: str, key: str, expected: int, actual: int):
        super().__init__(
            f"{collection}/{key}: expected version {expected}, found {actual}"
        )
        self.collection = collection
        self.key = key
        self.expected = expected
        self.actual = actual


class DataFolderLocked(StorageError):
    """Another process already has the data folder open for writing."""


class CorruptJournal(StorageError):
    """A journal line before the last one cannot be read, so replaying it would lose data."""
