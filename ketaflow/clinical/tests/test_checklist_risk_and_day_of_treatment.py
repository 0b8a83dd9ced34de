"""The checklist gates on suicide risk and on alcohol, drugs and intoxication today."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.checklist import (
    ChecklistInputs,
    Decision,
    RiskAssessment,
    Status,
    SubstanceDecision,
    evaluate,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import VitalSigns

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ALERT = "PHQ-9 item 9 is 1: assess suicide risk (e.g. C-SSRS) before the next treatment."


def all_done(**changes: object) -> ChecklistInputs:
    base = ChecklistInputs(
        now=NOW,
        fasting_solids_minutes=360,
        fasting_clear_liquids_minutes=120,
        last_food_at=NOW - timedelta(hours=8),
        last_clear_liquid_at=NOW - timedelta(hours=3),
        escort_name="Sam Doe",
        escort_phone="07700 900123",
        today=date(2025, 3, 3),
        medication_changes_reviewed=True,
        weight_today_kg=70.0,
        baseline=VitalSigns(sbp=122, dbp=78, hr=70, spo2=98, rr=14),
        pre_session_questionnaire_done=True,
        consent_ok=True,
        eligibility_ok=True,
        alcohol_today=False,
        drugs_today=False,
        intoxication_signs=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def assessed(decision: Decision, level: str = "low") -> RiskAssessment:
    return RiskAssessment(decision, level, "Safety plan reviewed; call tomorrow.", "Dr Who")


def test_an_open_risk_alert_blocks_the_start_and_says_a_prescriber_must_assess() -> None:
    result = evaluate(all_done(risk_alerts=(ALERT,)))
    item = result.item("suicide_risk")
    assert item.status is Status.BLOCKING
    assert "prescriber must record a suicide risk assessment" in item.message
    assert ALERT in item.message
    assert item.sources
    assert not result.can_start


def test_a_proceed_assessment_with_no_alert_left_lets_the_dose_start() -> None:
    result = evaluate(all_done(risk_assessment=assessed(Decision.PROCEED, "moderate")))
    item = result.item("suicide_risk")
    assert item.status is Status.OK
    assert "risk moderate" in item.message and "Dr Who" in item.message
    assert result.can_start


def test_a_defer_assessment_keeps_the_session_blocked() -> None:
    result = evaluate(all_done(risk_assessment=assessed(Decision.DEFER, "high")))
    item = result.item("suicide_risk")
    assert item.status is Status.BLOCKING
    assert "do not dose in this session" in item.message
    assert not result.can_start


def test_an_alert_raised_after_a_proceed_assessment_blocks_again() -> None:
    result = evaluate(all_done(risk_assessment=assessed(Decision.PROCEED), risk_alerts=(ALERT,)))
    assert result.item("suicide_risk").status is Status.BLOCKING


def test_no_alert_and_no_assessment_passes() -> None:
    assert evaluate(all_done()).item("suicide_risk").status is Status.OK


def test_an_assessment_needs_a_known_risk_level_and_a_plan() -> None:
    with pytest.raises(ClinicalInputError) as err:
        all_done(risk_assessment=RiskAssessment(Decision.PROCEED, "severe", "plan"))
    assert err.value.field == "risk_level"
    with pytest.raises(ClinicalInputError) as err:
        all_done(risk_assessment=RiskAssessment(Decision.PROCEED, "low", "  "))
    assert err.value.field == "plan"


def test_unasked_day_of_treatment_questions_wait_for_the_answer() -> None:
    result = evaluate(all_done(alcohol_today=None))
    assert result.item("substances").status is Status.MISSING
    assert not result.can_start


def test_none_today_passes() -> None:
    item = evaluate(all_done()).item("substances")
    assert item.status is Status.OK
    assert item.message == "None today."


@pytest.mark.parametrize("field", ["alcohol_today", "drugs_today", "intoxication_signs"])
def test_any_yes_blocks_until_a_prescriber_decides(field: str) -> None:
    result = evaluate(all_done(**{field: True}))
    item = result.item("substances")
    assert item.status is Status.BLOCKING
    assert "prescriber must decide" in item.message
    assert not result.can_start


def test_a_prescribers_proceed_leaves_a_caution_with_the_reason() -> None:
    decision = SubstanceDecision(
        Decision.PROCEED, "One glass of wine last night.", frozenset({"alcohol"}), "Dr Who"
    )
    result = evaluate(all_done(alcohol_today=True, substance_decision=decision))
    item = result.item("substances")
    assert item.status is Status.CAUTION
    assert "One glass of wine" in item.message
    assert result.can_start


def test_a_prescribers_defer_blocks() -> None:
    decision = SubstanceDecision(Decision.DEFER, "Smells of alcohol.", frozenset({"intoxication"}))
    result = evaluate(all_done(intoxication_signs=True, substance_decision=decision))
    assert result.item("substances").status is Status.BLOCKING
    assert not result.can_start


def test_a_new_yes_after_the_decision_needs_a_new_decision() -> None:
    decision = SubstanceDecision(Decision.PROCEED, "Wine last night.", frozenset({"alcohol"}))
    result = evaluate(all_done(alcohol_today=True, drugs_today=True, substance_decision=decision))
    assert result.item("substances").status is Status.BLOCKING


def test_a_decision_needs_a_reason() -> None:
    with pytest.raises(ClinicalInputError) as err:
        all_done(substance_decision=SubstanceDecision(Decision.PROCEED, " ", frozenset()))
    assert err.value.field == "reason"


@given(
    alerts=st.lists(st.just(ALERT), max_size=2),
    decision=st.one_of(st.none(), st.sampled_from(Decision)),
    answers=st.tuples(*(st.one_of(st.none(), st.booleans()) for _ in range(3))),
    decided=st.one_of(st.none(), st.sampled_from(Decision)),
)
def test_the_start_never_passes_an_open_alert_a_deferral_or_an_undecided_yes(
    alerts: list[str],
    decision: Decision | None,
    answers: tuple[bool | None, bool | None, bool | None],
    decided: Decision | None,
) -> None:
    keys = ("alcohol", "drugs", "intoxication")
    inputs = all_done(
        risk_alerts=tuple(alerts),
        risk_assessment=assessed(decision) if decision else None,
        alcohol_today=answers[0],
        drugs_today=answers[1],
        intoxication_signs=answers[2],
        substance_decision=SubstanceDecision(
            decided, "reason", frozenset(k for k, a in zip(keys, answers, strict=True) if a)
        )
        if decided
        else None,
    )
    result = evaluate(inputs)
    if alerts or decision is Decision.DEFER:
        assert not result.can_start
    if None in answers:
        assert not result.can_start
    if any(answers) and decided is not Decision.PROCEED:
        assert not result.can_start
    if (
        not alerts
        and decision is not Decision.DEFER
        and None not in answers
        and (not any(answers) or decided is Decision.PROCEED)
    ):
        assert result.can_start
