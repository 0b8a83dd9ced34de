"""CADSS (23-item) and CADSS-6: ranges, the short form's items, the research > 4 convention."""

from __future__ import annotations

from ketaflow.clinical.instruments import CADSS, CADSS6, FlagCode, FlagKind


def test_cadss_23_items_each_0_to_4_total_0_to_92():
    assert len(CADSS.items) == 23
    assert (CADSS.minimum, CADSS.maximum) == (0, 92)
    assert CADSS.score([4] * 23).total == 92


def test_cadss6_is_items_1_2_6_7_15_22_total_0_to_24():
    assert [i.key for i in CADSS6.items] == [
        "item_1",
        "item_2",
        "item_6",
        "item_7",
        "item_15",
        "item_22",
    ]
    assert (CADSS6.minimum, CADSS6.maximum) == (0, 24)


def test_cadss_reports_the_cadss6_subtotal_of_the_full_form():
    answers = [0] * 23
    for n in (1, 2, 6, 7, 15, 22):
        answers[n - 1] = 1
    answers[2] = 4  # item 3 is not in CADSS-6
    score = CADSS.score(answers)
    assert score.subscale("cadss6") == 6
    assert score.total == 10


def test_cadss_above_4_is_an_informational_research_flag_not_a_trigger():
    score = CADSS.score([1] * 5 + [0] * 18)
    flag = next(f for f in score.flags if f.code is FlagCode.CADSS_ABOVE_RESEARCH_CUTOFF)
    assert flag.kind is FlagKind.INFORMATIONAL
    assert [s.key for s in flag.sources] == ["A16", "A17"]
    assert not score.has_safety_flag


def test_cadss_of_4_raises_no_flag():
    assert not CADSS.score([1] * 4 + [0] * 19).flags


def test_cadss_has_no_severity_and_no_response_criteria():
    score = CADSS.score([0] * 23)
    assert score.severity is None
    assert CADSS.response is None


def test_cadss6_raises_no_research_flag():
    assert not CADSS6.score([4] * 6).flags


def test_cadss6_error_names_the_original_item_number():
    import pytest

    from ketaflow.clinical.errors import ClinicalInputError

    with pytest.raises(ClinicalInputError) as err:
        CADSS6.score([0, 0, 0, 0, 5, 0])
    assert "CADSS item 15" in err.value.message
    assert err.value.field == "item_15"
