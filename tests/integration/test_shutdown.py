"""Graceful shutdown of `python bot.py`: a signal during a slow turn lets the turn finish and leaves a clean data folder.

The bot runs as a real subprocess on 127.0.0.1 with a temporary data folder.
The fake Bot Connector runs in the test process and delays its responses to
the bot's sends, which makes turns and outbox deliveries slow without
changing the bot.
"""

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot import BACKGROUND_DRAIN_SECONDS
from storage import TinyDBStore
from tests.conftest import REPO
from tests.factories import TEACHER, personal, submit

FORM = {
    "verb": "submitIntake",
    "intakeId": "shutdown-form",
    "category": "forms",
    "description": "The points of my Forms quiz do not show up for the class.",
    "scope": "one_to_one",
    "school": "Pinetree Secondary",
    "grade": "Grade 8",
    "subject": "Science",
    "urgency": "this_week",
}
START_TIMEOUT_SECONDS = 30.0
# How long the fake connector delays its response to a send. The test sends the signal during that delay.
SLOW_SEND_SECONDS = 3.0
# The bot must exit this long after the signal at most, when nothing it waits for runs past the drain timeout.
EXIT_BOUND_SECONDS = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BotProcess:
    """`python bot.py` on a free 127.0.0.1 port, with JSON logs in a file."""

    def __init__(self, data_dir: Path, log_path: Path):
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        # Only this test's settings: no app credentials, Graph or database from the caller's environment.
        env = {key: value for key, value in os.environ.items() if not key.startswith(("MicrosoftApp", "HELPDESK_"))}
        env.update(HOST="127.0.0.1", PORT=str(self.port), HELPDESK_DATA_DIR=str(self.data_dir), LOG_FORMAT="json", LOG_LEVEL="INFO")
        with open(self.log_path, "ab") as log_file:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(REPO / "bot.py"), cwd=REPO, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file
            )
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(f"bot.py exited with code {self.process.returncode} at start-up:\n{self.log_tail()}")
                try:
                    async with session.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"bot.py was not ready within {START_TIMEOUT_SECONDS:.0f} s:\n{self.log_tail()}")

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    async def wait_exit(self, timeout: float) -> int:
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"bot.py still runs {timeout:.0f} s after the signal:\n{self.log_tail()}") from None

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    def log_tail(self, max_chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-max_chars:]

    def log_messages(self) -> list[str]:
        return [json.loads(line)["message"] for line in self.log_path.read_text().splitlines() if line.startswith("{")]


@pytest.fixture
async def bot_process(tmp_path):
    started: list[BotProcess] = []

    async def start() -> BotProcess:
        bot = BotProcess(tmp_path / "data", tmp_path / "bot.log")
        started.append(bot)
        await bot.start()
        return bot

    yield start
    for bot in started:
        bot.kill()
        if bot.process is not None:
            await bot.process.wait()


async def wait_for(condition, timeout: float, description: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {description}")
        await asyncio.sleep(0.05)


async def post_activity(url: str, activity) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/api/messages", json=activity.serialize()) as response:
            return response.status, await response.text()


async def read_store(data_dir: Path, collection: str) -> list[dict]:
    """Open the data folder in this process (which fails while the bot holds its lock) and return a collection."""
    store = TinyDBStore(data_dir)
    await store.open()
    try:
        return await store.find(collection)
    finally:
        await store.close()


async def stop_cleanly(bot: BotProcess) -> None:
    bot.signal(signal.SIGTERM)
    assert await bot.wait_exit(EXIT_BOUND_SECONDS) == 0


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_lets_slow_turn_finish(bot_process, connector, tmp_path, signal_number):
    bot = await bot_process()
    activity = submit(TEACHER, FORM)
    activity.service_url = connector.url
    connector.delay_next(SLOW_SEND_SECONDS, method="POST", path="/v3/conversations/")

    turn = asyncio.create_task(post_activity(bot.url, activity))
    await wait_for(lambda: connector.delayed_calls, 10, "the bot's reply to reach the fake connector")
    signalled_at = time.monotonic()
    bot.signal(signal_number)
    status, body = await asyncio.wait_for(turn, EXIT_BOUND_SECONDS)
    exit_code = await bot.wait_exit(EXIT_BOUND_SECONDS)

    # CloudAdapter responds to a message turn with 201 (200 for invokes), and either means the turn completed.
    assert status in (200, 201), body
    assert exit_code == 0, bot.log_tail()
    assert time.monotonic() - signalled_at < EXIT_BOUND_SECONDS
    assert len(connector.messages_to(personal(TEACHER).id)) == 1, "the reply held by the connector was not completed"
    requests = await read_store(tmp_path / "data", "requests")
    assert [request["description"] for request in requests] == [FORM["description"]]
    messages = bot.log_messages()
    assert any(message.startswith("shutting down") for message in messages)
    assert messages[-1] == "stopped"


async def test_second_start_opens_folder(bot_process, connector, tmp_path):
    first = await bot_process()
    activity = submit(TEACHER, FORM)
    activity.service_url = connector.url
    connector.delay_next(SLOW_SEND_SECONDS, method="POST", path="/v3/conversations/")
    turn = asyncio.create_task(post_activity(first.url, activity))
    await wait_for(lambda: connector.delayed_calls, 10, "the bot's reply to reach the fake connector")
    first.signal(signal.SIGTERM)
    assert (await turn)[0] in (200, 201)
    assert await first.wait_exit(EXIT_BOUND_SECONDS) == 0

    second = await bot_process()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{second.url}/readyz") as response:
            ready = await response.json()

    assert ready["status"] == "ready"
    await stop_cleanly(second)
    assert len(await read_store(tmp_path / "data", "requests")) == 1


async def test_outbox_delivery_finishes_before_exit(bot_process, connector, tmp_path):
    bot = await bot_process()
    filed = submit(TEACHER, FORM)
    filed.service_url = connector.url
    assert (await post_activity(bot.url, filed))[0] in (200, 201)
    # Declining the suggestions queues the triage channel post, which the outbox sends after the turn.
    declined = submit(TEACHER, {"verb": "declineSuggestion", "request": 1})
    declined.service_url = connector.url
    connector.delay_next(SLOW_SEND_SECONDS, method="POST", path="/v3/conversations", exact=True)

    assert (await post_activity(bot.url, declined))[0] in (200, 201)
    await wait_for(lambda: connector.delayed_calls, 10, "the outbox to post to the triage channel")
    assert connector.delayed_calls == [("POST", "/v3/conversations")]
    bot.signal(signal.SIGTERM)
    assert await bot.wait_exit(EXIT_BOUND_SECONDS) == 0

    outbox = {entry["key"]: entry for entry in await read_store(tmp_path / "data", "outbox")}
    posts = await read_store(tmp_path / "data", "posts")
    triage = [entry for entry in outbox.values() if entry["kind"] == "triage_post"]
    assert [entry["state"] for entry in triage] == ["sent"]
    assert [post["place"] for post in posts] == ["triage"]


async def test_outbox_delivery_past_drain_stays_pending(bot_process, connector, tmp_path):
    bot = await bot_process()
    filed = submit(TEACHER, FORM)
    filed.service_url = connector.url
    assert (await post_activity(bot.url, filed))[0] in (200, 201)
    declined = submit(TEACHER, {"verb": "declineSuggestion", "request": 1})
    declined.service_url = connector.url
    connector.delay_next(BACKGROUND_DRAIN_SECONDS * 6, method="POST", path="/v3/conversations", exact=True)

    assert (await post_activity(bot.url, declined))[0] in (200, 201)
    await wait_for(lambda: connector.delayed_calls, 10, "the outbox to post to the triage channel")
    assert connector.delayed_calls == [("POST", "/v3/conversations")]
    bot.signal(signal.SIGTERM)
    assert await bot.wait_exit(BACKGROUND_DRAIN_SECONDS + EXIT_BOUND_SECONDS) == 0

    outbox = await read_store(tmp_path / "data", "outbox")
    triage = [entry for entry in outbox if entry["kind"] == "triage_post"]
    assert [(entry["state"], entry["attempts"]) for entry in triage] == [("pending", 0)]
    assert await read_store(tmp_path / "data", "posts") == []
