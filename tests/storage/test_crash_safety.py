"""Kill a writing process with SIGKILL at random points and check that no acknowledged batch is lost.

The writer (tests/storage/crash_writer.py) reports each batch before and
after `apply`. After every kill the folder must open, and its contents must
equal the state after all acknowledged batches, or that state plus the one
batch that was in flight. Set CRASH_SEED to repeat a run.
"""

import asyncio
import copy
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from storage import TinyDBStore
from tests.storage.crash_writer import ITEM_KEYS

REPO = Path(__file__).resolve().parents[2]
KILL_POINTS = 40
TIME_BUDGET_SECONDS = 35
READY_TIMEOUT_SECONDS = 10


def read_state(folder: Path) -> dict:
    """Open the folder in this process and return the batch counter and the items, without versions."""

    async def read() -> dict:
        store = TinyDBStore(folder)
        await store.open()
        try:
            counter = await store.get("counters", "batches")
            items = {}
            for key in ITEM_KEYS:
                doc = await store.get("items", key)
                if doc is not None:
                    doc.pop("_version")
                    items[key] = doc
            return {"batches": counter["value"] if counter else 0, "items": items}
        finally:
            await store.close()

    return asyncio.run(read())


def apply_intent(state: dict, intent: dict) -> dict:
    after = copy.deepcopy(state)
    after["batches"] = intent["batch"]
    if intent["doc"] is None:
        after["items"].pop(intent["key"])
    else:
        after["items"][intent["key"]] = intent["doc"]
    return after


def read_messages(path: Path) -> list[dict]:
    """Return the writer's complete output lines; a line cut by the kill was never printed."""
    text = path.read_text(encoding="utf-8")
    complete = text[: text.rfind("\n") + 1]
    return [json.loads(line) for line in complete.splitlines()]


def wait_until_ready(process: subprocess.Popen, output: Path, errors: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if any(message.get("ready") for message in read_messages(output)):
            return
        if process.poll() is not None:
            raise AssertionError(f"the writer exited with {process.returncode} before opening: {errors.read_text()}")
        time.sleep(0.005)
    raise AssertionError(f"the writer did not open the folder within {READY_TIMEOUT_SECONDS} s")


def test_acknowledged_writes_survive_sigkill(tmp_path):
    seed = int(os.environ.get("CRASH_SEED") or time.time_ns() % 2**32)
    rng = random.Random(seed)
    folder = tmp_path / "data"
    state = read_state(folder)
    started = time.monotonic()
    kill_points = writes_checked = compactions = in_flight_landed = 0

    for point in range(KILL_POINTS):
        if time.monotonic() - started > TIME_BUDGET_SECONDS:
            break
        output, errors = tmp_path / f"writer-{point}.out", tmp_path / f"writer-{point}.err"
        with output.open("wb") as stdout, errors.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.storage.crash_writer", str(folder), str(rng.randrange(2**32))],
                cwd=REPO,
                stdout=stdout,
                stderr=stderr,
            )
        try:
            # One kill in five lands anywhere from start-up on, which includes replaying the journal.
            if rng.random() < 0.2:
                time.sleep(rng.uniform(0, 0.15))
            else:
                wait_until_ready(process, output, errors)
                time.sleep(rng.uniform(0, 0.25))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        kill_points += 1
        assert process.returncode == -signal.SIGKILL, f"kill point {point}, seed {seed}: {errors.read_text()}"

        messages = read_messages(output)
        acknowledged = {message["ack"] for message in messages if "ack" in message}
        intents = [message["intent"] for message in messages if "intent" in message]
        compactions += sum(1 for message in messages if "compacted" in message)
        unacknowledged = [intent for intent in intents if intent["batch"] not in acknowledged]
        assert len(unacknowledged) <= 1
        assert not unacknowledged or unacknowledged[0] is intents[-1]

        expected = state
        for intent in intents:
            if intent["batch"] in acknowledged:
                expected = apply_intent(expected, intent)
        actual = read_state(folder)
        if unacknowledged and actual != expected:
            in_flight_landed += 1
            expected = apply_intent(expected, unacknowledged[0])
        assert actual == expected, f"kill point {point}, seed {seed}: stored data differs from acknowledged writes"

        writes_checked += len(acknowledged)
        state = actual

    print(
        f"\ncrash safety: {kill_points} kill points, {writes_checked} acknowledged batches checked, "
        f"{compactions} compactions, {in_flight_landed} unacknowledged batches found on disk, seed {seed}"
    )
    assert kill_points >= 30
    assert writes_checked > 0
    assert compactions > 0
