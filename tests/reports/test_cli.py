"""The reports command: JSON, CSV and PNG output, and its errors."""

import asyncio
import csv
import io
import json

from reports.__main__ import EXIT_DATA_UNAVAILABLE, EXIT_INVALID_INPUT, EXIT_OK, main
from storage import TinyDBStore

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def base_args(report_config, data_folder, *extra: str) -> list[str]:
    return ["--config", str(report_config), "--data", str(data_folder), "--from", "2026-09-01", "--to", "2026-11-01", *extra]


async def test_json_has_all_figures(report_config, data_folder, capsys):
    status, out, err = await asyncio.to_thread(run, capsys, *base_args(report_config, data_folder))
    figures = json.loads(out)

    assert status == EXIT_OK, err
    assert figures["touches"]["total"] == 10
    assert figures["requests"]["filed"] == 9
    assert figures["response_times"]["resolution"]["median_hours"] == 12.0
    assert figures["touches"]["by_tst"][0]["name"] == "Isaiah Langer"
    assert figures["kb_gaps"]["count"] == 2


async def test_csv_lists_touch_rows(report_config, data_folder, capsys):
    status, out, err = await asyncio.to_thread(run, capsys, *base_args(report_config, data_folder, "--format", "csv"))
    rows = list(csv.DictReader(io.StringIO(out)))

    assert status == EXIT_OK, err
    assert len(rows) == 10
    assert rows[0]["school_level"] == "elementary"
    assert {row["kind"] for row in rows} == {"self_help", "remote", "small_group", "champion"}


async def test_filters_apply_to_csv(report_config, data_folder, capsys):
    args = base_args(report_config, data_folder, "--format", "csv", "--school", "fir secondary")
    status, out, err = await asyncio.to_thread(run, capsys, *args)
    rows = list(csv.DictReader(io.StringIO(out)))

    assert status == EXIT_OK, err
    assert len(rows) == 4
    assert {row["school"] for row in rows} == {"Fir Secondary"}


async def test_school_level_filter_in_json(report_config, data_folder, capsys):
    args = base_args(report_config, data_folder, "--school-level", "middle")
    status, out, err = await asyncio.to_thread(run, capsys, *args)

    assert status == EXIT_OK, err
    assert json.loads(out)["touches"]["total"] == 2


async def test_png_written_to_file(report_config, data_folder, capsys, tmp_path):
    out_file = tmp_path / "chart.png"
    status, _, err = await asyncio.to_thread(run, capsys, *base_args(report_config, data_folder, "--format", "png", "--out", str(out_file)))

    assert status == EXIT_OK, err
    assert out_file.read_bytes().startswith(PNG_SIGNATURE)


async def test_png_without_out_rejected(report_config, data_folder, capsys):
    status, _, err = await asyncio.to_thread(run, capsys, *base_args(report_config, data_folder, "--format", "png"))

    assert status == EXIT_INVALID_INPUT
    assert "--format png needs --out" in err


def test_end_before_start_rejected(report_config, tmp_path, capsys):
    args = ["--config", str(report_config), "--data", str(tmp_path), "--from", "2026-12-31", "--to", "2026-09-01"]
    status, out, err = run(capsys, *args)

    assert status == EXIT_INVALID_INPUT
    assert "must be after the start date" in err
    assert out == ""


def test_invalid_date_rejected(report_config, tmp_path, capsys):
    args = ["--config", str(report_config), "--data", str(tmp_path), "--from", "2026-09-31", "--to", "2026-12-31"]
    status, _, err = run(capsys, *args)

    assert status == EXIT_INVALID_INPUT
    assert "'from' date '2026-09-31' is invalid" in err


def test_unknown_school_rejected(report_config, tmp_path, capsys):
    args = ["--config", str(report_config), "--data", str(tmp_path), "--from", "2026-09-01", "--to", "2026-12-31", "--school", "Nowhere"]
    status, _, err = run(capsys, *args)

    assert status == EXIT_INVALID_INPUT
    assert "school 'Nowhere' is not in the school directory" in err


def test_missing_data_folder_rejected(report_config, tmp_path, capsys):
    missing = tmp_path / "no-such-folder"
    status, _, err = run(capsys, "--config", str(report_config), "--data", str(missing), "--from", "2026-09-01", "--to", "2026-12-31")

    assert status == EXIT_INVALID_INPUT
    assert "was not found" in err
    assert not missing.exists()


async def test_locked_data_folder_reported(report_config, data_folder, capsys):
    holder = TinyDBStore(data_folder)
    await holder.open()
    try:
        status, _, err = await asyncio.to_thread(run, capsys, *base_args(report_config, data_folder))
    finally:
        await holder.close()

    assert status == EXIT_DATA_UNAVAILABLE
    assert "open in another process" in err
