"""The gate a session start will ask: signed, eligible (± cautions), and not stale — with why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketaflow.patients.services import add_entry
from ketaflow.screening.selectors import current_review, eligibility_gate
from ketaflow.screening.services import open_review, sign_review
from ketaflow.screening.tests.conftest import a_bp, a_medication

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(eligible_patient, nurse, prescriber):
    return sign_review(
        prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="All clear"
    )


def test_without_a_signed_review_the_gate_is_closed(eligible_patient, nurse):
    open_review(nurse, eligible_patient)
    ok, reasons = eligibility_gate(eligible_patient)
    assert not ok
    assert "No signed eligibility review" in reasons[0]


def test_a_signed_eligible_review_opens_the_gate(signed):
    assert eligibility_gate(signed.patient) == (True, [])
    state = current_review(signed.patient)
    assert state is not None and not state.is_stale


def test_a_new_medication_after_sign_off_makes_the_review_stale(signed, nurse):
    a_medication(
        nurse, signed.patient, "Lorazepam", ["benzodiazepine"], diazepam_equivalent_mg_per_day="10"
    )
    state = current_review(signed.patient)
    assert state.is_stale
    assert any("new medication: Lorazepam" in r for r in state.stale_reasons)
    ok, reasons = eligibility_gate(signed.patient)
    assert not ok
    assert "Lorazepam" in reasons[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("bp", "resting BP is now 150/95 mmHg (was 120/80 mmHg)"),
        ("pregnancy", "pregnancy status changed from not pregnant to pregnant"),
        ("diagnosis", "diagnosis added: F32.9"),
        ("history", "history added: hypertension"),
    ],
)
def test_each_change_that_feeds_eligibility_says_why(signed, nurse, prescriber, change, expected):
    patient = signed.patient
    if change == "bp":
        a_bp(nurse, patient, 150, 95)
    elif change == "pregnancy":
        add_entry(
            nurse,
            patient,
            "pregnancy",
            {"observed_on": timezone.localdate(), "pregnancy_status": "pregnant"},
        )
    elif change == "diagnosis":
        add_entry(prescriber, patient, "diagnoses", {"code": "F32.9"})
    else:
        add_entry(nurse, patient, "history", {"condition": "hypertension", "presence": "current"})
    assert expected in current_review(patient).stale_reasons


def test_a_change_unrelated_to_eligibility_does_not_make_it_stale(signed, nurse):
    add_entry(nurse, signed.patient, "allergies", {"substance": "penicillin"})
    assert not current_review(signed.patient).is_stale


def test_a_not_eligible_decision_keeps_the_gate_closed(eligible_patient, nurse, prescriber):
    review = open_review(nurse, eligible_patient)
    sign_review(prescriber, review, decision="not_eligible", reason="Patient declined")
    ok, reasons = eligibility_gate(eligible_patient)
    assert not ok
    assert "Not eligible" in reasons[0]


def test_the_gate_at_a_moment_before_the_sign_off_is_closed(signed):
    ok, _ = eligibility_gate(signed.patient, signed.signed_at - timedelta(seconds=1))
    assert not ok


def test_an_unsigned_newer_review_does_not_close_the_gate(signed, nurse):
    open_review(nurse, signed.patient)
    assert eligibility_gate(signed.patient)[0]
