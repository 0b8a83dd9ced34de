"""The pre-session checklist: each item's status, and the start gated on blocking items."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from ketaflow.clinical.checklist import ChecklistInputs, Status, evaluate
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import VitalSigns

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def all_done(**changes: object) -> ChecklistInputs:
    base = ChecklistInputs(
        now=NOW,
        fasting_solids_minutes=360,
        fasting_clear_liquids_minutes=120,
        last_food_at=NOW - timedelta(hours=8),
        last_clear_liquid_at=NOW - timedelta(hours=3),
        escort_name="Sam Doe",
        escort_phone="07700 900123",
        can_become_pregnant=True,
        pregnancy_test_on=date(2025, 3, 3),
        pregnancy_test_positive=False,
        today=date(2025, 3, 3),
        medication_changes_reviewed=True,
        weight_today_kg=70.0,
        previous_weight_kg=69.0,
        baseline=VitalSigns(sbp=122, dbp=78, hr=70, spo2=98, rr=14),
        pre_session_questionnaire_done=True,
        consent_ok=True,
        eligibility_ok=True,
        alcohol_today=False,
        drugs_today=False,
        intoxication_signs=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_complete_checklist_lets_the_dose_start() -> None:
    result = evaluate(all_done())
    assert result.can_start
    assert {i.status for i in result.items} == {Status.OK}


def test_eating_too_recently_blocks_and_says_how_long_to_go() -> None:
    item = evaluate(all_done(last_food_at=NOW - timedelta(hours=2))).item("fasting")
    assert item.status is Status.BLOCKING
    assert "4 h 00 min to go" in item.message
    assert not evaluate(all_done(last_food_at=NOW - timedelta(hours=2))).can_start


def test_the_protocols_fasting_settings_decide() -> None:
    relaxed = all_done(
        fasting_solids_minutes=120,
        fasting_clear_liquids_minutes=30,
        last_food_at=NOW - timedelta(hours=2),
        last_clear_liquid_at=NOW - timedelta(minutes=30),
    )
    assert evaluate(relaxed).item("fasting").status is Status.OK


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"last_food_at": None}, "fasting"),
        ({"escort_phone": "  "}, "escort"),
        ({"pregnancy_test_on": date(2025, 3, 2)}, "pregnancy"),
        ({"medication_changes_reviewed": None}, "medications"),
        ({"weight_today_kg": None}, "weight"),
        ({"baseline": None}, "baseline_vitals"),
        ({"pre_session_questionnaire_done": False}, "questionnaire"),
    ],
)
def test_an_unanswered_item_is_missing_and_holds_the_start(
    changes: dict[str, object], code: str
) -> None:
    result = evaluate(all_done(**changes))
    assert result.item(code).status is Status.MISSING
    assert not result.can_start


def test_a_positive_pregnancy_test_blocks() -> None:
    result = evaluate(all_done(pregnancy_test_positive=True))
    assert result.item("pregnancy").status is Status.BLOCKING


def test_pregnancy_does_not_apply_when_the_patient_cannot_become_pregnant() -> None:
    result = evaluate(all_done(can_become_pregnant=False, pregnancy_test_on=None))
    assert result.item("pregnancy").status is Status.OK and result.can_start


def test_a_benzodiazepine_today_is_a_caution_for_the_prescriber_not_a_block() -> None:
    result = evaluate(all_done(taken_today=frozenset({"benzodiazepine"})))
    item = result.item("medications")
    assert item.status is Status.CAUTION and "benzodiazepine" in item.message
    assert result.can_start
    assert result.cautions == (item,)


def test_a_weight_change_over_ten_percent_is_flagged() -> None:
    item = evaluate(all_done(weight_today_kg=80.0, previous_weight_kg=70.0)).item("weight")
    assert item.status is Status.CAUTION and "+14%" in item.message
    assert (
        evaluate(all_done(weight_today_kg=76.0, previous_weight_kg=70.0)).item("weight").status
        is Status.OK
    )


@pytest.mark.parametrize(
    ("sbp", "dbp", "status"),
    [
        (181, 90, Status.BLOCKING),
        (150, 101, Status.BLOCKING),
        (141, 85, Status.CAUTION),
        (140, 90, Status.OK),
    ],
)
def test_baseline_blood_pressure_uses_the_pre_dose_rules(
    sbp: int, dbp: int, status: Status
) -> None:
    result = evaluate(all_done(baseline=VitalSigns(sbp=sbp, dbp=dbp)))
    assert result.item("baseline_vitals").status is status
    assert result.can_start is (status is not Status.BLOCKING)


def test_consent_and_eligibility_reasons_from_the_apps_block() -> None:
    result = evaluate(
        all_done(consent_ok=False, consent_reasons=["The patient has not signed the consent."])
    )
    assert result.item("consent").status is Status.BLOCKING
    assert "not signed" in result.item("consent").message
    stale = evaluate(all_done(eligibility_ok=False, eligibility_reasons=["out of date"]))
    assert stale.item("eligibility").status is Status.BLOCKING and not stale.can_start


def test_every_item_that_rests_on_a_source_says_which() -> None:
    result = evaluate(all_done())
    assert result.item("fasting").sources and result.item("baseline_vitals").sources


def test_impossible_inputs_are_refused_with_the_field() -> None:
    with pytest.raises(ClinicalInputError) as err:
        all_done(last_food_at=NOW + timedelta(hours=1))
    assert err.value.field == "last_food_at"
    with pytest.raises(ClinicalInputError):
        all_done(taken_today=frozenset({"coffee"}))
