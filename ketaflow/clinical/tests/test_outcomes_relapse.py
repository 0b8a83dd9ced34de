"""Relapse after response: SUSTAIN-1 shape (S19) with a configurable criterion."""

from __future__ import annotations

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import default
from ketaflow.clinical.outcomes import OutcomeConfig, RelapseCriterion, RelapseRule, assess
from ketaflow.clinical.tests.test_outcomes_support import HAMA, MADRS, day, mwf

SUSTAIN1 = OutcomeConfig(relapse=RelapseRule.sustain1())


def test_madrs_22_on_two_assessments_seven_days_apart_after_response_is_a_relapse() -> None:
    scores = [(day(0), 36), (day(12), 10), (day(20), 22), (day(27), 25)]
    report = assess(scores, MADRS, mwf(), SUSTAIN1)
    (relapse,) = report.relapses
    assert (relapse.onset, relapse.confirmed) == (day(20), day(27))
    assert [s.value for s in relapse.scores] == [22, 25]
    assert "S19" in {s.key for s in relapse.sources}


def test_madrs_21_does_not_count_towards_relapse() -> None:
    scores = [(day(0), 36), (day(12), 10), (day(20), 21), (day(27), 21)]
    assert assess(scores, MADRS, mwf(), SUSTAIN1).relapses == ()


def test_the_two_assessments_may_be_five_or_fifteen_days_apart_but_not_sixteen() -> None:
    base = [(day(0), 36), (day(12), 10)]
    five = assess([*base, (day(20), 30), (day(25), 30)], MADRS, mwf(), SUSTAIN1)
    fifteen = assess([*base, (day(20), 30), (day(35), 30)], MADRS, mwf(), SUSTAIN1)
    sixteen = assess([*base, (day(20), 30), (day(36), 30)], MADRS, mwf(), SUSTAIN1)
    assert len(five.relapses) == 1
    assert len(fifteen.relapses) == 1
    assert sixteen.relapses == ()


def test_a_repeat_score_under_five_days_later_neither_confirms_nor_breaks_the_run() -> None:
    scores = [(day(0), 36), (day(12), 10), (day(20), 30), (day(24), 30), (day(26), 30)]
    (relapse,) = assess(scores, MADRS, mwf(), SUSTAIN1).relapses
    assert (relapse.onset, relapse.confirmed) == (day(20), day(26))


def test_a_gap_over_fifteen_days_starts_a_new_run() -> None:
    scores = [(day(0), 36), (day(12), 10), (day(20), 30), (day(40), 30), (day(47), 30)]
    (relapse,) = assess(scores, MADRS, mwf(), SUSTAIN1).relapses
    assert relapse.onset == day(40)


def test_a_good_score_between_two_bad_ones_breaks_the_run() -> None:
    scores = [(day(0), 36), (day(12), 10), (day(20), 30), (day(27), 10), (day(34), 30)]
    assert assess(scores, MADRS, mwf(), SUSTAIN1).relapses == ()


def test_there_is_no_relapse_without_a_response_first() -> None:
    scores = [(day(0), 36), (day(12), 30), (day(20), 30), (day(27), 30)]
    assert assess(scores, MADRS, mwf(), SUSTAIN1).relapses == ()


def test_by_default_relapse_is_losing_response_twice_and_needs_local_signoff() -> None:
    rule = RelapseRule()
    assert rule.criterion.value is RelapseCriterion.LOST_RESPONSE
    assert rule.criterion.needs_local_signoff
    assert (rule.consecutive.value, rule.min_days_apart.value, rule.max_days_apart.value) == (
        2,
        5,
        15,
    )
    scores = [(day(0), 30), (day(12), 12), (day(20), 16), (day(27), 18)]
    (relapse,) = assess(scores, HAMA, mwf()).relapses
    assert relapse.confirmed == day(27)


def test_losing_half_of_the_best_improvement_can_be_the_relapse_criterion() -> None:
    rule = RelapseRule(criterion=default(RelapseCriterion.LOST_IMPROVEMENT, "S19"))
    config = OutcomeConfig(relapse=rule)
    # baseline 30, best 10 (20 points better): 20 keeps only 10 of 20 points = lost 50%.
    lost = [(day(0), 30), (day(12), 14), (day(14), 10), (day(20), 20), (day(27), 20)]
    kept = [(day(0), 30), (day(12), 14), (day(14), 10), (day(20), 19), (day(27), 19)]
    assert len(assess(lost, HAMA, mwf(), config).relapses) == 1
    assert assess(kept, HAMA, mwf(), config).relapses == ()


def test_a_second_response_after_a_relapse_can_be_followed_by_a_second_relapse() -> None:
    scores = [
        (day(0), 36),
        (day(12), 10),
        (day(20), 30),
        (day(27), 30),
        (day(34), 10),
        (day(41), 30),
        (day(48), 30),
    ]
    report = assess(scores, MADRS, mwf(), SUSTAIN1)
    assert [r.confirmed for r in report.relapses] == [day(27), day(48)]


def test_three_consecutive_assessments_can_be_required() -> None:
    rule = RelapseRule(consecutive=default(3, "S19"))
    scores = [(day(0), 30), (day(12), 12), (day(20), 16), (day(27), 18)]
    assert assess(scores, HAMA, mwf(), OutcomeConfig(relapse=rule)).relapses == ()


def test_a_score_level_rule_needs_its_level() -> None:
    with pytest.raises(ClinicalInputError) as err:
        RelapseRule(criterion=default(RelapseCriterion.SCORE_AT_OR_ABOVE, "S19"))
    assert err.value.field == "score_at_or_above"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"consecutive": default(0, "S19")}, "consecutive"),
        ({"min_days_apart": default(16, "S19")}, "min_days_apart"),
        ({"min_days_apart": default(-1, "S19")}, "min_days_apart"),
        ({"lost_improvement_pct": default(0.0)}, "lost_improvement_pct"),
    ],
)
def test_an_impossible_relapse_rule_is_rejected(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ClinicalInputError) as err:
        RelapseRule(**changes)  # type: ignore[arg-type]
    assert err.value.field == field
