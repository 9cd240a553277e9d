"""Proposed groups: by category, by school level where it matters, by similar wording, and by size."""

from domain.request import Request, Status
from domain.schools import School, SchoolDirectory
from sessions.grouping import propose_groups

SCHOOLS = SchoolDirectory(
    (
        School("Anmore Elementary", "elementary"),
        School("Mary Hill Elementary", "elementary"),
        School("Scott Creek Middle", "middle"),
        School("Pinetree Secondary", "secondary"),
        School("Centennial Secondary", "secondary"),
    )
)
NOTEBOOK = "Set up a OneNote class notebook and share it with the students in my class team."
NOTEBOOK_2 = "How do I share the class notebook with students so they see their own section?"
FORMS = "Make a self-marking quiz in Microsoft Forms with points for each question."
CODING = "Start coding lessons with block-based programming for my students."


def request(number: int, category: str, description: str, school: str = "Anmore Elementary") -> Request:
    return Request(
        number=number,
        teacher_id=f"teacher-{number}",
        teacher_name=f"Teacher {number}",
        category=category,
        description=description,
        scope="small_group",
        school=school,
        status=Status.ESCALATED.value,
        level=2,
        created_at=f"2026-12-01T17:{number:02d}:00Z",
    )


def propose(requests, level_specific=frozenset(), min_size=2, max_size=12):
    return propose_groups(requests, SCHOOLS, level_specific, min_size, max_size)


def test_same_category_and_wording_form_a_group():
    proposals = propose([request(1, "onenote", NOTEBOOK), request(2, "forms", FORMS), request(3, "onenote", NOTEBOOK_2)])

    assert [(proposal.category, proposal.numbers, proposal.similar) for proposal in proposals] == [("onenote", [1, 3], True)]


def test_lone_requests_of_a_category_are_pooled():
    unrelated = "Students cannot open the notebook on the library iPads after the update."
    proposals = propose([request(1, "onenote", NOTEBOOK), request(2, "onenote", NOTEBOOK_2), request(3, "onenote", unrelated), request(4, "onenote", "Export pages as PDF files for report cards.")])

    assert [(proposal.numbers, proposal.similar) for proposal in proposals] == [([1, 2], True), ([3, 4], False)]


def test_single_request_makes_no_proposal():
    assert propose([request(1, "onenote", NOTEBOOK), request(2, "forms", FORMS)]) == []


def test_level_specific_category_splits_by_school_level():
    requests = [
        request(1, "coding", CODING, "Anmore Elementary"),
        request(2, "coding", CODING, "Pinetree Secondary"),
        request(3, "coding", CODING, "Mary Hill Elementary"),
        request(4, "coding", CODING, "Centennial Secondary"),
        request(5, "coding", CODING, "Scott Creek Middle"),
    ]

    proposals = propose(requests, level_specific=frozenset({"coding"}))

    assert [(proposal.school_level, proposal.numbers) for proposal in proposals] == [("elementary", [1, 3]), ("secondary", [2, 4])]


def test_other_categories_mix_school_levels():
    proposals = propose([request(1, "onenote", NOTEBOOK, "Anmore Elementary"), request(2, "onenote", NOTEBOOK_2, "Pinetree Secondary")], level_specific=frozenset({"coding"}))

    assert [(proposal.school_level, proposal.numbers) for proposal in proposals] == [("", [1, 2])]


def test_unknown_school_is_its_own_level():
    requests = [request(1, "coding", CODING, "Somewhere Else School"), request(2, "coding", CODING, "Another Unknown School")]

    [proposal] = propose(requests, level_specific=frozenset({"coding"}))

    assert proposal.school_level == "other"


def test_large_group_is_split_evenly():
    requests = [request(number, "onenote", NOTEBOOK) for number in range(1, 14)]

    proposals = propose(requests, max_size=12)

    assert [len(proposal.requests) for proposal in proposals] == [7, 6]
    assert sorted(number for proposal in proposals for number in proposal.numbers) == list(range(1, 14))


def test_oldest_request_comes_first():
    proposals = propose([request(9, "forms", FORMS), request(5, "forms", FORMS), request(7, "onenote", NOTEBOOK), request(8, "onenote", NOTEBOOK_2)])

    assert [proposal.numbers for proposal in proposals] == [[5, 9], [7, 8]]
    assert proposals[0].key == "forms:any:5"
