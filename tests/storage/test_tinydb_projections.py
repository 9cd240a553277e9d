"""The TinyDB store's kept projections: after any writes, `project` must equal the projection of what `find` returns."""


import pytest
from hypothesis import HealthCheck, given, settings

from storage import Put, StorageError, TinyDBStore
from storage import projection as projection_module
from storage.projection import MAX_KEPT_PROJECTIONS, Projection
from tests.conftest import opened_tinydb
from tests.storage import random_steps

STATUS = {"status": None}


@pytest.fixture
async def store(data_dir):
    """Return an open TinyDB store; this replaces the fixture of conftest.py that runs every backend."""
    async with opened_tinydb(data_dir) as opened:
        yield opened


async def assert_same_as_find(store: TinyDBStore, collection: str, fields: dict, **equals) -> None:
    expected = Projection(fields).rows(await store.find(collection, **equals))
    assert await store.project(collection, fields, **equals) == expected, f"project({collection!r}, {fields}, {equals}) differs from find"


async def test_rows_kept_between_reads(store):
    await store.apply([Put("requests", str(number), {"status": "new"}) for number in range(3)])

    first = await store.project("requests", STATUS)
    second = await store.project("requests", STATUS)

    assert second == first
    assert all(a is b for a, b in zip(first, second))


async def test_write_replaces_only_its_row(store):
    await store.apply([Put("requests", str(number), {"status": "new"}) for number in range(3)])
    first = await store.project("requests", STATUS)

    await store.apply([Put("requests", "1", {"status": "routed"})])
    second = await store.project("requests", STATUS)

    assert second == [("new",), ("routed",), ("new",)]
    assert second[0] is first[0]
    assert second[2] is first[2]


async def test_document_starting_to_match_keeps_order(store):
    await store.apply([Put("requests", key, {"status": status}) for key, status in (("a", "new"), ("b", "routed"), ("c", "new"))])
    await store.project("requests", {"status": None, "_version": None}, status="new")

    await store.apply([Put("requests", "b", {"status": "new"})])

    await assert_same_as_find(store, "requests", {"status": None, "_version": None}, status="new")
    assert len(await store.project("requests", STATUS, status="new")) == 3


async def test_projection_beyond_limit_rebuilt(store):
    await store.apply([Put("requests", "1", {"status": "new", "n": 1})])
    first = await store.project("requests", STATUS)
    for number in range(MAX_KEPT_PROJECTIONS):
        await store.project("requests", {"n": number})

    await store.apply([Put("requests", "2", {"status": "routed"})])
    again = await store.project("requests", STATUS)

    assert again == [("new",), ("routed",)]
    assert again[0] is not first[0]


async def test_unhashable_default_not_kept(store):
    await store.apply([Put("requests", "1", {"status": "new"})])

    first = await store.project("requests", {"tags": []})
    second = await store.project("requests", {"tags": []})

    assert first == [((),)]
    assert second == first
    assert second[0] is not first[0]


async def test_defaults_of_equal_values_kept_apart(store):
    await store.apply([Put("requests", "1", {})])

    assert await store.project("requests", {"level": 1}) == [(1,)]
    assert await store.project("requests", {"level": True}) == [(True,)]
    assert type((await store.project("requests", {"level": True}))[0][0]) is bool


async def test_kept_rows_share_equal_strings(store):
    await store.apply([Put("requests", str(number), {"status": "new"}) for number in range(3)])

    rows = await store.project("requests", STATUS)
    await store.apply([Put("requests", "3", {"status": "new"})])
    after_write = await store.project("requests", STATUS)

    assert rows[0][0] is rows[1][0] is rows[2][0]
    assert after_write[3][0] is rows[0][0]


async def test_shared_strings_bounded(store, monkeypatch):
    monkeypatch.setattr(projection_module, "MAX_SHARED_STRINGS", 2)
    await store.apply([Put("requests", str(number), {"status": status}) for number, status in enumerate(("a", "b", "c", "c", "a"))])

    rows = await store.project("requests", STATUS)

    assert [row[0] for row in rows] == ["a", "b", "c", "c", "a"]
    assert rows[4][0] is rows[0][0]
    assert rows[3][0] is not rows[2][0]


async def test_closed_store_rejects_project(store):
    await store.close()

    with pytest.raises(StorageError, match="not open"):
        await store.project("requests", STATUS)


# A model-based check: random batches, conflicts, reopens and compactions, comparing every projection with find.

PROJECTIONS = [
    ({"status": None, "owner_id": ""}, {}),
    ({"status": None}, {"status": "new"}),
    ({"owner_id": 0, ("after", "a"): None}, {"status": 1}),
    ({"after": None}, {"owner_id": None}),
    ({"status": None}, {"status": [1, 2]}),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step_list=random_steps.steps(["status", "owner_id", "after"]))
def test_project_matches_find_after_random_steps(step_list):
    async def check(store) -> None:
        for fields, equals in PROJECTIONS:
            await assert_same_as_find(store, random_steps.COLLECTION, fields, **equals)

    random_steps.run_steps(step_list, check)
