"""Write bursts of conditional batches to a data folder until killed, for test_crash_safety.

Usage: python -m tests.storage.crash_writer FOLDER SEED

Each batch puts or deletes one document of the `items` collection and
raises the `counters/batches` document, both conditional on the versions
this process last saw. Output is one JSON object a line, flushed at once:

* ``{"ready": true}`` once the folder is open;
* ``{"intent": ...}`` before `apply`, with the batch number and item change;
* ``{"ack": n}`` after `apply` returned for batch n;
* ``{"compacted": n}`` when the journal shrank after batch n.

A killed process may leave its last intent without an ack, so the reader
knows which single batch may or may not have reached the disk.
"""

import asyncio
import json
import random
import sys
from pathlib import Path

from storage import Delete, Put, TinyDBStore
from storage.journal_storage import JOURNAL_NAME

ITEM_KEYS = [f"item-{number:02d}" for number in range(30)]
# Small enough that the journal is compacted every few dozen batches.
MIN_COMPACT_BYTES = 4096


def emit(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def write_until_killed(folder: Path, seed: int) -> None:
    store = TinyDBStore(folder)
    await store.open()
    # TinyDBStore has no setting for the threshold, so the test sets it on the open storage.
    store._storage.min_compact_bytes = MIN_COMPACT_BYTES
    emit({"ready": True})

    versions = {doc_key: doc["_version"] for doc_key, doc in await stored_items(store)}
    counter = await store.get("counters", "batches")
    batch = counter["value"] if counter else 0
    counter_version = counter["_version"] if counter else 0
    rng = random.Random(seed)
    journal = folder / JOURNAL_NAME

    while True:
        batch += 1
        key = rng.choice(ITEM_KEYS)
        if key in versions and rng.random() < 0.2:
            item_op = Delete("items", key, expected_version=versions[key])
            doc = None
        else:
            doc = {"batch": batch, "pad": "x" * rng.randrange(0, 300)}
            item_op = Put("items", key, doc, expected_version=versions.get(key, 0))
        counter_op = Put("counters", "batches", {"value": batch}, expected_version=counter_version)
        journal_size = journal.stat().st_size

        emit({"intent": {"batch": batch, "key": key, "doc": doc}})
        await store.apply([item_op, counter_op])
        emit({"ack": batch})

        if doc is None:
            versions.pop(key)
        else:
            versions[key] = versions.get(key, 0) + 1
        counter_version += 1
        if journal.stat().st_size < journal_size:
            emit({"compacted": batch})


async def stored_items(store: TinyDBStore) -> list[tuple[str, dict]]:
    found = []
    for key in ITEM_KEYS:
        doc = await store.get("items", key)
        if doc is not None:
            found.append((key, doc))
    return found


if __name__ == "__main__":
    asyncio.run(write_until_killed(Path(sys.argv[1]), int(sys.argv[2])))
