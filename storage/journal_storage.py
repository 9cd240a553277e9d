"""A TinyDB storage that makes each write durable and cheap at any size.

Stock TinyDB rewrites its whole JSON file on every change, so a write costs
time in proportion to the data stored, and a crash in the middle of that
rewrite can leave a truncated file. This storage keeps the data in memory
and persists it as files in one folder:

* ``snapshot.json``: the full data at some journal sequence number, always
  replaced atomically (temporary file, fsync, rename, fsync of the folder);
* ``journal.jsonl``: one line per batch written after that snapshot, each
  fsynced before the write is acknowledged;
* ``journal.<seq>.jsonl``: sealed journal segments, whose last line has
  sequence number <seq>, waiting for a snapshot that covers them.

On open, the snapshot is loaded and the sealed segments and then the
journal are replayed, skipping lines the snapshot already contains. A last
line cut short by a crash was never acknowledged, so it is dropped. An
unreadable line before the last one stops the open, because skipping it
would lose an acknowledged write.

Once the journal and sealed segments are larger than the snapshot, the data
is compacted into a new snapshot, which keeps the cost of a write constant
on average. `compact` does it at once. `start_compaction_if_due` seals the
journal, so new writes go to a fresh one, and returns a job that writes the
snapshot from a shallow copy of every collection, for a worker thread. The
copy is enough because documents are replaced on each write, never changed
in place. Only after the new snapshot is durable are the sealed segments
deleted.

A lock file makes sure only one process writes the folder at a time.
"""

import fcntl
import gc
import itertools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from storage.errors import CorruptJournal, DataFolderLocked, StorageError

logger = logging.getLogger(__name__)

SNAPSHOT_NAME = "snapshot.json"
JOURNAL_NAME = "journal.jsonl"
SEALED_NAME = re.compile(r"^journal\.(\d+)\.jsonl$")
LOCK_NAME = "write.lock"
META_KEY = "_meta"

# The journal is compacted once it is larger than the snapshot and larger
# than this floor, so small databases are not rewritten on every few writes.
MIN_COMPACT_BYTES = 4 * 1024 * 1024

# The snapshot is encoded this many documents at a time. orjson holds the
# GIL for each call, so small calls let the event loop run during a
# background compaction.
SNAPSHOT_CHUNK_DOCUMENTS = 200

# orjson writes what the standard library's json module wrote before:
# non-string dict keys become strings, and datetime and dataclass values
# raise TypeError instead of being turned into JSON silently.
JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

Change = tuple[str, str, dict[str, Any] | None]
"""One change in a batch: collection, key and the new document (None deletes)."""


def encode_changes(changes: Sequence[Change]) -> bytes:
    """Return the JSON of a batch's changes, as a journal line stores them; raises TypeError for non-JSON values."""
    return orjson.dumps([[collection, key, doc] for collection, key, doc in changes], option=JSON_OPTIONS)


class JournalStorage(Storage):
    """A TinyDB `Storage` backed by a snapshot file and fsynced journal segments."""

    def __init__(self, folder: str | os.PathLike, min_compact_bytes: int = MIN_COMPACT_BYTES):
        self.folder = Path(folder)
        self.min_compact_bytes = min_compact_bytes
        self._data: dict[str, dict[str, Any]] = {}
        self._seq = 0
        self._snapshot_seq = 0
        self._snapshot_bytes = 0
        self._sealed: list[Path] = []
        self._sealed_bytes = 0
        self._lock_fd: int | None = None
        self._journal_fd: int | None = None
        self._failed_compactions = 0
        self._compacting = False
        # Held while a snapshot is written, so `compact` and a background job never overlap.
        self._snapshot_lock = threading.Lock()

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
        try:
            if self._journal_fd is not None:
                # Every append is fsynced already; this one also makes a journal cut back after a failed write durable.
                try:
                    os.fsync(self._journal_fd)
                finally:
                    os.close(self._journal_fd)
                    self._journal_fd = None
        finally:
            self._release_lock()

    # The fast path used by the helpdesk store

    def commit(self, changes: Sequence[Change]) -> None:
        """Write the changes durably as one journal line, then apply them in memory.

        Raises StorageError when the line cannot be written and synced; the
        journal is cut back to where it was and memory is left unchanged.
        A compaction that is due runs before this returns.
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
        self.append_encoded([encode_changes(changes)])

    def append_encoded(self, batches: Sequence[bytes]) -> None:
        """Write batches encoded by `encode_changes` as one journal line each, with one write and one fsync.

        Either every line is written and synced, or the journal is cut back
        and StorageError raised. The caller applies each batch with
        `apply_appended`, in order, before the next append.
        """
        if self._journal_fd is None:
            raise StorageError(f"the data folder {self.folder} is closed")

        seq = self._seq
        lines = []
        for ops in batches:
            seq += 1
            lines.append(b'{"seq":%d,"ops":%b}\n' % (seq, ops))
        payload = b"".join(lines)
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

    def compaction_due(self) -> bool:
        """Return True when the journal and sealed segments outgrow both the snapshot and `min_compact_bytes`."""
        if self._journal_fd is None or self._compacting:
            return False
        journal_bytes = os.fstat(self._journal_fd).st_size + self._sealed_bytes
        return journal_bytes > max(self._snapshot_bytes, self.min_compact_bytes)

    def compact_if_due(self) -> None:
        """Compact at once when `compaction_due`.

        A failed compaction is logged, not raised, because every write is
        already durable in the journal. The next call tries again.
        """
        if not self.compaction_due():
            return
        try:
            self.compact()
        except OSError:
            self._compaction_failed()
        else:
            self._failed_compactions = 0

    def start_compaction_if_due(self) -> Callable[[], None] | None:
        """When `compaction_due`, seal the journal and return the job that writes the snapshot, else None.

        Call it between writes, from the thread that writes. Run the job in
        a worker thread while writes go on. The job logs a failure instead of
        raising it, and a later call starts the compaction again.
        """
        if not self.compaction_due():
            return None
        try:
            if os.fstat(self._journal_fd).st_size > 0:
                self._seal_journal()
        except OSError:
            self._compaction_failed()
            return None
        view = {name: dict(docs) for name, docs in self._data.items()}
        seq = self._seq
        sealed = list(self._sealed)
        self._compacting = True

        def job() -> None:
            try:
                self._compact_view(view, seq, sealed)
            finally:
                self._compacting = False

        return job

    def compact(self) -> None:
        """Rewrite the snapshot from memory now, then empty the journal and delete the sealed segments.

        Call it between writes: memory must hold every appended batch.
        """
        with self._snapshot_lock:
            started = time.perf_counter()
            self._write_snapshot(self._data, self._seq, yield_between_chunks=False)
            os.ftruncate(self._journal_fd, 0)
            os.fsync(self._journal_fd)
            self._remove_sealed(list(self._sealed))
        logger.info(
            "compacted data folder %s at seq %d (%d bytes) in %.2f s",
            self.folder, self._seq, self._snapshot_bytes, time.perf_counter() - started,
        )

    # Internals

    def _compact_view(self, view: Mapping[str, Mapping[str, Any]], seq: int, sealed: list[Path]) -> None:
        with self._snapshot_lock:
            if seq <= self._snapshot_seq:
                return  # `compact` ran meanwhile and wrote newer data
            started = time.perf_counter()
            try:
                self._write_snapshot(view, seq, yield_between_chunks=True)
                self._remove_sealed(sealed)
            except OSError:
                self._compaction_failed()
                return
            self._failed_compactions = 0
        logger.info(
            "compacted data folder %s at seq %d (%d bytes) in %.2f s in the background",
            self.folder, seq, self._snapshot_bytes, time.perf_counter() - started,
        )

    def _compaction_failed(self) -> None:
        self._failed_compactions += 1
        # Each write retries, so log the first failure and then one in every 100.
        if self._failed_compactions % 100 == 1:
            logger.exception(
                "compacting the data folder %s failed (%d times in a row); the journal keeps every write",
                self.folder,
                self._failed_compactions,
            )

    def _seal_journal(self) -> None:
        """Rename the journal to a sealed segment and continue in a new, empty journal."""
        active = self.folder / JOURNAL_NAME
        sealed = self.folder / f"journal.{self._seq}.jsonl"
        size = os.fstat(self._journal_fd).st_size
        os.rename(active, sealed)
        try:
            fd = os.open(active, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError:
            os.rename(sealed, active)
            raise
        os.close(self._journal_fd)
        self._journal_fd = fd
        self._sealed.append(sealed)
        self._sealed_bytes += size
        # The rename and the new file must be on disk before a write in the new journal is acknowledged.
        self._sync_folder()

    def _remove_sealed(self, segments: Iterable[Path]) -> None:
        for path in segments:
            size = path.stat().st_size if path.exists() else 0
            path.unlink(missing_ok=True)
            if path in self._sealed:
                self._sealed.remove(path)
                self._sealed_bytes -= size

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
        # The loaded documents contain no reference cycles, so the cyclic
        # collector only slows the load down. Afterwards gc.freeze() moves them
        # out of its generations, so later collections do not walk them again.
        # Reference counting still frees each one once a write replaces it.
        collecting = gc.isenabled()
        gc.disable()
        try:
            snapshot_path = self.folder / SNAPSHOT_NAME
            if snapshot_path.exists():
                raw = snapshot_path.read_bytes()
                try:
                    snapshot = orjson.loads(raw)
                except ValueError as error:
                    raise CorruptJournal(f"{snapshot_path} is not valid JSON: {error}") from error
                meta = snapshot.pop(META_KEY, {})
                self._seq = self._snapshot_seq = int(meta.get("seq", 0))
                self._data = snapshot
                self._snapshot_bytes = len(raw)
            for path in self._sealed_segments():
                self._replay(path)
                self._sealed.append(path)
                self._sealed_bytes += path.stat().st_size
            self._replay(self.folder / JOURNAL_NAME)
        finally:
            gc.freeze()
            if collecting:
                gc.enable()

    def _sealed_segments(self) -> list[Path]:
        """Return the sealed segments in the folder, oldest first."""
        numbered = []
        for name in os.listdir(self.folder):
            match = SEALED_NAME.match(name)
            if match:
                numbered.append((int(match.group(1)), self.folder / name))
        return [path for _, path in sorted(numbered)]

    def _replay(self, path: Path) -> None:
        if not path.exists():
            return
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        # Text after the last newline is a line whose write was cut short.
        complete, unfinished = lines[:-1], lines[-1]
        good_end = 0
        for number, line in enumerate(complete, start=1):
            try:
                entry = orjson.loads(line)
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

    def _write_snapshot(self, data: Mapping[str, Mapping[str, Any]], seq: int, yield_between_chunks: bool) -> None:
        """Write the data as the new snapshot at `seq`, atomically and durably.

        The file is written a chunk of documents at a time, so memory
        contains one chunk's JSON rather than the whole file's.
        """
        final = self.folder / SNAPSHOT_NAME
        temporary = self.folder / (SNAPSHOT_NAME + ".tmp")
        size = 0
        with open(temporary, "wb") as handle:

            def write(part: bytes) -> None:
                nonlocal size
                handle.write(part)
                size += len(part)

            write(b"{")
            for name, docs in data.items():
                write(orjson.dumps(name) + b":{")
                items = iter(docs.items())
                separator = b""
                while chunk := dict(itertools.islice(items, SNAPSHOT_CHUNK_DOCUMENTS)):
                    write(separator + orjson.dumps(chunk, option=JSON_OPTIONS)[1:-1])
                    separator = b","
                    if yield_between_chunks:
                        time.sleep(0)  # releases the GIL, which gives the event loop thread a chance to take it
                write(b"},")
            write(b'"%b":%b}' % (META_KEY.encode("ascii"), orjson.dumps({"seq": seq})))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        self._sync_folder()
        self._snapshot_seq = seq
        self._snapshot_bytes = size

    def _sync_folder(self) -> None:
        folder_fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)

    def _cut_journal(self, offset: int) -> None:
        try:
            os.ftruncate(self._journal_fd, offset)
        except OSError:
            logger.exception("could not cut the journal back to %d bytes after a failed write", offset)
