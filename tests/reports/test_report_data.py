"""The report's rows read from a real TinyDB store: the same figures as the documents, and no way to change stored data."""

from dataclasses import replace

import pytest

from reports.data import REQUEST_FIELDS, TOUCH_FIELDS, ReportData, Rows, load_report_data, rows_of
from reports.figures import compute_report, touch_rows
from storage import VERSION_FIELD, Put
from tests.conftest import opened_tinydb
from tests.reports.fixture import CEDAR, MAPLE, QUERY, REQUESTS, TOUCHES, context, report_data

QUERIES = [
    QUERY,
    replace(QUERY, school_level="secondary"),
    replace(QUERY, school_level="elementary"),
    replace(QUERY, school=MAPLE),
    replace(QUERY, school=CEDAR),
]


@pytest.fixture
async def store(data_folder):
    async with opened_tinydb(data_folder) as opened:
        yield opened


async def test_store_rows_give_document_figures(store):
    loaded = await load_report_data(store)

    for query in QUERIES:
        assert compute_report(loaded, query, context()) == compute_report(report_data(), query, context()), query


async def test_store_rows_give_document_touch_rows(store):
    loaded = await load_report_data(store)

    for query in QUERIES:
        assert touch_rows(loaded, query, context()) == touch_rows(report_data(), query, context()), query


async def test_loaded_rows_are_tuples_of_fields(store):
    loaded = await load_report_data(store)

    assert isinstance(loaded.requests, Rows)
    assert loaded.requests.fields == tuple(REQUEST_FIELDS)
    assert len(loaded.requests) == len(REQUESTS)
    assert len(loaded.touches) == len(TOUCHES)
    assert loaded.names["tst-a"] == "Adele Vance"
    assert all(type(row) is tuple for row in loaded.touches.values)


async def test_loaded_rows_cannot_change_store(store):
    loaded = await load_report_data(store)
    row = loaded.requests.values[0]

    with pytest.raises(TypeError):
        row[1] = "Changed Elementary"
    loaded.requests.values.clear()

    again = await load_report_data(store)
    assert len(again.requests) == len(REQUESTS)
    assert (await store.get("requests", "1"))["school"] == MAPLE


async def test_report_sees_writes_after_first_load(store):
    await load_report_data(store)
    stored = await store.get("requests", "9")
    version = stored.pop(VERSION_FIELD)
    await store.apply([Put("requests", "9", {**stored, "status": "closed"}, version)])

    report = compute_report(await load_report_data(store), QUERY, context())

    assert report["backlog"]["total"] == compute_report(report_data(), QUERY, context())["backlog"]["total"] - 1


def test_rows_of_other_fields_rejected():
    rows = Rows(("number",), [(1,)])

    with pytest.raises(ValueError, match="fields"):
        rows_of(rows, REQUEST_FIELDS)


def test_missing_fields_read_as_before():
    touch = {key: value for key, value in TOUCHES[1].items() if key not in ("school", "category", "by_id")}
    data = ReportData(touches=[touch])

    report = compute_report(data, QUERY, context())

    assert report["touches"]["by_school"] == [{"school": "", "school_level": "unknown", "count": 1}]
    assert report["touches"]["by_category"][0]["category"] == ""
    assert report["touches"]["by_tst"] == [{"id": "", "name": "", "count": 1}]
    assert rows_of([touch], TOUCH_FIELDS)[0][3] == ""


def test_missing_time_skipped():
    touches = [{**TOUCHES[1], "at": None}, {key: value for key, value in TOUCHES[2].items() if key != "at"}, TOUCHES[3]]

    report = compute_report(ReportData(touches=touches), QUERY, context())

    assert report["touches"]["total"] == 1



async def test_champion_directory_names_tst_rows(store):
    await store.apply([Put("champions", "champion-c1", {"id": "champion-c1", "name": "Lee Gu", "school": MAPLE}, 0)])

    loaded = await load_report_data(store)
    figures = compute_report(loaded, QUERY, context())

    assert {"id": "champion-c1", "name": "Lee Gu", "count": 1} in figures["touches"]["by_tst"]


async def test_people_names_win_over_champion_directory(store):
    await store.apply([Put("champions", "tst-a", {"id": "tst-a", "name": "A. Vance", "school": MAPLE}, 0)])

    loaded = await load_report_data(store)

    assert loaded.names["tst-a"] == "Adele Vance"
