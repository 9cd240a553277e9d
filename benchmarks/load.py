"""Simulated teachers: the activities they post and the loops that post them and time each turn.

A turn is one HTTP POST of an activity to /api/messages, timed from sending
the request to reading the whole response. Every response is checked, and a
wrong response raises instead of a number being reported.
"""

import asyncio
import itertools
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

TENANT = "00000000-0000-0000-0000-0000000000001"
BOT_ACCOUNT = {"id": "28:helpdesk-bot", "name": "Pedagogical Helpdesk"}
SUGGESTIONS_MARKER = "Did this solve it?"

# Descriptions that match starter knowledge-base articles, so each intake ends on the suggestions card.
DESCRIPTIONS = (
    "How do I set up a new OneNote class notebook with a content library for my grade 4 class?",
    "Students get a sign-in error when they open Minecraft Education on the library laptops.",
    "I want to make a self-grading quiz in Microsoft Forms and share it with my class team.",
    "Immersive Reader does not read the page aloud for my students with dyslexia in Edge.",
    "How can I record a Teams meeting and share the recording with students who were absent?",
)


@dataclass
class TurnStats:
    """Latencies in milliseconds of the turns of one run, and the run's wall-clock time in seconds."""

    latencies_ms: list[float] = field(default_factory=list)
    elapsed_seconds: float = 0.0

    @property
    def turns(self) -> int:
        return len(self.latencies_ms)

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which `fraction` of the values lie (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class Teachers:
    """Builds the activities of `count` simulated teachers, each in a personal chat with the bot."""

    def __init__(self, service_url: str, count: int = 200):
        self.service_url = service_url
        self.count = count
        self._next = itertools.count()

    def _base(self, teacher: int) -> dict[str, Any]:
        user_id = f"29:teacher-{teacher}"
        return {
            "id": uuid.uuid4().hex,
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": {"id": user_id, "name": f"Teacher {teacher}", "aadObjectId": f"10000000-0000-0000-0000-{teacher:012d}"},
            "recipient": BOT_ACCOUNT,
            "conversation": {"id": f"a:personal-{user_id}", "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
        }

    def message(self) -> dict[str, Any]:
        """Return a plain text message, the turn of the echo bots."""
        number = next(self._next)
        return {**self._base(number % self.count), "type": "message", "text": f"hello {number}"}

    def intake(self) -> dict[str, Any]:
        """Return an Action.Execute submit of a complete intake form with a new intake id."""
        number = next(self._next)
        form = {
            "verb": "submitIntake",
            "intakeId": uuid.uuid4().hex,
            "category": ("onenote", "minecraft", "forms", "immersive-reader", "teams-meetings")[number % 5],
            "description": DESCRIPTIONS[number % len(DESCRIPTIONS)],
            "scope": "one_to_one",
            "school": "Pinetree Secondary",
            "grade": "Grade 9",
            "subject": "Science",
            "urgency": "this_week",
        }
        value = {"action": {"type": "Action.Execute", "verb": "submitIntake", "data": form}, "trigger": "manual"}
        return {**self._base(number % self.count), "type": "invoke", "name": "adaptiveCard/action", "value": value}


def check_echo(status: int, body: bytes) -> None:
    if status not in (200, 201):
        raise AssertionError(f"echo turn failed with HTTP {status}: {body[:300]!r}")


def check_intake(status: int, body: bytes) -> None:
    if status != 200 or SUGGESTIONS_MARKER.encode() not in body:
        raise AssertionError(f"intake turn response is not the suggestions card (HTTP {status}): {body[:300]!r}")


async def run_turns(
    session: aiohttp.ClientSession,
    url: str,
    activity: Callable[[], dict[str, Any]],
    check: Callable[[int, bytes], None],
    turns: int,
    concurrency: int,
    time_limit_seconds: float,
) -> TurnStats:
    """Post `turns` activities from `concurrency` teachers at once; stop early after the time limit."""
    stats = TurnStats()
    started = time.perf_counter()
    deadline = started + time_limit_seconds
    remaining = itertools.count(turns, -1)

    async def teacher() -> None:
        while next(remaining) > 0 and time.perf_counter() < deadline:
            payload = activity()
            sent = time.perf_counter()
            async with session.post(url, json=payload) as response:
                body = await response.read()
                status = response.status
            stats.latencies_ms.append((time.perf_counter() - sent) * 1000)
            check(status, body)

    await asyncio.gather(*(teacher() for _ in range(concurrency)))
    stats.elapsed_seconds = time.perf_counter() - started
    return stats
