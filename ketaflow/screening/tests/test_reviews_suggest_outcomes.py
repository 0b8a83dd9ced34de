"""Opening a review: the core's findings and suggestion, stored with the facts and criteria."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.patients.services import add_entry
from ketaflow.screening.services import open_review
from ketaflow.screening.tests.conftest import a_medication

pytestmark = pytest.mark.django_db


def codes(review):
    return [f["code"] for f in review.findings]


def test_a_patient_meeting_every_requirement_is_suggested_eligible(eligible_patient, nurse):
    review = open_review(nurse, eligible_patient)
    assert review.findings == []
    assert review.suggested_outcome == "eligible"
    assert review.protocol_code == "iv-racemic"
    assert review.criteria["min_failed_adequate_treatments"] == 2
    assert len(review.fingerprint) == 64


def test_pregnancy_is_an_exclusion_and_suggests_not_eligible(eligible_patient, nurse):
    add_entry(
        nurse,
        eligible_patient,
        "pregnancy",
        {"observed_on": timezone.localdate(), "pregnancy_status": "pregnant"},
    )
    review = open_review(nurse, eligible_patient)
    exclusion = next(f for f in review.findings if f["code"] == "exclusion.pregnancy")
    assert exclusion["kind"] == "exclusion"
    assert exclusion["facts"] == ["pregnancy"]
    assert "S1" in exclusion["sources"]
    assert review.suggested_outcome == "not_eligible"


def test_benzodiazepine_of_10_mg_diazepam_equivalent_is_a_caution(eligible_patient, nurse):
    a_medication(
        nurse,
        eligible_patient,
        "Lorazepam",
        ["benzodiazepine"],
        diazepam_equivalent_mg_per_day="10.0",
    )
    review = open_review(nurse, eligible_patient)
    assert "caution.benzodiazepine_high_dose" in codes(review)
    assert review.suggested_outcome == "eligible_with_cautions"


def test_too_few_failed_trials_is_an_unmet_requirement(patient, nurse, prescriber):
    add_entry(prescriber, patient, "diagnoses", {"code": "F41.1"})
    add_entry(
        nurse,
        patient,
        "prior-treatments",
        {"kind": "ssri", "name": "sertraline", "adequate": True, "outcome": "no_response"},
    )
    review = open_review(nurse, patient)
    unmet = next(f for f in review.findings if f["code"] == "requirement.too_few_failed_treatments")
    assert unmet["kind"] == "unmet_requirement"
    assert review.suggested_outcome in ("needs_review", "not_eligible")


def test_the_sc_protocol_uses_its_own_thresholds(eligible_patient, nurse):
    review = open_review(nurse, eligible_patient, protocol="sc-racemic-anxiety")
    assert review.protocol_code == "sc-racemic-anxiety"
    assert review.criteria["planned_route"] == "sc"


def test_an_unknown_protocol_is_a_field_error(eligible_patient, nurse):
    with pytest.raises(ValidationError) as caught:
        open_review(nurse, eligible_patient, protocol="no-such")
    assert "protocol" in caught.value.message_dict


def test_opening_a_new_review_supersedes_the_unsigned_one(eligible_patient, nurse):
    first = open_review(nurse, eligible_patient)
    second = open_review(nurse, eligible_patient)
    first.refresh_from_db()
    assert first.status == "inactive"
    assert str(second.pk) in first.status_reason


def test_opening_a_review_is_audited_with_the_suggestion(eligible_patient, nurse):
    review = open_review(nurse, eligible_patient)
    event = AccessEvent.objects.get(object_type="screening.EligibilityReview", action="create")
    assert event.object_id == str(review.pk)
    assert event.detail["suggested_outcome"] == "eligible"


def test_front_desk_cannot_open_a_review(eligible_patient, front_desk):
    with pytest.raises(PermissionDenied):
        open_review(front_desk, eligible_patient)


def test_an_outsider_cannot_open_a_review_on_our_patient(eligible_patient, outsider):
    with pytest.raises(PermissionDenied):
        open_review(outsider, eligible_patient)
