"""Recording scales: scored by the core, licence-aware, field errors for bad items, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.questionnaires.selectors import latest_scores, open_safety_flags, responses_for
from ketaflow.questionnaires.services import mark_response_entered_in_error, record_response

pytestmark = pytest.mark.django_db


def record(actor, patient, code, **kwargs):
    kwargs.setdefault("context", "baseline")
    kwargs.setdefault("administered_at", timezone.now() - timedelta(minutes=5))
    kwargs.setdefault("rater", "self")
    return record_response(actor, patient, code, **kwargs)


def test_gad7_is_scored_from_its_items(nurse, patient):
    response = record(nurse, patient, "gad7", answers=[1, 1, 1, 1, 0, 1, 2])
    assert response.total == 7
    assert response.severity == "mild"
    assert response.answers[:7] == [1, 1, 1, 1, 0, 1, 2]
    assert response.licence == "free"


def test_answers_may_be_keyed_by_item_number_as_text(nurse, patient):
    answers = {str(n): 1 for n in range(1, 8)}
    assert record(nurse, patient, "gad7", answers=answers).total == 7


def test_a_missing_item_is_an_error_on_that_item(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, "phq9", answers={"item_1": 1})
    assert "item_2" in caught.value.message_dict


def test_an_out_of_range_answer_is_an_error_on_that_item(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, "gad7", answers=[1, 1, 1, 9, 0, 1, 2])
    assert "item_4" in caught.value.message_dict


def test_a_total_cannot_be_typed_in_for_an_item_instrument(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, "gad7", total=12)
    assert "total" in caught.value.message_dict


def test_licensed_scales_store_a_total_and_no_items(nurse, patient):
    response = record(nurse, patient, "ybocs", total=20, rater="clinician")
    assert response.answers == []
    assert response.total == 20
    assert response.severity == "moderate"
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, "ybocs", answers=[1] * 10, rater="clinician")
    assert "answers" in caught.value.message_dict


def test_pdss_needs_to_know_about_agoraphobia(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, "pdss", total=12, rater="clinician")
    assert "agoraphobia" in caught.value.message_dict
    assert record(nurse, patient, "pdss", total=12, agoraphobia=True, rater="clinician").severity


def test_cssrs_stores_a_risk_level_and_raises_a_safety_flag(nurse, patient):
    response = record(nurse, patient, "cssrs", risk="high", rater="clinician")
    assert response.total is None
    assert response.risk_level == "high"
    assert response.has_safety_flag
    event = AccessEvent.objects.get(object_type="questionnaires.InstrumentResponse")
    assert event.detail["safety_flags"] == ["cssrs_risk_high"]


def test_phq9_item_9_above_zero_is_an_open_safety_flag(nurse, patient):
    record(nurse, patient, "phq9", answers=[1, 1, 1, 1, 1, 1, 1, 1, 1])
    flags = open_safety_flags(patient)
    assert [f.code for f in flags] == ["phq9_item9_positive"]


def test_a_later_clean_phq9_supersedes_the_flag(nurse, patient):
    record(nurse, patient, "phq9", answers=[1] * 9)
    record(nurse, patient, "phq9", answers=[1] * 8 + [0], administered_at=timezone.now())
    assert open_safety_flags(patient) == []


def test_clinician_rated_scales_refuse_self_report(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, "hama", answers=[1] * 14, rater="self")
    assert "rater" in caught.value.message_dict


def test_a_time_in_the_future_is_refused(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(
            nurse,
            patient,
            "gad7",
            answers=[0] * 7,
            administered_at=timezone.now() + timedelta(days=1),
        )
    assert "administered_at" in caught.value.message_dict


def test_an_unknown_instrument_is_a_field_error(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, "nope", answers=[1])
    assert "instrument" in caught.value.message_dict


def test_front_desk_cannot_record_scales(front_desk, patient):
    with pytest.raises(PermissionDenied):
        record(front_desk, patient, "gad7", answers=[0] * 7)


def test_latest_scores_ignore_withdrawn_responses(nurse, patient):
    first = record(nurse, patient, "gad7", answers=[3] * 7)
    second = record(nurse, patient, "gad7", answers=[0] * 7, administered_at=timezone.now())
    assert latest_scores(patient)["gad7"] == second
    mark_response_entered_in_error(nurse, second, "wrong patient")
    assert latest_scores(patient)["gad7"] == first


def test_responses_for_are_scoped_and_audited(nurse, outsider, patient):
    record(nurse, patient, "gad7", answers=[0] * 7)
    assert len(responses_for(nurse, patient.pk)) == 1
    from django.http import Http404

    with pytest.raises(Http404):
        responses_for(outsider, patient.pk)
