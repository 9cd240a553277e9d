"""Random write sequences for model-based checks of the TinyDB store's in-memory structures.

A step is a batch of puts and deletes (each with no, the current or a stale
expected version), a reopen of the data folder or a compaction. After each
step a check compares what the store returns with what a plain scan finds.
"""

import asyncio
import tempfile
from collections.abc import Awaitable, Callable, Sequence

from hypothesis import strategies as st

from storage import Delete, Put, TinyDBStore, VersionConflict

COLLECTION = "requests"
KEYS = [str(number) for number in range(6)]
VALUES = st.one_of(st.sampled_from(["new", "routed", 1, 1.0, True, 0, None]), st.just([1, 2]), st.just({"a": 1}))


def steps(field_names: Sequence[str]) -> st.SearchStrategy:
    """Return a strategy of step lists over documents with some of `field_names`."""
    docs = st.dictionaries(st.sampled_from(list(field_names)), VALUES, max_size=3)
    operation = st.tuples(st.sampled_from(["put", "delete"]), st.sampled_from(KEYS), docs, st.sampled_from(["none", "current", "stale"]))
    step = st.one_of(st.lists(operation, min_size=1, max_size=4), st.just("reopen"), st.just("compact"))
    return st.lists(step, min_size=1, max_size=10)


def run_steps(step_list: list, check: Callable[[TinyDBStore], Awaitable[None]]) -> None:
    """Apply the steps to a store in a new temporary folder, calling `check` after each one."""

    async def run(folder: str) -> None:
        store = TinyDBStore(folder)
        await store.open()
        try:
            for item in step_list:
                if item == "reopen":
                    await store.close()
                    store = TinyDBStore(folder)
                    await store.open()
                elif item == "compact":
                    store.compact()
                else:
                    await _apply_batch(store, item)
                await check(store)
        finally:
            await store.close()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(folder))


async def _apply_batch(store: TinyDBStore, batch: list) -> None:
    ops = []
    for kind, key, doc, condition in batch:
        current = await store.get(COLLECTION, key)
        version = current["_version"] if current else 0
        expected = {"none": None, "current": version, "stale": version + 1}[condition]
        ops.append(Put(COLLECTION, key, doc, expected) if kind == "put" else Delete(COLLECTION, key, expected))
    try:
        await store.apply(ops)
    except VersionConflict:
        pass
