"""The TinyDB store's field indexes: `find` must return what a TinyDB query scan returns, in the same order."""

from enum import StrEnum

import pytest
from hypothesis import HealthCheck, given, settings
from tinydb import Query

from storage import Delete, Put, TinyDBStore, VersionConflict
from storage.field_index import CollectionIndexes, FieldIndex
from tests.conftest import opened_tinydb
from tests.storage import random_steps


class Status(StrEnum):
    NEW = "new"


@pytest.fixture
async def store(data_dir):
    """Return an open TinyDB store; this replaces the fixture of conftest.py that runs every backend."""
    async with opened_tinydb(data_dir) as opened:
        yield opened


async def reopen(store: TinyDBStore) -> TinyDBStore:
    await store.close()
    again = TinyDBStore(store.folder)
    await again.open()
    return again


def scan(store: TinyDBStore, collection: str, **equals) -> list[dict]:
    """Return what the store's find returned before it had indexes: a TinyDB query over the whole table."""
    condition = None
    for field, value in equals.items():
        term = Query()[field] == value
        condition = term if condition is None else condition & term
    return [dict(doc) for doc in store._table(collection).search(condition)]


async def assert_same_as_scan(store: TinyDBStore, collection: str, **equals) -> None:
    found = await store.find(collection, **equals)
    assert found == scan(store, collection, **equals), f"find({collection!r}, {equals}) differs from a scan"


async def test_find_uses_declared_index(store):
    await store.apply([Put("requests", str(number), {"teacher_id": f"t{number % 3}", "status": "new"}) for number in range(9)])

    found = await store.find("requests", teacher_id="t1")

    assert [doc["teacher_id"] for doc in found] == ["t1", "t1", "t1"]
    await assert_same_as_scan(store, "requests", teacher_id="t1")


async def test_undeclared_field_indexed_on_first_find(store):
    await store.apply([Put("articles", str(number), {"category": "forms" if number % 2 else "teams"}) for number in range(6)])

    first = await store.find("articles", category="forms")
    await store.apply([Put("articles", "9", {"category": "forms"})])
    second = await store.find("articles", category="forms")

    assert len(first) == 3
    assert len(second) == 4
    await assert_same_as_scan(store, "articles", category="forms")


async def test_update_moves_document_between_values(store):
    await store.apply([Put("requests", "1", {"status": "new"}), Put("requests", "2", {"status": "new"})])
    await store.apply([Put("requests", "1", {"status": "routed"}, expected_version=1)])

    assert [doc["status"] for doc in await store.find("requests", status="routed")] == ["routed"]
    assert len(await store.find("requests", status="new")) == 1
    await assert_same_as_scan(store, "requests", status="new")
    await assert_same_as_scan(store, "requests", status="routed")


async def test_results_keep_collection_order(store):
    """An update keeps a document's place, and a delete and put again moves it last, as in the collection's dict."""
    await store.apply([Put("requests", str(n), {"n": n, "status": "routed" if n == 2 else "new"}) for n in range(1, 5)])
    await store.apply([Put("requests", "2", {"n": 2, "status": "new"})])
    await store.apply([Delete("requests", "1")])
    await store.apply([Put("requests", "1", {"n": 1, "status": "new"})])

    found = await store.find("requests", status="new")

    assert [doc["n"] for doc in found] == [2, 3, 4, 1]
    await assert_same_as_scan(store, "requests", status="new")


async def test_delete_removes_from_index(store):
    await store.apply([Put("outbox", "a", {"state": "pending"}), Put("outbox", "b", {"state": "pending"})])
    await store.apply([Delete("outbox", "a")])

    assert [doc["state"] for doc in await store.find("outbox", state="pending")] == ["pending"]
    await assert_same_as_scan(store, "outbox", state="pending")


async def test_conflict_leaves_index_unchanged(store):
    await store.apply([Put("requests", "1", {"status": "new"})])

    with pytest.raises(VersionConflict):
        await store.apply([Put("requests", "2", {"status": "routed"}), Put("requests", "1", {"status": "routed"}, expected_version=5)])

    assert await store.find("requests", status="routed") == []
    assert len(await store.find("requests", status="new")) == 1


async def test_changes_within_one_batch_are_indexed_in_order(store):
    await store.apply(
        [
            Put("requests", "1", {"status": "new"}),
            Put("requests", "1", {"status": "routed"}),
            Put("requests", "2", {"status": "new"}),
            Delete("requests", "2"),
        ]
    )

    assert await store.find("requests", status="new") == []
    assert len(await store.find("requests", status="routed")) == 1
    await assert_same_as_scan(store, "requests", status="routed")


async def test_indexes_rebuilt_on_reopen(store):
    await store.apply([Put("events", f"1-{seq:05d}", {"request": 1, "seq": seq}) for seq in range(1, 4)])
    await store.apply([Put("events", "2-00001", {"request": 2, "seq": 1})])
    store.compact()
    await store.apply([Put("events", "1-00004", {"request": 1, "seq": 4})])

    store = await reopen(store)
    try:
        assert [doc["seq"] for doc in await store.find("events", request=1)] == [1, 2, 3, 4]
        await assert_same_as_scan(store, "events", request=1)
    finally:
        await store.close()


async def test_equal_numbers_and_bools_match(store):
    await store.apply(
        [
            Put("items", "int", {"value": 1}),
            Put("items", "float", {"value": 1.0}),
            Put("items", "bool", {"value": True}),
            Put("items", "zero", {"value": 0}),
            Put("items", "false", {"value": False}),
        ]
    )

    for value in (1, 1.0, True, 0, False, 2):
        await assert_same_as_scan(store, "items", value=value)
    assert len(await store.find("items", value=1)) == 3


async def test_none_does_not_match_missing_field(store):
    await store.apply([Put("requests", "1", {"owner_id": None}), Put("requests", "2", {"status": "new"})])

    found = await store.find("requests", owner_id=None)

    assert [doc["_version"] for doc in found] == [1]
    assert found[0]["owner_id"] is None
    await assert_same_as_scan(store, "requests", owner_id=None)


async def test_list_and_dict_values_compared_by_equality(store):
    await store.apply(
        [
            Put("requests", "1", {"related": [2, 3]}),
            Put("requests", "2", {"related": []}),
            Put("requests", "3", {"related": {"first": 2}}),
            Put("requests", "4", {"related": "2"}),
        ]
    )

    assert len(await store.find("requests", related=[2, 3])) == 1
    for value in ([2, 3], [], {"first": 2}, "2", [3, 2]):
        await assert_same_as_scan(store, "requests", related=value)


async def test_str_enum_query_matches_stored_text(store):
    await store.apply([Put("requests", "1", {"status": "new"}), Put("requests", "2", {"status": "routed"})])

    found = await store.find("requests", status=Status.NEW)

    assert len(found) == 1
    await assert_same_as_scan(store, "requests", status=Status.NEW)


async def test_nan_matches_nothing(store):
    await store.apply([Put("items", "1", {"value": 0.5})])
    nan = float("nan")

    assert await store.find("items", value=nan) == []
    await assert_same_as_scan(store, "items", value=nan)


async def test_several_fields_intersect(store):
    docs = [
        {"teacher_id": "t1", "status": "new", "school": "Moody"},
        {"teacher_id": "t1", "status": "routed", "school": "Moody"},
        {"teacher_id": "t2", "status": "new", "school": "Moody"},
        {"teacher_id": "t1", "status": "new", "school": "Centennial"},
    ]
    await store.apply([Put("requests", str(number), doc) for number, doc in enumerate(docs)])

    found = await store.find("requests", teacher_id="t1", status="new", school="Moody")

    assert len(found) == 1
    await assert_same_as_scan(store, "requests", teacher_id="t1", status="new", school="Moody")
    await assert_same_as_scan(store, "requests", teacher_id="t1", status="closed")


def test_field_index_keeps_other_values_aside():
    index = FieldIndex.build("value", {"a": {"value": [1]}, "b": {"value": "x"}, "c": {}})

    assert index.keys_equal_to([1]) == {"a"}
    assert index.keys_equal_to("x") == {"b"}
    index.remove("a", {"value": [1]})
    assert index.keys_equal_to([1]) == set()


def test_collection_indexes_follow_replaced_data():
    """The indexes read the data through a function, so a storage that swaps its dict is still followed."""
    data = {"requests": {"1": {"status": "new"}}}
    indexes = CollectionIndexes(lambda: data)
    indexes.ensure("requests", ["status"])

    indexes.apply([("requests", "2", {"status": "new"})])
    data["requests"]["2"] = {"status": "new"}

    assert indexes.find_keys("requests", {"status": "new"}) == ["1", "2"]


# A model-based check: random batches, conflicts, reopens and compactions, comparing every find with a scan.

QUERIES = [{"status": "new"}, {"status": 1}, {"status": None}, {"owner_id": True}, {"status": [1, 2]}, {"status": "new", "owner_id": None}, {"note": {"a": 1}}]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step_list=random_steps.steps(["status", "owner_id", "note"]))
def test_find_matches_scan_after_random_steps(step_list):
    async def check(store) -> None:
        for query in QUERIES:
            assert await store.find(random_steps.COLLECTION, **query) == scan(store, random_steps.COLLECTION, **query), query

    random_steps.run_steps(step_list, check)
