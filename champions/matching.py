"""Ranking Technology Champions for a level-3 request: category fit, then distance, then this month's load.

A champion is left out when they set themselves unavailable, when their
accepted matches this month reach their monthly capacity, or when they are
the teacher who filed the request.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from champions.champion import ANY_CATEGORY, Champion
from domain.schools import SchoolDirectory

# Category fit: the champion lists the category, helps with every category, or lists neither.
LISTS_CATEGORY = 2
ANY_CATEGORY_FIT = 1
NO_FIT = 0
# Distance from the teacher's school.
SAME_SCHOOL = 0
SAME_COMMUNITY = 1
DISTRICT = 2


@dataclass(frozen=True)
class Candidate:
    """A champion who could take the request, with the facts that ranked them."""

    champion: Champion
    fit: int
    distance: int
    load: int

    @property
    def fit_label(self) -> str:
        return {LISTS_CATEGORY: "Helps with this category", ANY_CATEGORY_FIT: "Helps with every category"}.get(self.fit, "Does not list this category")

    def distance_label(self, schools: SchoolDirectory) -> str:
        if self.distance == SAME_SCHOOL:
            return f"Same school ({self.champion.school})"
        if self.distance == SAME_COMMUNITY:
            school = schools.get(self.champion.school)
            return f"Same community ({school.community if school else ''}): {self.champion.school}"
        return f"Elsewhere in the district: {self.champion.school}"

    @property
    def load_label(self) -> str:
        return f"{self.load} of {self.champion.monthly_capacity} this month"


def rank_champions(
    category: str,
    school: str,
    champions: Sequence[Champion],
    loads: Mapping[str, int],
    schools: SchoolDirectory,
    excluded_ids: Collection[str] = (),
) -> list[Candidate]:
    """Return the eligible champions, best match first.

    The order is: higher category fit, then nearer (same school, same
    community, anywhere in the district), then the smaller share of the
    monthly capacity already used, then fewer matches, then name.
    """
    candidates = []
    for champion in champions:
        load = loads.get(champion.id, 0)
        if not champion.available or load >= champion.monthly_capacity or champion.id in excluded_ids:
            continue
        candidates.append(Candidate(champion, category_fit(champion, category), distance(champion.school, school, schools), load))
    return sorted(
        candidates,
        key=lambda candidate: (
            -candidate.fit,
            candidate.distance,
            candidate.load / candidate.champion.monthly_capacity,
            candidate.load,
            candidate.champion.name.casefold(),
            candidate.champion.id,
        ),
    )


def category_fit(champion: Champion, category: str) -> int:
    if category in champion.categories:
        return LISTS_CATEGORY
    if ANY_CATEGORY in champion.categories:
        return ANY_CATEGORY_FIT
    return NO_FIT


def distance(champion_school: str, teacher_school: str, schools: SchoolDirectory) -> int:
    """Return SAME_SCHOOL, SAME_COMMUNITY or DISTRICT; schools without a community share none."""
    if champion_school.casefold() == teacher_school.strip().casefold():
        return SAME_SCHOOL
    mine, theirs = schools.get(champion_school), schools.get(teacher_school)
    if mine and theirs and mine.community and mine.community.casefold() == theirs.community.casefold():
        return SAME_COMMUNITY
    return DISTRICT
