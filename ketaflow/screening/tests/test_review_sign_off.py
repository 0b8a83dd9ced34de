"""Sign-off: prescribers only, a reason always, locked once signed, within the findings."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaflow.patients.services import add_entry
from ketaflow.screening.models import SignedReviewLocked
from ketaflow.screening.services import ReviewLocked, open_review, sign_review
from ketaflow.screening.tests.conftest import a_medication

pytestmark = pytest.mark.django_db


def test_a_prescriber_signs_an_eligible_review(eligible_patient, nurse, prescriber):
    review = sign_review(
        prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="All clear"
    )
    assert review.signed_by == prescriber
    assert review.signed_at is not None
    assert review.decision == "eligible"


def test_a_nurse_cannot_sign(eligible_patient, nurse):
    review = open_review(nurse, eligible_patient)
    with pytest.raises(PermissionDenied):
        sign_review(nurse, review, decision="eligible", reason="ok")


def test_the_reason_is_required(eligible_patient, nurse, prescriber):
    review = open_review(nurse, eligible_patient)
    with pytest.raises(ValidationError) as caught:
        sign_review(prescriber, review, decision="eligible", reason="  ")
    assert "reason" in caught.value.message_dict


def test_a_signed_review_cannot_be_signed_again(eligible_patient, nurse, prescriber):
    review = sign_review(
        prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="ok"
    )
    with pytest.raises(ReviewLocked):
        sign_review(prescriber, review, decision="not_eligible", reason="changed my mind")


def test_a_signed_review_cannot_be_edited_directly(eligible_patient, nurse, prescriber):
    review = sign_review(
        prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="ok"
    )
    review.decision_reason = "rewritten"
    with pytest.raises(SignedReviewLocked):
        review.save()


def test_an_exclusion_allows_only_not_eligible(eligible_patient, nurse, prescriber):
    add_entry(
        nurse,
        eligible_patient,
        "pregnancy",
        {"observed_on": timezone.localdate(), "pregnancy_status": "pregnant"},
    )
    review = open_review(nurse, eligible_patient)
    with pytest.raises(ValidationError) as caught:
        sign_review(prescriber, review, decision="eligible_with_cautions", reason="fine")
    assert "decision" in caught.value.message_dict
    signed = sign_review(prescriber, review, decision="not_eligible", reason="Pregnant")
    assert signed.decision == "not_eligible"


def test_cautions_need_eligible_with_cautions(eligible_patient, nurse, prescriber):
    a_medication(nurse, eligible_patient, "Phentermine", ["stimulant"])
    review = open_review(nurse, eligible_patient)
    with pytest.raises(ValidationError):
        sign_review(prescriber, review, decision="eligible", reason="fine")
    sign_review(prescriber, review, decision="eligible_with_cautions", reason="BP watched")


def test_a_review_whose_chart_changed_cannot_be_signed(eligible_patient, nurse, prescriber):
    review = open_review(nurse, eligible_patient)
    a_medication(nurse, eligible_patient, "Phentermine", ["stimulant"])
    with pytest.raises(ValidationError) as caught:
        sign_review(prescriber, review, decision="eligible", reason="ok")
    assert "Phentermine" in str(caught.value)


def test_a_superseded_review_cannot_be_signed(eligible_patient, nurse, prescriber):
    old = open_review(nurse, eligible_patient)
    open_review(nurse, eligible_patient)
    with pytest.raises(ValidationError):
        sign_review(prescriber, old, decision="eligible", reason="ok")
