"""Ranking champions: category fit, then distance (school, community, district), then this month's load."""

import pytest

from champions import rank_champions
from champions.matching import ANY_CATEGORY_FIT, DISTRICT, LISTS_CATEGORY, NO_FIT, SAME_COMMUNITY, SAME_SCHOOL
from config import load_settings
from tests.champions.helpers import DISTRICT_SCHOOL, JO, KIM, LEE, RAE, SAME_COMMUNITY_SCHOOL, TEACHER_SCHOOL, champion
from tests.conftest import REPO
from tests.factories import TEACHER


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    return load_settings(environ={"HELPDESK_DATA_DIR": str(tmp_path_factory.mktemp("data"))}, config_path=REPO / "config" / "helpdesk.yaml").schools


def names(candidates):
    return [candidate.champion.name for candidate in candidates]


def test_same_school_before_community_before_district(schools):
    champions = [champion(LEE, DISTRICT_SCHOOL), champion(KIM, SAME_COMMUNITY_SCHOOL), champion(JO, TEACHER_SCHOOL)]

    ranked = rank_champions("onenote", TEACHER_SCHOOL, champions, {}, schools)

    assert names(ranked) == [JO.name, KIM.name, LEE.name]
    assert [candidate.distance for candidate in ranked] == [SAME_SCHOOL, SAME_COMMUNITY, DISTRICT]


def test_category_fit_comes_before_distance(schools):
    champions = [
        champion(JO, TEACHER_SCHOOL, categories=("forms",)),
        champion(KIM, SAME_COMMUNITY_SCHOOL, categories=("*",)),
        champion(LEE, DISTRICT_SCHOOL, categories=("onenote", "forms")),
    ]

    ranked = rank_champions("onenote", TEACHER_SCHOOL, champions, {}, schools)

    assert names(ranked) == [LEE.name, KIM.name, JO.name]
    assert [candidate.fit for candidate in ranked] == [LISTS_CATEGORY, ANY_CATEGORY_FIT, NO_FIT]


def test_lower_load_share_wins_at_same_distance(schools):
    champions = [champion(JO, TEACHER_SCHOOL, capacity=4), champion(RAE, TEACHER_SCHOOL, capacity=4)]

    ranked = rank_champions("onenote", TEACHER_SCHOOL, champions, {JO.aad_object_id: 3, RAE.aad_object_id: 1}, schools)

    assert names(ranked) == [RAE.name, JO.name]
    assert ranked[1].load_label == "3 of 4 this month"


def test_unavailable_and_full_champions_left_out(schools):
    champions = [
        champion(JO, TEACHER_SCHOOL, available=False),
        champion(KIM, SAME_COMMUNITY_SCHOOL, capacity=2),
        champion(LEE, DISTRICT_SCHOOL, capacity=0),
        champion(RAE, DISTRICT_SCHOOL),
    ]

    ranked = rank_champions("onenote", TEACHER_SCHOOL, champions, {KIM.aad_object_id: 2}, schools)

    assert names(ranked) == [RAE.name]


def test_teacher_is_never_their_own_champion(schools):
    teacher_as_champion = champion(TEACHER, TEACHER_SCHOOL)

    ranked = rank_champions("onenote", TEACHER_SCHOOL, [teacher_as_champion, champion(LEE, DISTRICT_SCHOOL)], {}, schools, {TEACHER.aad_object_id})

    assert names(ranked) == [LEE.name]


def test_schools_without_community_share_none(schools):
    # Walton and Glen Elementary have no community in the school directory.
    ranked = rank_champions("onenote", "Walton Elementary", [champion(JO, "Glen Elementary")], {}, schools)

    assert ranked[0].distance == DISTRICT
    assert ranked[0].distance_label(schools) == "Elsewhere in the district: Glen Elementary"
