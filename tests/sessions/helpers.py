"""Builders for session tests: level-2 requests from several teachers, and actors."""

from domain.actor import Actor
from domain.intake import IntakeForm
from domain.request import Request, Status
from tests.factories import TEACHER, TEACHER_2, TRIAGER, TST, TST_2

TST_ID = TST.aad_object_id
ALEX = TEACHER.aad_object_id
SAM = TEACHER_2.aad_object_id
JORDAN = "00000000-0000-0000-0000-0000000000098"
PEOPLE_WITH_MAIL = {
    TST_ID: ("Adele Vance", "adele@district.example"),
    TST_2.aad_object_id: ("Isaiah Langer", "isaiah@district.example"),
    ALEX: ("Alex Wilber", "alex@district.example"),
    SAM: ("Sam Patel", "sam@district.example"),
    JORDAN: ("Jordan Lee", "jordan@district.example"),
}
NOTEBOOK = "Our class wants to share a OneNote class notebook with students through Teams."


def actor(services, user_id: str, name: str | None = None) -> Actor:
    return services.roles.actor(user_id, name or PEOPLE_WITH_MAIL.get(user_id, ("Someone", ""))[0])


def tst(services) -> Actor:
    return actor(services, TST_ID)


async def level_two(services, teacher_id: str, tag: str, category: str = "onenote", school: str = "Anmore Elementary", description: str = NOTEBOOK) -> Request:
    """File a request as the teacher and have the triager route it to level 2 (small group)."""
    teacher = actor(services, teacher_id)
    form = IntakeForm(tag, category, description, "small_group", school, "", "", "whenever", "")
    request = await services.helpdesk.open_request(teacher, form)
    if request.state is Status.SUGGESTED:
        await services.helpdesk.decline_suggestion(teacher, request.number)
    return await services.helpdesk.route(actor(services, TRIAGER.aad_object_id), request.number, 2, "tst-remote")


async def group(services, *teacher_ids: str) -> list[int]:
    """Return the numbers of one level-2 request per teacher."""
    return [(await level_two(services, teacher_id, f"form-{index}")).number for index, teacher_id in enumerate(teacher_ids)]
