"""Validation of the intake form a teacher submits. Card data is untrusted input."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.catalogue import Catalogue
from domain.errors import InvalidInput
from domain.request import Scope, Urgency
from domain.schools import SchoolDirectory

MIN_DESCRIPTION_CHARS = 10
SHORT_FIELD_MAX_CHARS = 120
INTAKE_ID_MAX_CHARS = 64


@dataclass(frozen=True)
class IntakeForm:
    """A validated intake form: every field checked and trimmed."""

    intake_id: str
    category: str
    description: str
    scope: str
    school: str
    grade: str
    subject: str
    urgency: str
    preferred_dates: str


def parse_intake(data: Mapping[str, Any], catalogue: Catalogue, schools: SchoolDirectory, description_max_chars: int) -> IntakeForm:
    """Check the submitted fields and return the form; raises InvalidInput listing every problem."""
    problems: dict[str, str] = {}

    def text(name: str, max_chars: int = SHORT_FIELD_MAX_CHARS) -> str:
        value = data.get(name, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            problems[name] = "must be text"
            return ""
        # NUL characters are dropped: they carry no meaning here and PostgreSQL's JSONB cannot store them.
        value = value.replace("\x00", "").strip()
        if len(value) > max_chars:
            problems[name] = f"is {len(value):,} characters long; the limit is {max_chars:,}"
        return value

    intake_id = text("intakeId", INTAKE_ID_MAX_CHARS)
    if not intake_id and "intakeId" not in problems:
        problems["intakeId"] = "is missing; open a new form with 'new request'"

    category = text("category")
    if not category:
        problems.setdefault("category", "is missing; pick the area your question is about")
    elif catalogue.get(category) is None:
        problems["category"] = f"'{category}' is not in the service catalogue; pick one from the list"

    description = text("description", description_max_chars)
    if "description" not in problems and len(description) < MIN_DESCRIPTION_CHARS:
        problems["description"] = f"is too short; describe what you need in at least {MIN_DESCRIPTION_CHARS} characters"

    scope = text("scope") or Scope.ONE_TO_ONE.value
    if scope not in {item.value for item in Scope}:
        problems["scope"] = f"'{scope}' is not a scope of delivery; pick one from the list"

    school_name = text("school")
    school = schools.get(school_name) if school_name else None
    if not school_name:
        problems.setdefault("school", "is missing; pick your school")
    elif school is None:
        problems["school"] = f"'{school_name}' is not in the school directory; pick your school from the list"

    urgency = text("urgency") or Urgency.WHENEVER.value
    if urgency not in {item.value for item in Urgency}:
        problems["urgency"] = f"'{urgency}' is not an urgency; pick one from the list"

    grade = text("grade")
    subject = text("subject")
    preferred_dates = text("preferredDates")

    if problems:
        summary = "; ".join(f"{_FIELD_LABELS.get(name, name)} {problem}" for name, problem in problems.items())
        raise InvalidInput(f"Please fix the form: {summary}.", problems)

    return IntakeForm(
        intake_id=intake_id,
        category=category,
        description=description,
        scope=scope,
        school=school.name,
        grade=grade,
        subject=subject,
        urgency=urgency,
        preferred_dates=preferred_dates,
    )


_FIELD_LABELS = {
    "intakeId": "The form id",
    "category": "Category",
    "description": "Description",
    "scope": "Scope of delivery",
    "school": "School",
    "grade": "Grade",
    "subject": "Subject",
    "urgency": "Urgency",
    "preferredDates": "Preferred dates",
}
