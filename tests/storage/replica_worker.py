"""One bot-like replica for the PostgreSQL replica test: the real helpdesk services on a shared database.

Run as `python -m tests.storage.replica_worker WORKER_ID` with
HELPDESK_DATABASE_URL set. It opens the services as the bot does, prints
"ready", and waits for one line of JSON on standard input:
{"requests": [routed request numbers], "dates": ["2026-11-02", ...]}.
Then it does all of this at once:

* claims each routed request from several TSTs (`Helpdesk.claim`);
* files new requests (`Helpdesk.open_request`, which numbers them with
  `next_number`) and draws numbers from a counter of its own;
* queues the triage digest of each date (`Reminders.digest_due`, a
  conditional Put into `jobs`);
* delivers the outbox with the notifier's take logic, recording each
  delivery instead of sending it.

It prints one JSON object with what it won, numbered and delivered.
"""

import asyncio
import json
import sys
from datetime import date, datetime, time, timezone

from bot import open_services
from bots.notifier import Notifier
from config import load_settings
from domain.actor import Actor, Role
from domain.errors import AlreadyClaimed
from domain.intake import IntakeForm
from domain.request import Scope, Urgency
from escalation.reminders import Reminders

CLAIMERS_PER_REQUEST = 2
REQUESTS_FILED = 15
COUNTER_DRAWS = 50
DIGEST_CALLS_PER_DATE = 2
FLUSH_PAUSE_SECONDS = 0.01


class RecordingNotifier(Notifier):
    """The real notifier, except that delivering an entry only records its key."""

    def __init__(self, services):
        super().__init__(services, messenger=None)
        self.delivered: list[str] = []

    async def _deliver(self, entry: dict) -> None:
        self.delivered.append(entry["key"])


def intake_form(intake_id: str, settings) -> IntakeForm:
    return IntakeForm(
        intake_id=intake_id,
        category=settings.catalogue.categories[0].id,
        description="The class notebook will not sync on the student laptops",
        scope=Scope.ONE_TO_ONE.value,
        school=settings.schools.schools[0].name,
        grade="4",
        subject="Math",
        urgency=Urgency.WHENEVER.value,
        preferred_dates="",
    )


async def claim(helpdesk, worker: str, number: int, claimer: int) -> bool:
    tst = Actor(f"29:tst-{worker}-{claimer}", f"TST {worker}-{claimer}", frozenset({Role.TST}))
    try:
        await helpdesk.claim(tst, number)
    except AlreadyClaimed:
        return False
    return True


async def file_requests(helpdesk, settings, worker: str) -> list[int]:
    teacher = Actor(f"29:teacher-{worker}", f"Teacher {worker}")
    numbers = []
    for index in range(REQUESTS_FILED):
        request = await helpdesk.open_request(teacher, intake_form(f"replica-{worker}-{index}", settings))
        numbers.append(request.number)
    return numbers


async def draw_numbers(store) -> list[int]:
    return [await store.next_number("replica-test") for _ in range(COUNTER_DRAWS)]


async def queue_digest(services, day: date) -> bool:
    # 18:00 UTC is 11:00 in Vancouver, inside the school day.
    moment = datetime.combine(day, time(18), tzinfo=timezone.utc)
    reminders = Reminders(services.store, services.ladder, services.settings, now=lambda: moment)
    return await reminders.digest_due()


async def deliver_until_done(notifier: RecordingNotifier, work: asyncio.Future) -> None:
    """Flush the outbox while the other work runs, then once more after it."""
    while not work.done():
        await notifier.flush()
        await asyncio.sleep(FLUSH_PAUSE_SECONDS)
    await notifier.flush()


async def main(worker: str) -> dict:
    settings = load_settings()
    services = await open_services(settings)
    try:
        notifier = RecordingNotifier(services)
        print("ready", flush=True)
        orders = json.loads(await asyncio.to_thread(sys.stdin.readline))
        requests = orders["requests"]
        dates = [date.fromisoformat(day) for day in orders["dates"]]

        claim_targets = [number for number in requests for _ in range(CLAIMERS_PER_REQUEST)]
        digest_targets = [day for day in dates for _ in range(DIGEST_CALLS_PER_DATE)]
        claims = [claim(services.helpdesk, worker, number, claimer) for claimer, number in enumerate(claim_targets)]
        digests = [queue_digest(services, day) for day in digest_targets]
        work = asyncio.gather(
            asyncio.gather(*claims),
            file_requests(services.helpdesk, settings, worker),
            draw_numbers(services.store),
            asyncio.gather(*digests),
        )
        claimed, filed, drawn, queued = (await asyncio.gather(work, deliver_until_done(notifier, work)))[0]
        return {
            "claimed": [number for number, won in zip(claim_targets, claimed) if won],
            "filed": filed,
            "drawn": drawn,
            "digests": [day.isoformat() for day, won in zip(digest_targets, queued) if won],
            "delivered": notifier.delivered,
        }
    finally:
        await services.store.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))), flush=True)
