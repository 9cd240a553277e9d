"""Personal data: export, forget with pseudonyms, retention purge, and the command line on a stopped bot's folder."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from domain.clock import to_iso
from domain.intake import IntakeForm
from knowledge import ArticleStats
from knowledge.gaps import record_gap
from privacy import FORMER_NAME, export_person, forget_person, purge_closed, pseudonym_for
from storage import Put, TinyDBStore
from tests.conftest import REPO
from tests.factories import TEACHER, TEACHER_2, TRIAGER, TST

MARKER = "privacy-marker-7f3a"
DESCRIPTION = f"Students get a sign-in error in Minecraft Education ({MARKER} description)."


def actor(services, account):
    return services.roles.actor(account.aad_object_id, account.name)


async def resolved_request(services, account=TEACHER, tag="form-1") -> int:
    """File, route, work on and resolve a request, with text the teacher wrote at each step; return its number."""
    helpdesk, ladder = services.helpdesk, services.ladder
    teacher, triager, tst = actor(services, account), actor(services, TRIAGER), actor(services, TST)
    await services.people.remember(teacher.id, teacher.name, {"user": {"id": account.id, "aadObjectId": teacher.id}})
    form = IntakeForm(tag, "minecraft", DESCRIPTION, "one_to_one", "Pinetree Secondary", "Grade 9", "ADST", "whenever", f"{MARKER} dates")
    request = await helpdesk.open_request(teacher, form)
    number = request.number
    await record_gap(services.store, f"request-{number}", DESCRIPTION, "minecraft", "secondary", request.created_at)
    if request.status == "suggested":
        await ArticleStats(services.store).record_vote(teacher.id, request.suggested_articles[0], True)
        await helpdesk.decline_suggestion(teacher, number)
    await helpdesk.route(triager, number, 1, "tst-remote")
    await helpdesk.claim(tst, number)
    await helpdesk.add_note(tst, number, "Checked the licence pool.")
    await ladder.message_teacher(tst, number, "Which laptops?", wait_for_reply=True)
    await ladder.teacher_reply(teacher, number, f"The library ones ({MARKER} reply).")
    await helpdesk.resolve(tst, number, "Reset the licences in the admin centre.")
    await helpdesk.rate(teacher, number, 5, f"Great help ({MARKER} comment)")
    return number


async def everything(store) -> str:
    """Return every document of every stored collection as one JSON text."""
    return json.dumps({name: await store.documents(name) for name in await store.collections()}, ensure_ascii=False)


async def test_export_lists_requests_with_history(services):
    number = await resolved_request(services)

    exported = await export_person(services.store, TEACHER.aad_object_id)

    assert exported["profile"]["name"] == TEACHER.name
    [request] = exported["requests"]
    assert request["number"] == number
    assert request["description"] == DESCRIPTION
    assert [event["type"] for event in request["history"]][:2] == ["created", "self_help_declined"]
    assert "message_from_teacher" in [event["type"] for event in request["history"]]
    assert len(request["touches"]) == 1
    assert exported["touches"] == request["touches"]
    assert len(exported["article_votes"]) == 1
    assert "_version" not in json.dumps(exported)
    json.dumps(exported)


async def test_export_of_staff_lists_their_actions(services):
    number = await resolved_request(services)

    exported = await export_person(services.store, TST.aad_object_id)

    assert exported["requests"] == []
    assert exported["requests_owned"] == [number]
    assert {event["type"] for event in exported["actions_on_other_requests"]} >= {"claimed", "note", "resolved"}


async def test_forget_removes_person_and_text(services):
    number = await resolved_request(services)
    other = await resolved_request(services, TEACHER_2, "form-2")
    touches_before = len(await services.store.find("touches"))

    summary = await forget_person(services.store, TEACHER.aad_object_id)
    stored = await everything(services.store)
    request = await services.helpdesk.get(number)
    history = await services.helpdesk.history(number)

    assert TEACHER.aad_object_id not in stored
    assert TEACHER.name not in stored
    assert MARKER not in json.dumps([doc for doc in await services.store.find("requests") if doc["number"] == number])
    assert await services.store.get("people", TEACHER.aad_object_id) is None
    assert request.teacher_id == summary["pseudonym"]
    assert request.teacher_name == FORMER_NAME
    assert request.description == ""
    assert request.resolution_note == "Reset the licences in the admin centre."
    teacher_notes = [event.note for event in history if event.actor_id == summary["pseudonym"]]
    assert len(teacher_notes) == 4
    assert set(teacher_notes) == {""}
    assert "Checked the licence pool." in [event.note for event in history]
    assert len(await services.store.find("touches")) == touches_before
    assert (await services.helpdesk.get(other)).description == DESCRIPTION
    assert await services.store.find("outbox", kind="refresh_cards", request=number, state="pending")


async def test_forget_keeps_teacher_text_of_others(services):
    await resolved_request(services)
    other = await resolved_request(services, TEACHER_2, "form-2")

    await forget_person(services.store, TEACHER.aad_object_id)

    notes = [event.note for event in await services.helpdesk.history(other)]
    assert f"The library ones ({MARKER} reply)." in notes


async def test_pseudonym_is_stable_and_keyed(services):
    first = await pseudonym_for(services.store, TEACHER.aad_object_id)
    second = await pseudonym_for(services.store, TEACHER.aad_object_id)
    other = await pseudonym_for(services.store, TEACHER_2.aad_object_id)

    assert first == second
    assert first != other
    assert TEACHER.aad_object_id not in first


async def test_forget_staff_member_pseudonymises_owner(services):
    number = await resolved_request(services)

    summary = await forget_person(services.store, TST.aad_object_id)
    request = await services.helpdesk.get(number)
    history = await services.helpdesk.history(number)

    assert request.owner_id == summary["pseudonym"]
    assert request.owner_name == FORMER_NAME
    assert request.teacher_id == TEACHER.aad_object_id
    assert request.description == DESCRIPTION
    assert TST.aad_object_id not in await everything(services.store)
    assert all(event.note == "" for event in history if event.actor_id == summary["pseudonym"])


@pytest.mark.parametrize("bad_id", ["", "former-0123456789abcdef0123"])
async def test_forget_rejects_invalid_id(services, bad_id):
    with pytest.raises(ValueError, match="not a person id"):
        await forget_person(services.store, bad_id)


async def age(services, number: int, when: datetime) -> None:
    doc = await services.store.get("requests", str(number))
    version = doc.pop("_version")
    await services.store.apply([Put("requests", str(number), {**doc, "updated_at": to_iso(when)}, version)])


async def test_purge_deletes_old_closed_requests(services):
    now = datetime(2030, 6, 1, tzinfo=timezone.utc)
    old = await resolved_request(services)
    recent = await resolved_request(services, TEACHER_2, "form-2")
    await age(services, old, now - timedelta(days=3 * 366))
    await age(services, recent, now - timedelta(days=300))
    touches_before = len(await services.store.find("touches"))

    purged = await purge_closed(services.store, 3, now)

    assert purged == 1
    assert await services.store.get("requests", str(old)) is None
    assert await services.store.find("events", request=old) == []
    assert await services.store.find("outbox", request=old) == []
    assert await services.store.get("kb_gaps", f"request-{old}") is None
    assert await services.store.get("requests", str(recent)) is not None
    assert len(await services.store.find("touches")) == touches_before
    [touch] = await services.store.find("touches", request=old)
    assert touch["teacher_id"] == await pseudonym_for(services.store, TEACHER.aad_object_id)


async def test_purge_keeps_open_and_resolved(services):
    now = datetime(2030, 6, 1, tzinfo=timezone.utc)
    teacher = actor(services, TEACHER)
    form = IntakeForm("open-form", "minecraft", DESCRIPTION, "one_to_one", "Pinetree Secondary", "", "", "whenever", "")
    number = (await services.helpdesk.open_request(teacher, form)).number
    await age(services, number, now - timedelta(days=20 * 365))

    assert await purge_closed(services.store, 1, now) == 0
    assert await services.store.get("requests", str(number)) is not None


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "privacy", *args], cwd=REPO, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


async def test_cli_exports_and_forgets(settings, tmp_path):
    from bot import open_services

    services = await open_services(settings)
    await resolved_request(services)
    await services.store.close()
    output = tmp_path / "export.json"

    exported = run_cli("export", "--data", str(settings.data_dir), "--person", TEACHER.aad_object_id, "--output", str(output))
    forgotten = run_cli("forget", "--data", str(settings.data_dir), "--person", TEACHER.aad_object_id)
    purged = run_cli("purge", "--data", str(settings.data_dir), "--older-than-years", "1")

    assert exported.returncode == 0, exported.stderr
    assert json.loads(output.read_text())["requests"][0]["description"] == DESCRIPTION
    assert forgotten.returncode == 0, forgotten.stderr
    assert "former-" in forgotten.stdout
    assert purged.returncode == 0, purged.stderr
    assert "Deleted 0 closed requests" in purged.stdout
    store = TinyDBStore(settings.data_dir)
    await store.open()
    assert TEACHER.aad_object_id not in json.dumps(await store.find("requests"))
    await store.close()


async def test_cli_refuses_running_bot_folder(services, settings):
    result = run_cli("forget", "--data", str(settings.data_dir), "--person", TEACHER.aad_object_id)

    assert result.returncode == 3
    assert "Stop the bot" in result.stderr
    assert "already open in another process" in result.stderr


def test_cli_rejects_missing_folder(tmp_path):
    result = run_cli("export", "--data", str(tmp_path / "nowhere"), "--person", "someone")

    assert result.returncode == 2
    assert "was not found" in result.stderr


def test_retention_setting_schedules_purge(tmp_path):
    import yaml

    from bots.scheduler import build_scheduler
    from config import load_settings

    raw = yaml.safe_load((REPO / "config" / "helpdesk.yaml").read_text())
    for name in ("catalogue", "schools", "knowledge_base"):
        raw[name] = str((REPO / "config" / raw[name]).resolve())
    raw["retention"] = {"closed_request_years": 4}
    path = tmp_path / "helpdesk.yaml"
    path.write_text(yaml.safe_dump(raw))

    settings = load_settings(environ={"HELPDESK_DATA_DIR": str(tmp_path / "data")}, config_path=path)
    scheduler = build_scheduler(settings, reminders=None, notifier=None)

    assert settings.closed_request_years == 4
    assert "housekeeping" in {job.id for job in scheduler.get_jobs()}
