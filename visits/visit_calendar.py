"""Where a booked visit goes: an Outlook event on the TST's calendar that invites the teacher, or only an .ics file.

With Microsoft Graph the event is created on the TST's calendar with the
teacher as attendee, so Outlook puts it on both calendars. Without Graph
nothing is called, and the teacher and the TST get an .ics file link.
"""

from dataclasses import dataclass
from typing import Protocol

from domain.clock import from_iso
from domain.errors import InvalidInput
from graph import GraphClient, GraphNotFound, GraphRequestError
from visits.visit import Visit

GRAPH = "graph"
FILE = "file"


@dataclass(frozen=True)
class CreatedEvent:
    event_id: str | None
    web_link: str = ""


class VisitCalendar(Protocol):
    """The calendar operations a visit needs; each raises a HelpdeskError (e.g. a GraphError) on failure."""

    kind: str

    async def create(self, visit: Visit, subject: str, description: str) -> CreatedEvent: ...

    async def cancel(self, visit: Visit, comment: str) -> None: ...

    async def close(self) -> None: ...


class GraphVisitCalendar:
    """Creates and cancels the visit's event on the TST's calendar through the shared Graph client."""

    kind = GRAPH

    def __init__(self, graph: GraphClient):
        self.graph = graph

    async def create(self, visit: Visit, subject: str, description: str) -> CreatedEvent:
        # NOTE: GraphClient.create_meeting always adds a Teams meeting and sets no location, so the
        # school goes in the text; an in-person event with a location needs a new GraphClient call.
        address = await self._address(visit)
        event = await self.graph.create_meeting(
            visit.organizer_id,
            subject,
            description,
            from_iso(visit.start or ""),
            from_iso(visit.end or ""),
            [(address, visit.teacher_name)],
            visit.transaction_id,
        )
        return CreatedEvent(event_id=event["id"], web_link=event.get("webLink") or "")

    async def cancel(self, visit: Visit, comment: str) -> None:
        if not visit.event_id:
            raise GraphNotFound("This visit has no event in Outlook.")
        await self.graph.cancel_event(visit.organizer_id, visit.event_id, comment)

    async def close(self) -> None:
        await self.graph.close()

    async def _address(self, visit: Visit) -> str:
        try:
            user = await self.graph.get_user(visit.teacher_id)
        except (GraphNotFound, GraphRequestError) as error:
            raise InvalidInput(f"{visit.teacher_name} was not found in Microsoft 365, so the visit cannot be put on their calendar.") from error
        address = user.get("mail") or user.get("userPrincipalName")
        if not address:
            raise InvalidInput(f"{visit.teacher_name} has no email address in Microsoft 365, so the visit cannot be put on their calendar.")
        return address


class FileVisitCalendar:
    """Keeps the visit only in storage; the bot serves it as an .ics file."""

    kind = FILE

    async def create(self, visit: Visit, subject: str, description: str) -> CreatedEvent:
        return CreatedEvent(event_id=None)

    async def cancel(self, visit: Visit, comment: str) -> None:
        return None

    async def close(self) -> None:
        return None
