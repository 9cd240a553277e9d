"""The Store contract, checked against every backend through the parametrised `store` fixture.

Each test runs once on TinyDB (a temporary data folder) and once on
PostgreSQL (a schema of its own); tests/storage/conftest.py builds both.
Tests that depend on one backend's files or processes live in that
backend's own test module.
"""

import asyncio
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import Delete, PostgresStore, Put, StorageError, Store, TinyDBStore, VersionConflict


async def reopen(store: Store) -> Store:
    """Close the store and open a new one of the same backend on the same data."""
    await store.close()
    if isinstance(store, TinyDBStore):
        again = TinyDBStore(store.folder)
    else:
        again = PostgresStore(store.database_url)
    await again.open()
    return again


# Reads and unconditional writes


async def test_get_missing_key_returns_none(store):
    assert await store.get("requests", "404") is None


async def test_put_stores_version_one(store):
    await store.apply([Put("requests", "1", {"status": "new", "school": "Moody Elementary"})])

    assert await store.get("requests", "1") == {"status": "new", "school": "Moody Elementary", "_version": 1}


async def test_each_put_raises_version(store):
    for status in ("new", "routed", "claimed"):
        await store.apply([Put("requests", "1", {"status": status})])

    stored = await store.get("requests", "1")
    assert stored["status"] == "claimed"
    assert stored["_version"] == 3


async def test_put_replaces_whole_document(store):
    await store.apply([Put("requests", "1", {"status": "new", "grade": "4"})])
    await store.apply([Put("requests", "1", {"status": "routed"})])

    assert await store.get("requests", "1") == {"status": "routed", "_version": 2}


async def test_put_ignores_version_in_document(store):
    await store.apply([Put("requests", "1", {"status": "new", "_version": 40})])

    assert (await store.get("requests", "1"))["_version"] == 1


async def test_collections_are_separate(store):
    await store.apply([Put("requests", "1", {"kind": "request"}), Put("events", "1", {"kind": "event"})])

    assert (await store.get("requests", "1"))["kind"] == "request"
    assert (await store.get("events", "1"))["kind"] == "event"
    assert await store.count("requests") == 1
    assert await store.count("events") == 1


async def test_find_matches_every_given_field(store):
    await store.apply(
        [
            Put("requests", "1", {"school": "Moody Elementary", "status": "new"}),
            Put("requests", "2", {"school": "Moody Elementary", "status": "routed"}),
            Put("requests", "3", {"school": "Centennial Secondary", "status": "new"}),
        ]
    )

    both = await store.find("requests", school="Moody Elementary", status="new")
    one_field = await store.find("requests", status="new")
    none = await store.find("requests", school="Nowhere")

    assert [doc["school"] for doc in both] == ["Moody Elementary"]
    assert both[0]["status"] == "new"
    assert sorted(doc["school"] for doc in one_field) == ["Centennial Secondary", "Moody Elementary"]
    assert none == []


async def test_find_without_fields_returns_all(store):
    await store.apply([Put("requests", str(number), {"number": number}) for number in range(1, 6)])

    found = await store.find("requests")

    assert sorted(doc["number"] for doc in found) == [1, 2, 3, 4, 5]


async def test_find_and_count_on_unknown_collection(store):
    assert await store.find("nothing-here") == []
    assert await store.find("nothing-here", status="new") == []
    assert await store.count("nothing-here") == 0


async def test_find_matches_list_and_none_values(store):
    await store.apply(
        [
            Put("requests", "1", {"articles": ["kb-forms-quiz"], "owner": None}),
            Put("requests", "2", {"articles": [], "owner": "29:adele"}),
        ]
    )

    assert [doc["owner"] for doc in await store.find("requests", articles=["kb-forms-quiz"])] == [None]
    assert [doc["articles"] for doc in await store.find("requests", owner=None)] == [["kb-forms-quiz"]]


async def test_find_compares_lists_and_objects_whole(store):
    await store.apply(
        [
            Put("requests", "1", {"articles": ["kb-forms-quiz", "kb-teams-assignments"], "context": {"grade": "4", "subject": "math"}}),
            Put("requests", "2", {"articles": ["kb-forms-quiz"], "context": {"grade": "4"}}),
        ]
    )

    by_list = await store.find("requests", articles=["kb-forms-quiz"])
    by_object = await store.find("requests", context={"grade": "4"})
    by_empty_list = await store.find("requests", articles=[])

    assert [doc["context"] for doc in by_list] == [{"grade": "4"}]
    assert [doc["articles"] for doc in by_object] == [["kb-forms-quiz"]]
    assert by_empty_list == []


async def test_find_treats_missing_field_as_no_match(store):
    await store.apply([Put("requests", "1", {"owner": None}), Put("requests", "2", {})])

    assert len(await store.find("requests", owner=None)) == 1


async def test_find_matches_equal_numbers(store):
    await store.apply([Put("requests", "1", {"level": 2}), Put("requests", "2", {"level": 2.5})])

    assert [doc["level"] for doc in await store.find("requests", level=2.0)] == [2]
    assert [doc["level"] for doc in await store.find("requests", level=2.5)] == [2.5]


async def test_find_by_version(store):
    await store.apply([Put("requests", "1", {"status": "new"}), Put("requests", "2", {"status": "new"})])
    await store.apply([Put("requests", "2", {"status": "new"})])

    found = await store.find("requests", status="new", _version=2)

    assert found == [{"status": "new", "_version": 2}]


async def test_collections_and_documents_list_contents(store):
    await store.apply([Put("requests", "1", {"status": "new"}), Put("events", "1-00001", {}), Put("people", "29:adele", {})])
    await store.apply([Delete("people", "29:adele")])

    assert await store.collections() == ["events", "requests"]
    assert await store.documents("requests") == {"1": {"status": "new", "_version": 1}}
    assert await store.documents("people") == {}


async def test_count_follows_puts_and_deletes(store):
    await store.apply([Put("requests", str(number), {}) for number in range(7)])
    await store.apply([Delete("requests", "0"), Delete("requests", "1")])

    assert await store.count("requests") == 5


async def test_empty_batch_changes_nothing(store):
    await store.apply([])

    assert await store.count("requests") == 0
    assert await store.collections() == []


async def test_unicode_text_survives_reopen(store):
    text = "Élève de 5e année 🧪 — «OneNote» · 数学"
    await store.apply([Put("requests", "1", {"description": text})])

    store = await reopen(store)
    try:
        assert (await store.get("requests", "1"))["description"] == text
    finally:
        await store.close()


# Conditional writes


async def test_expected_zero_creates_missing_key(store):
    await store.apply([Put("requests", "1", {"status": "new"}, expected_version=0)])

    assert (await store.get("requests", "1"))["_version"] == 1


async def test_expected_zero_rejects_existing_key(store):
    await store.apply([Put("requests", "1", {"status": "new"})])

    with pytest.raises(VersionConflict) as caught:
        await store.apply([Put("requests", "1", {"status": "duplicate"}, expected_version=0)])

    assert caught.value.collection == "requests"
    assert caught.value.key == "1"
    assert caught.value.expected == 0
    assert caught.value.actual == 1
    assert (await store.get("requests", "1"))["status"] == "new"


async def test_matching_version_allows_put(store):
    await store.apply([Put("requests", "1", {"status": "new"})])
    await store.apply([Put("requests", "1", {"status": "routed"})])

    await store.apply([Put("requests", "1", {"status": "claimed"}, expected_version=2)])

    assert await store.get("requests", "1") == {"status": "claimed", "_version": 3}


async def test_stale_version_rejects_put(store):
    await store.apply([Put("requests", "1", {"status": "new"})])
    await store.apply([Put("requests", "1", {"status": "routed"})])

    with pytest.raises(VersionConflict) as caught:
        await store.apply([Put("requests", "1", {"status": "claimed"}, expected_version=1)])

    assert caught.value.expected == 1
    assert caught.value.actual == 2
    assert "requests/1" in str(caught.value)
    assert await store.get("requests", "1") == {"status": "routed", "_version": 2}


async def test_expected_version_on_missing_key_conflicts(store):
    with pytest.raises(VersionConflict) as caught:
        await store.apply([Put("requests", "1", {"status": "claimed"}, expected_version=1)])

    assert caught.value.actual == 0
    assert await store.get("requests", "1") is None


async def test_conflict_is_a_storage_error(store):
    await store.apply([Put("requests", "1", {})])

    with pytest.raises(StorageError):
        await store.apply([Put("requests", "1", {}, expected_version=0)])


async def test_conflict_on_third_op_applies_none(store):
    await store.apply([Put("requests", "3", {"status": "claimed", "owner": "29:adele"})])

    with pytest.raises(VersionConflict):
        await store.apply(
            [
                Put("requests", "1", {"status": "new"}, expected_version=0),
                Put("events", "1-00001", {"type": "created"}, expected_version=0),
                Put("requests", "3", {"status": "claimed", "owner": "29:isaiah"}, expected_version=0),
            ]
        )

    assert await store.get("requests", "1") is None
    assert await store.get("events", "1-00001") is None
    assert (await store.get("requests", "3"))["owner"] == "29:adele"

    store = await reopen(store)
    try:
        assert await store.get("requests", "1") is None
        assert await store.count("events") == 0
    finally:
        await store.close()


async def test_batch_ops_see_earlier_ops_of_batch(store):
    await store.apply(
        [
            Put("counters", "requests", {"value": 1}, expected_version=0),
            Put("counters", "requests", {"value": 2}, expected_version=1),
        ]
    )

    assert await store.get("counters", "requests") == {"value": 2, "_version": 2}


async def test_repeated_condition_in_batch_conflicts(store):
    with pytest.raises(VersionConflict):
        await store.apply(
            [
                Put("counters", "requests", {"value": 1}, expected_version=0),
                Put("counters", "requests", {"value": 1}, expected_version=0),
            ]
        )

    assert await store.get("counters", "requests") is None


# Deletes


async def test_delete_removes_document(store):
    await store.apply([Put("requests", "1", {"status": "new"}), Put("requests", "2", {"status": "new"})])

    await store.apply([Delete("requests", "1")])

    assert await store.get("requests", "1") is None
    assert await store.get("requests", "2") is not None


async def test_delete_with_stale_version_conflicts(store):
    await store.apply([Put("requests", "1", {"status": "new"})])
    await store.apply([Put("requests", "1", {"status": "routed"})])

    with pytest.raises(VersionConflict):
        await store.apply([Delete("requests", "1", expected_version=1)])

    assert (await store.get("requests", "1"))["status"] == "routed"


async def test_delete_with_current_version(store):
    await store.apply([Put("requests", "1", {"status": "new"})])

    await store.apply([Delete("requests", "1", expected_version=1)])

    assert await store.get("requests", "1") is None


async def test_delete_of_missing_key_is_harmless(store):
    await store.apply([Delete("requests", "never-stored")])

    assert await store.count("requests") == 0


async def test_delete_expecting_zero_needs_missing_key(store):
    await store.apply([Put("requests", "1", {"status": "new"})])

    await store.apply([Delete("requests", "2", expected_version=0)])
    with pytest.raises(VersionConflict) as caught:
        await store.apply([Delete("requests", "1", expected_version=0)])

    assert caught.value.actual == 1
    assert await store.get("requests", "1") is not None


async def test_conflict_message_names_key_and_versions(store):
    await store.apply([Put("outbox", "digest:2026-05-04", {"state": "pending"})])

    with pytest.raises(VersionConflict, match=r"^outbox/digest:2026-05-04: expected version 3, found 1$"):
        await store.apply([Put("outbox", "digest:2026-05-04", {"state": "sending"}, expected_version=3)])


async def test_put_after_delete_restarts_version(store):
    await store.apply([Put("requests", "1", {"status": "new"})])
    await store.apply([Put("requests", "1", {"status": "routed"})])
    await store.apply([Delete("requests", "1")])

    await store.apply([Put("requests", "1", {"status": "new"}, expected_version=0)])

    assert (await store.get("requests", "1"))["_version"] == 1


async def test_delete_survives_reopen(store):
    await store.apply([Put("requests", "1", {}), Put("requests", "2", {})])
    await store.apply([Delete("requests", "1")])

    store = await reopen(store)
    try:
        assert await store.get("requests", "1") is None
        assert await store.count("requests") == 1
    finally:
        await store.close()


# Copies


async def test_get_returns_a_copy(store):
    await store.apply([Put("requests", "1", {"status": "new", "articles": ["kb-forms-quiz"]})])

    fetched = await store.get("requests", "1")
    fetched["status"] = "closed"
    fetched["articles"].append("kb-teams-assignments")
    fetched["_version"] = 99

    assert await store.get("requests", "1") == {"status": "new", "articles": ["kb-forms-quiz"], "_version": 1}


async def test_find_returns_copies(store):
    await store.apply([Put("requests", "1", {"status": "new", "history": [{"type": "created"}]})])

    for found in (await store.find("requests"), await store.find("requests", status="new")):
        found[0]["history"][0]["type"] = "deleted"
        found[0]["status"] = "closed"

    assert await store.get("requests", "1") == {"status": "new", "history": [{"type": "created"}], "_version": 1}


async def test_put_copies_caller_document(store):
    doc = {"status": "new", "articles": ["kb-forms-quiz"]}
    await store.apply([Put("requests", "1", doc)])

    doc["status"] = "closed"
    doc["articles"].clear()

    assert await store.get("requests", "1") == {"status": "new", "articles": ["kb-forms-quiz"], "_version": 1}
    assert "_version" not in doc


# Projections


async def test_project_returns_values_in_field_order(store):
    await store.apply([Put("requests", "1", {"status": "new", "school": "Moody", "after": {"rating": 4}})])

    rows = await store.project("requests", {"school": "", "status": None, ("after", "rating"): None})

    assert rows == [("Moody", "new", 4)]


async def test_project_reads_defaults_for_missing_fields(store):
    await store.apply([Put("requests", "1", {"status": None, "after": "not a dict"})])

    rows = await store.project("requests", {"status": "missing", "school": "", ("after", "rating"): 0, ("before", "rating"): -1})

    assert rows == [(None, "", 0, -1)]


async def test_project_follows_find_order_and_filter(store):
    docs = [{"status": "new", "n": 1}, {"status": "routed", "n": 2}, {"status": "new", "n": 3}, {"n": 4}]
    await store.apply([Put("requests", key, doc) for key, doc in zip(("b", "a", "d", "c"), docs)])
    await store.apply([Put("requests", "b", {"status": "new", "n": 5})])

    for equals in ({}, {"status": "new"}, {"status": "closed"}):
        found = await store.find("requests", **equals)
        rows = await store.project("requests", {"n": None, "_version": None}, **equals)
        assert rows == [(doc["n"], doc["_version"]) for doc in found], equals


async def test_project_sees_later_writes(store):
    await store.apply([Put("requests", "1", {"status": "new"}), Put("requests", "2", {"status": "new"})])
    assert await store.project("requests", {"status": None}, status="new") == [("new",), ("new",)]

    await store.apply([Put("requests", "1", {"status": "routed"}), Delete("requests", "2"), Put("requests", "3", {"status": "new"})])

    assert await store.project("requests", {"status": None}) == [("routed",), ("new",)]
    assert await store.project("requests", {"status": None}, status="new") == [("new",)]


async def test_project_rows_cannot_change_stored_data(store):
    await store.apply([Put("requests", "1", {"status": "new", "articles": ["kb-forms-quiz"], "after": {"tags": ["a"]}})])

    (row,) = await store.project("requests", {"status": None, "articles": None, "after": None})
    status, articles, after = row
    with pytest.raises(TypeError):
        row[0] = "closed"
    with pytest.raises(AttributeError):
        articles.append("kb-teams-assignments")
    with pytest.raises(TypeError):
        after["tags"] = []
    with pytest.raises(AttributeError):
        after["tags"].append("b")

    assert articles == ("kb-forms-quiz",)
    assert after["tags"] == ("a",)
    assert await store.get("requests", "1") == {"status": "new", "articles": ["kb-forms-quiz"], "after": {"tags": ["a"]}, "_version": 1}
    assert await store.project("requests", {"articles": None}) == [(("kb-forms-quiz",),)]


async def test_project_rejects_invalid_fields(store):
    with pytest.raises(ValueError):
        await store.project("requests", {})
    with pytest.raises(TypeError):
        await store.project("requests", {("after", 1): None})


# Counters


async def test_next_number_counts_from_one(store):
    assert [await store.next_number("requests") for _ in range(3)] == [1, 2, 3]
    assert await store.next_number("sessions") == 1


async def test_next_number_concurrent_calls_are_unique(store):
    numbers = await asyncio.gather(*(store.next_number("requests") for _ in range(50)))

    assert sorted(numbers) == list(range(1, 51))
    assert (await store.get("counters", "requests"))["value"] == 50


async def test_next_number_continues_after_reopen(store):
    for _ in range(4):
        await store.next_number("requests")

    store = await reopen(store)
    try:
        assert await store.next_number("requests") == 5
    finally:
        await store.close()


# Durability and the data folder


async def test_data_survives_close_and_reopen(store):
    await store.apply([Put("requests", "1", {"status": "new"}), Put("events", "1-00001", {"type": "created"})])
    await store.apply([Put("requests", "1", {"status": "routed"}, expected_version=1)])

    store = await reopen(store)
    try:
        assert await store.get("requests", "1") == {"status": "routed", "_version": 2}
        assert await store.get("events", "1-00001") == {"type": "created", "_version": 1}

        await store.apply([Put("requests", "1", {"status": "claimed"}, expected_version=2)])
        assert (await store.get("requests", "1"))["_version"] == 3
    finally:
        await store.close()


async def test_closed_store_rejects_reads_and_writes(store_factory):
    store = store_factory()
    await store.open()
    await store.close()

    with pytest.raises(StorageError, match="not open"):
        await store.get("requests", "1")
    with pytest.raises(StorageError, match="not open|closed"):
        await store.apply([Put("requests", "1", {})])


async def test_find_during_writes_sees_whole_collection(store):
    """Readers on the event loop must not see a collection change under them while a write is applied."""
    await store.apply([Put("requests", str(number), {"school": "Moody Elementary"}) for number in range(2000)])
    sizes: list[int] = []
    done = asyncio.Event()

    async def read_until_done() -> None:
        while not done.is_set():
            sizes.append(len(await store.find("requests", school="Moody Elementary")))
            sizes.append(len(await store.find("requests")))
            await asyncio.sleep(0)

    async def write_new_requests() -> None:
        try:
            for number in range(2000, 2100):
                await store.apply([Put("requests", str(number), {"school": "Moody Elementary"})])
        finally:
            done.set()

    # Frequent thread switches make a reader and the write thread interleave on any machine.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        await asyncio.gather(read_until_done(), write_new_requests())
    finally:
        sys.setswitchinterval(switch_interval)

    assert sizes
    assert min(sizes) >= 2000
    assert max(sizes) <= 2100
    assert await store.count("requests") == 2100


async def test_cancelled_apply_keeps_memory_and_disk_equal(store):
    write = asyncio.create_task(store.apply([Put("requests", "1", {"note": "cancelled"})]))
    await asyncio.sleep(0)
    write.cancel()
    with pytest.raises(asyncio.CancelledError):
        await write
    await store.apply([Put("requests", "2", {"note": "next"})])

    in_memory = await store.find("requests")
    store = await reopen(store)
    try:
        on_disk = await store.find("requests")
    finally:
        await store.close()

    assert sorted(doc["note"] for doc in in_memory) == sorted(doc["note"] for doc in on_disk)
    assert "next" in [doc["note"] for doc in on_disk]


# A model-based check: random batches against a plain dict, with reopens and (on TinyDB) compactions.

KEYS = [("requests", "1"), ("requests", "2"), ("events", "1")]

operation = st.tuples(
    st.sampled_from(["put", "delete"]),
    st.sampled_from(KEYS),
    st.integers(min_value=0, max_value=9),
    st.sampled_from(["none", "current", "stale"]),
)
step = st.one_of(st.lists(operation, min_size=1, max_size=4), st.just("reopen"), st.just("compact"))


def apply_to_model(model: dict, ops: list) -> dict | None:
    """Return the model after the batch, or None when a condition fails."""
    after = dict(model)
    for op in ops:
        slot = (op.collection, op.key)
        version = after[slot]["_version"] if slot in after else 0
        if op.expected_version is not None and op.expected_version != version:
            return None
        if isinstance(op, Put):
            after[slot] = {**op.doc, "_version": version + 1}
        else:
            after.pop(slot, None)
    return after


def build_ops(model: dict, batch: list) -> list:
    """Turn generated tuples into storage operations, with versions taken from the model before the batch."""
    ops = []
    for kind, (collection, key), value, condition in batch:
        version = model[(collection, key)]["_version"] if (collection, key) in model else 0
        expected = {"none": None, "current": version, "stale": version + 1}[condition]
        if kind == "put":
            ops.append(Put(collection, key, {"value": value}, expected))
        else:
            ops.append(Delete(collection, key, expected))
    return ops


async def stored_contents(store: Store) -> dict:
    contents = {}
    for collection, key in KEYS:
        doc = await store.get(collection, key)
        if doc is not None:
            contents[(collection, key)] = doc
    return contents


def test_store_matches_dict_model(backend, request):
    url = request.getfixturevalue("postgres_schema_url") if backend == "postgres" else None

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=st.lists(step, min_size=1, max_size=12))
    def check(steps):
        async def run(folder: str) -> None:
            store = TinyDBStore(folder) if url is None else PostgresStore(url)
            await store.open()
            # Every PostgreSQL example uses the test's one schema, so it first deletes what the last example left.
            await store.apply([Delete(collection, key) for collection, key in KEYS])
            model: dict = {}
            try:
                for item in steps:
                    if item == "reopen":
                        store = await reopen(store)
                    elif item == "compact":
                        if isinstance(store, TinyDBStore):
                            store.compact()
                    else:
                        ops = build_ops(model, item)
                        expected = apply_to_model(model, ops)
                        if expected is None:
                            with pytest.raises(VersionConflict):
                                await store.apply(ops)
                        else:
                            await store.apply(ops)
                            model = expected
                    assert await stored_contents(store) == model
                store = await reopen(store)
                assert await stored_contents(store) == model
                assert await store.count("requests") == sum(1 for collection, _ in model if collection == "requests")
            finally:
                await store.close()

        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(run(folder))

    check()
