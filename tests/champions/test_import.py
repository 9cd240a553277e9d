"""Importing the champion directory from CSV and YAML: every row checked, bad rows reported by line, nothing half-imported."""

import subprocess
import sys
import textwrap

import pytest

from champions import ChampionDirectory, ChampionImportError, load_champions
from storage import TinyDBStore
from tests.conftest import REPO

HEADER = "id,name,upn,school,categories,monthly_capacity,available\n"
GOOD_ROWS = (
    "00000000-0000-0000-0000-000000000031,Jo Nakamura,Jo.Nakamura@district.example,Anmore Elementary,onenote;forms,3,yes\n"
    "00000000-0000-0000-0000-000000000032,Kim Osei,kim.osei@district.example,eagle mountain middle,*,2,\n"
)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(*arguments: str, data) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "champions", *arguments, "--data", str(data)], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_csv_rows_become_champions(settings, tmp_path):
    path = write(tmp_path, "champions.csv", HEADER + GOOD_ROWS)

    imported = load_champions(path, settings.catalogue, settings.schools)
    jo, kim = (item.champion for item in imported)

    assert jo.upn == "jo.nakamura@district.example"
    assert jo.categories == ("onenote", "forms")
    assert jo.monthly_capacity == 3
    assert imported[0].sets_availability is True
    assert kim.school == "Eagle Mountain Middle"
    assert kim.categories == ("*",)
    assert imported[1].sets_availability is False


def test_bad_rows_reported_by_line(settings, tmp_path):
    rows = GOOD_ROWS + (
        "00000000-0000-0000-0000-000000000033,Lee Fontaine,not-an-address,Nowhere School,onenote,3,\n"
        "00000000-0000-0000-0000-000000000034,Rae Lindqvist,rae@district.example,Anmore Elementary,quantum,many,perhaps\n"
        "00000000-0000-0000-0000-000000000031,Jo Again,jo2@district.example,Anmore Elementary,onenote,1,\n"
    )
    path = write(tmp_path, "champions.csv", HEADER + rows)

    with pytest.raises(ChampionImportError) as raised:
        load_champions(path, settings.catalogue, settings.schools)
    problems = dict(raised.value.problems)

    assert sorted(problems) == [4, 5, 6]
    assert "upn 'not-an-address'" in problems[4]
    assert "school 'Nowhere School' is not in the school directory" in problems[4]
    assert "quantum not in the service catalogue" in problems[5]
    assert "monthly_capacity 'many'" in problems[5]
    assert "available 'perhaps'" in problems[5]
    assert "repeated; it was first given on line 2" in problems[6]


def test_missing_column_reported(settings, tmp_path):
    path = write(tmp_path, "champions.csv", "id,name,school\n1,Jo,Anmore Elementary\n")

    with pytest.raises(ChampionImportError, match="lacks the column"):
        load_champions(path, settings.catalogue, settings.schools)


def test_yaml_lines_point_at_bad_entry(settings, tmp_path):
    text = textwrap.dedent(
        """\
        champions:
          - id: 00000000-0000-0000-0000-000000000031
            name: Jo Nakamura
            upn: jo@district.example
            school: Anmore Elementary
            categories: [onenote, forms]
            monthly_capacity: 3
            available: true
          - id: 00000000-0000-0000-0000-000000000032
            name: Kim Osei
            upn: kim@district.example
            school: Anmore Elementary
            categories: []
            monthly_capacity: -1
        """
    )
    path = write(tmp_path, "champions.yaml", text)

    with pytest.raises(ChampionImportError) as raised:
        load_champions(path, settings.catalogue, settings.schools)
    ((line, problem),) = raised.value.problems

    assert line == 9
    assert "categories is missing" in problem
    assert "monthly_capacity '-1'" in problem


def test_yaml_list_imports(settings, tmp_path):
    text = "- {id: abc-1, name: Jo, upn: jo@district.example, school: Anmore Elementary, categories: '*', monthly_capacity: 1, available: no}\n"
    path = write(tmp_path, "champions.yml", text)

    (item,) = load_champions(path, settings.catalogue, settings.schools)

    assert item.champion.available is False
    assert item.sets_availability is True


def test_cli_imports_then_keeps_availability(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    path = write(tmp_path, "champions.csv", HEADER + GOOD_ROWS)

    first = run_cli("import", str(path), data=data)
    second = run_cli("import", str(path), data=data)
    listed = run_cli("list", data=data)

    assert first.returncode == 0, first.stderr
    assert "2 added, 0 updated" in first.stdout
    assert "0 added, 2 updated" in second.stdout
    assert "Jo Nakamura" in listed.stdout
    assert "capacity 2/month" in listed.stdout


async def test_import_keeps_flag_a_champion_set(settings, tmp_path):
    path = write(tmp_path, "champions.csv", HEADER + GOOD_ROWS)
    store = TinyDBStore(tmp_path / "data")
    await store.open()
    try:
        directory = ChampionDirectory(store)
        imported = load_champions(path, settings.catalogue, settings.schools)
        keep = [item.champion.id for item in imported if not item.sets_availability]
        await directory.save_all([item.champion for item in imported], keep)
        await directory.set_available("00000000-0000-0000-0000-000000000032", False)

        await directory.save_all([item.champion for item in imported], keep)
        kim = await directory.get("00000000-0000-0000-0000-000000000032")
    finally:
        await store.close()

    assert kim.available is False


def test_cli_bad_file_imports_nothing(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rows = GOOD_ROWS + "00000000-0000-0000-0000-000000000033,Lee,lee@district.example,Atlantis,onenote,3,\n"
    path = write(tmp_path, "champions.csv", HEADER + rows)

    result = run_cli("import", str(path), data=data)
    listed = run_cli("list", data=data)

    assert result.returncode == 2
    assert "line 4: school 'Atlantis' is not in the school directory" in result.stderr
    assert "nothing was imported" in result.stderr
    assert "directory is empty" in listed.stdout
