"""A TinyDB storage that makes each write durable and cheap at any size.

Stock TinyDB rewrites its whole JSON file on every change, so a write costs
time in proportion to the data stored, and a crash in the middle of that
rewrite can leave a truncated file. This storage keeps the data in memory
and persists it as two files in one folder:

* ``snapshot.json``: the full data at some journal sequence number, always
  replaced atomically (temporary file, fsync, rename, fsync of the folder);
* ``journal.jsonl``: one line per batch written after that snapshot, each
  fsynced before the write is acknowledged.

On open, the snapshot is loaded and the journal replayed. A last line cut
short by a crash was never acknowledged, so it is dropped. An unreadable
line before the last one stops the open, because skipping it would lose an
acknowledged write. When the journal grows past the snapshot's size, the
snapshot is rewritten and the journal emptied, which keeps the cost of a
write constant on average.

A lock file makes sure only one process writes the folder at a time.
"""

import fcntl
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from storage.errors import CorruptJournal, DataFolderLocked, StorageError

logger = logging.getLogger(__name__)

SNAPSHOT_NAME = "snapshot.json"
JOURNAL_NAME = "journal.jsonl"
LOCK_NAME = "write.lock"
META_KEY = "_meta"

# The journal is compacted once it is larger than the snapshot and larger
# than this floor, so small databases are not rewritten on every few writes.
MIN_COMPACT_BYTES = 4 * 1024 * 1024

Change = tuple[str, str, dict[str, Any] | None]
"""One change in a batch: collection, key and the new document (None deletes)."""


class JournalStorage(Storage):
    """A TinyDB `Storage` backed by a snapshot file and an fsynced journal."""

    def __init__(self, folder: str | os.PathLike, min_compact_bytes: int = MIN_COMPACT_BYTES):
        self.folder = Path(folder)
        self.min_compact_bytes = min_compact_bytes
        self._data: dict[str, dict[str, Any]] = {}
        self._seq = 0
        self._snapshot_bytes = 0
        self._lock_fd: int | None = None
        self._journal_fd: int | None = None
        self._failed_compactions = 0

        self._prepare_folder()
        try:
            self._acquire_lock()
            self._load()
            self._journal_fd = os.open(self.folder / JOURNAL_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as error:
            self._release_lock()
            raise StorageError(
                f"cannot open the data folder {self.folder}: {error}; "
                "its lock, snapshot and journal must be regular files this user can read and write"
            ) from error
        except BaseException:
            self._release_lock()
            raise

    # TinyDB's Storage interface

    def read(self) -> dict[str, dict[str, Any]]:
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace all data durably by rewriting the snapshot, as TinyDB's own table methods need.

        TinyDB's table methods change the dict that `read()` returned before
        they call this, so the changes cannot be found by comparing with
        memory. Writing a whole snapshot costs time in proportion to the data;
        the helpdesk store never takes this path (it uses `append`).
        """
        if self._journal_fd is None:
            raise StorageError(f"the data folder {self.folder} is closed")
        self._data = data
        self._seq += 1
        try:
            self.compact()
        except OSError as error:
            raise StorageError(f"could not write the snapshot in {self.folder}: {error}") from error

    def close(self) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None
        self._release_lock()

    # The fast path used by the helpdesk store

    def commit(self, changes: Sequence[Change]) -> None:
        """Write the changes durably as one journal line, then apply them in memory.

        Raises StorageError when the line cannot be written and synced; the
        journal is cut back to where it was and memory is left unchanged.
        """
        if not changes:
            return
        self.append(changes)
        self.apply_appended(changes)
        self.compact_if_due()

    def append(self, changes: Sequence[Change]) -> None:
        """Write the changes durably as one journal line and leave memory unchanged.

        The caller must pass the same changes to `apply_appended` before the
        next append. Raises StorageError like `commit`.
        """
        if self._journal_fd is None:
            raise StorageError(f"the data folder {self.folder} is closed")

        seq = self._seq + 1
        line = json.dumps({"seq": seq, "ops": [[c, k, d] for c, k, d in changes]}, ensure_ascii=False, separators=(",", ":"))
        payload = (line + "\n").encode("utf-8")
        offset = os.lseek(self._journal_fd, 0, os.SEEK_END)
        try:
            written = os.write(self._journal_fd, payload)
            if written != len(payload):
                raise OSError(f"short write: {written} of {len(payload)} bytes")
            os.fsync(self._journal_fd)
        except OSError as error:
            self._cut_journal(offset)
            raise StorageError(f"could not write to {self.folder / JOURNAL_NAME}: {error}") from error

        self._seq = seq

    def apply_appended(self, changes: Sequence[Change]) -> None:
        """Apply changes that `append` has already written to the data in memory."""
        self._apply_in_memory(changes)

    def compact_if_due(self) -> None:
        """Compact once the journal is larger than both the snapshot and `min_compact_bytes`.

        A failed compaction is logged, not raised, because every write is
        already durable in the journal. The next call tries again.
        """
        if self._journal_fd is None:
            return
        journal_bytes = os.fstat(self._journal_fd).st_size
        if journal_bytes <= max(self._snapshot_bytes, self.min_compact_bytes):
            return
        try:
            self.compact()
        except OSError:
            self._failed_compactions += 1
            # Each write retries, so log the first failure and then one in every 100.
            if self._failed_compactions % 100 == 1:
                logger.exception(
                    "compacting the data folder %s failed (%d times in a row); the journal keeps every write",
                    self.folder,
                    self._failed_compactions,
                )
        else:
            self._failed_compactions = 0

    def compact(self) -> None:
        """Rewrite the snapshot from memory and empty the journal."""
        self._write_snapshot()
        os.ftruncate(self._journal_fd, 0)
        os.fsync(self._journal_fd)
        logger.info("compacted data folder %s at seq %d (%d bytes)", self.folder, self._seq, self._snapshot_bytes)

    # Internals

    def _prepare_folder(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create the data folder {self.folder}: {error}") from error
        if not os.access(self.folder, os.W_OK):
            raise StorageError(f"the data folder {self.folder} is not writable; fix its permissions or set another folder")

    def _acquire_lock(self) -> None:
        path = self.folder / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise DataFolderLocked(
                f"the data folder {self.folder} is already open in another process (pid {holder}); "
                "stop that process or give this one its own data folder"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _load(self) -> None:
        snapshot_path = self.folder / SNAPSHOT_NAME
        if snapshot_path.exists():
            raw = snapshot_path.read_bytes()
            try:
                snapshot = json.loads(raw)
            except ValueError as error:
                raise CorruptJournal(f"{snapshot_path} is not valid JSON: {error}") from error
            meta = snapshot.pop(META_KEY, {})
            self._seq = int(meta.get("seq", 0))
            self._data = snapshot
            self._snapshot_bytes = len(raw)
        self._replay_journal()

    def _replay_journal(self) -> None:
        path = self.folder / JOURNAL_NAME
        if not path.exists():
            return
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        # Text after the last newline is a line whose write was cut short.
        complete, unfinished = lines[:-1], lines[-1]
        good_end = 0
        for number, line in enumerate(complete, start=1):
            try:
                entry = json.loads(line)
                seq = int(entry["seq"])
                changes = [(c, k, d) for c, k, d in entry["ops"]]
            except (ValueError, KeyError, TypeError) as error:
                if number == len(complete) and not unfinished:
                    logger.warning("dropping an unreadable last journal line in %s", path)
                    break
                raise CorruptJournal(
                    f"{path} line {number} cannot be read ({error}); restore the data folder from a backup"
                ) from error
            good_end += len(line) + 1
            if seq > self._seq:
                self._apply_in_memory(changes)
                self._seq = seq
        if good_end < len(raw):
            logger.warning("cutting %d bytes of unfinished writes from %s", len(raw) - good_end, path)
            with open(path, "r+b") as journal:
                journal.truncate(good_end)
                os.fsync(journal.fileno())

    def _apply_in_memory(self, changes: Sequence[Change]) -> None:
        for collection, key, doc in changes:
            docs = self._data.setdefault(collection, {})
            if doc is None:
                docs.pop(key, None)
            else:
                docs[key] = doc

    def _write_snapshot(self) -> None:
        final = self.folder / SNAPSHOT_NAME
        temporary = self.folder / (SNAPSHOT_NAME + ".tmp")
        content = dict(self._data)
        content[META_KEY] = {"seq": self._seq}
        payload = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        folder_fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
        self._snapshot_bytes = len(payload)

    def _cut_journal(self, offset: int) -> None:
        try:
            os.ftruncate(self._journal_fd, offset)
        except OSError:
            logger.exception("could not cut the journal back to %d bytes after a failed write", offset)
