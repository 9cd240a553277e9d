"""Builders for champion and visit tests: champions at known distances, level 3–5 requests, a clock and a recording messenger."""

from datetime import datetime, timezone
from typing import Any

from botbuilder.schema import ChannelAccount

from champions import Champion
from domain.intake import IntakeForm
from domain.request import Request, Status
from tests.factories import TEACHER, TRIAGER

# A Tuesday afternoon in Vancouver (UTC-7 from November 2026 on).
NOW = datetime(2026, 12, 1, 21, 0, tzinfo=timezone.utc)
TEACHER_SCHOOL = "Anmore Elementary"
# Eagle Mountain Middle is in Anmore too; Pinetree Secondary is in Coquitlam.
SAME_COMMUNITY_SCHOOL = "Eagle Mountain Middle"
DISTRICT_SCHOOL = "Pinetree Secondary"
NOTEBOOK = "I want to set up a OneNote class notebook for my grade 4 class and share it in Teams."

JO = ChannelAccount(id="29:jo", name="Jo Nakamura", aad_object_id="00000000-0000-0000-0000-000000000031")
KIM = ChannelAccount(id="29:kim", name="Kim Osei", aad_object_id="00000000-0000-0000-0000-000000000032")
LEE = ChannelAccount(id="29:lee", name="Lee Fontaine", aad_object_id="00000000-0000-0000-0000-000000000033")
RAE = ChannelAccount(id="29:rae", name="Rae Lindqvist", aad_object_id="00000000-0000-0000-0000-000000000034")


class Clock:
    """A settable clock shared by the helpdesk, the champion matcher and the visit planner."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def use_clock(services, clock: Clock) -> None:
    services.helpdesk._now = clock
    services.champions.now = clock
    services.visits.now = clock


def champion(account: ChannelAccount, school: str, categories: tuple[str, ...] = ("onenote",), capacity: int = 3, available: bool = True) -> Champion:
    upn = account.name.lower().replace(" ", ".") + "@district.example"
    return Champion(account.aad_object_id, account.name, upn, school, categories, capacity, available)


async def add_champions(services, *champions: Champion) -> None:
    await services.champions.directory.save_all(list(champions))


def actor(services, account: ChannelAccount):
    return services.roles.actor(account.aad_object_id, account.name)


async def routed_request(services, level: int, teacher: ChannelAccount = TEACHER, tag: str = "form-1", category: str = "onenote", school: str = TEACHER_SCHOOL) -> Request:
    """File a request as the teacher and have the triager route it to `level` in the TST channel."""
    form = IntakeForm(tag, category, NOTEBOOK, "one_to_one", school, "4", "", "whenever", "")
    request = await services.helpdesk.open_request(actor(services, teacher), form)
    if request.state is Status.SUGGESTED:
        await services.helpdesk.decline_suggestion(actor(services, teacher), request.number)
    return await services.helpdesk.route(actor(services, TRIAGER), request.number, level, "tst-remote")


async def remember_contact(services, account: ChannelAccount) -> None:
    """Store a personal-chat contact for the account, as its first message to the bot would."""
    contact = {"user": {"id": account.id, "aadObjectId": account.aad_object_id, "name": account.name}, "conversation": {"id": f"a:{account.id}"}}
    await services.people.remember(account.aad_object_id, account.name, contact)


class RecordingMessenger:
    """Stands in for TeamsMessenger and records every card sent, by recipient."""

    def __init__(self):
        self.personal: list[tuple[str, Any]] = []
        self.thread: list[tuple[str, Any]] = []

    async def post_to_channel(self, channel, card):
        self.thread.append((channel.key, card))
        return {"channel": channel.key, "conversation_id": f"{channel.channel_id};messageid=9", "activity_id": "9", "service_url": "http://127.0.0.1:9/", "bot_id": "28:bot"}

    async def update_post(self, post, card):
        return None

    async def reply_in_thread(self, post, message):
        self.thread.append((post.get("channel", ""), message))

    async def send_to_person(self, contact, message):
        self.personal.append((contact["user"]["aadObjectId"], message))

    def cards_for(self, account: ChannelAccount) -> list[Any]:
        return [message for person, message in self.personal if person == account.aad_object_id]
