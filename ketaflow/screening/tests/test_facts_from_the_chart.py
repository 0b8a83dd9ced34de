"""The chart becomes the core's facts: mapped codes, the latest values, nothing withdrawn."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketaflow.clinical.eligibility import ClearanceItem, HistoryItem, PregnancyStatus
from ketaflow.clinical.protocols import builtin
from ketaflow.patients.services import add_entry, mark_entered_in_error
from ketaflow.screening.derive import chart_facts
from ketaflow.screening.services import record_observation
from ketaflow.screening.tests.conftest import a_bp, a_medication

pytestmark = pytest.mark.django_db
IV = builtin("iv-racemic")


def facts_now(patient):
    return chart_facts(patient, timezone.now(), IV)


def test_an_eligible_chart_gives_every_fact_the_core_reads(eligible_patient):
    facts = facts_now(eligible_patient).facts
    assert facts.diagnoses == ("F41.1",)
    assert facts.severity_scores == {"hama": 24.0}
    assert str(facts.blood_pressure) == "120/80 mmHg"
    assert facts.pregnancy is PregnancyStatus.NOT_PREGNANT
    assert ClearanceItem.ECG in facts.clearance_done
    assert ClearanceItem.PREGNANCY_TEST in facts.clearance_done
    assert len(facts.prior_treatments) == 2


def test_the_latest_resting_bp_is_used(eligible_patient, nurse):
    a_bp(nurse, eligible_patient, 150, 95)
    assert str(facts_now(eligible_patient).facts.blood_pressure) == "150/95 mmHg"


def test_a_medication_entered_in_error_is_not_a_fact(eligible_patient, nurse):
    med = a_medication(nurse, eligible_patient, "Phentermine", ["stimulant"])
    assert [m.name for m in facts_now(eligible_patient).facts.medications] == ["Phentermine"]
    mark_entered_in_error(nurse, med, "wrong patient")
    assert facts_now(eligible_patient).facts.medications == ()


def test_a_stopped_medication_is_not_current(eligible_patient, nurse):
    yesterday = timezone.localdate() - timedelta(days=1)
    a_medication(nurse, eligible_patient, "Phentermine", ["stimulant"], stopped_on=yesterday)
    assert facts_now(eligible_patient).facts.medications == ()


def test_facts_at_an_earlier_moment_ignore_later_entries(eligible_patient, nurse):
    before = timezone.now()
    a_medication(nurse, eligible_patient, "Phentermine", ["stimulant"])
    assert chart_facts(eligible_patient, before, IV).facts.medications == ()


def test_history_maps_current_and_past_onto_the_cores_items(eligible_patient, nurse):
    add_entry(nurse, eligible_patient, "history", {"condition": "psychosis", "presence": "past"})
    add_entry(nurse, eligible_patient, "history", {"condition": "stroke", "presence": "past"})
    add_entry(nurse, eligible_patient, "history", {"condition": "epilepsy", "presence": "absent"})
    history = facts_now(eligible_patient).facts.history
    assert history == {HistoryItem.PSYCHOSIS_PAST, HistoryItem.STROKE}


def test_a_positive_pregnancy_test_makes_the_patient_pregnant(eligible_patient, nurse):
    record_observation(
        nurse,
        eligible_patient,
        kind="pregnancy_test",
        observed_at=timezone.now(),
        result="positive",
    )
    assert facts_now(eligible_patient).facts.pregnancy is PregnancyStatus.PREGNANT


def test_someone_who_cannot_become_pregnant_has_pregnancy_not_applicable(patient):
    patient.can_become_pregnant = False
    patient.save()
    assert facts_now(patient).facts.pregnancy is PregnancyStatus.NOT_APPLICABLE


def test_someone_who_can_become_pregnant_with_no_record_is_unknown(patient):
    assert facts_now(patient).facts.pregnancy is PregnancyStatus.UNKNOWN


def test_planning_a_pregnancy_becomes_the_history_item(patient, nurse):
    add_entry(
        nurse,
        patient,
        "pregnancy",
        {"observed_on": timezone.localdate(), "pregnancy_status": "planning"},
    )
    assert HistoryItem.PLANNING_PREGNANCY in facts_now(patient).facts.history


def test_equal_charts_give_equal_fingerprints(eligible_patient):
    assert facts_now(eligible_patient).fingerprint == facts_now(eligible_patient).fingerprint
