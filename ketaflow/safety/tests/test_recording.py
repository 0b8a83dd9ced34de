"""Recording safety results: the core checks values, amendments keep history, all audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketaflow.audit.models import AccessEvent
from ketaflow.safety import services
from ketaflow.safety.derive import lab_flag, rules_of_patient
from ketaflow.safety.models import LabResult
from ketaflow.safety.tests.conftest import NO_SYMPTOMS, full_panel


def test_a_lab_panel_is_stored_one_row_per_analyte_and_audited(
    nurse: Any, patient: Any, today: Any
) -> None:
    rows = services.record_lab_panel(nurse, patient, collected_on=today, values=full_panel(alt=130))
    assert len(rows) == 4
    alt = next(r for r in rows if r.analyte == "alt")
    assert lab_flag(alt, rules_of_patient(patient)).value == "marked"
    events = AccessEvent.objects.filter(object_type="safety.LabResult", action="create")
    assert events.count() == 4
    assert {e.detail["flag"] for e in events} == {"marked", "normal"}


@pytest.mark.parametrize(
    "bad",
    [
        [{"analyte": "alt", "value": 10, "unit": "mg/dL", "ref_high": 40}],
        [{"analyte": "alt", "value": -3, "unit": "U/L", "ref_high": 40}],
        [{"analyte": "sodium", "value": 140, "unit": "mmol/L", "ref_high": 145}],
        [{"analyte": "alt", "value": 10, "unit": "U/L", "ref_high": None}],
        [],
    ],
)
def test_impossible_lab_values_are_refused(nurse: Any, patient: Any, today: Any, bad: Any) -> None:
    with pytest.raises(ValidationError):
        services.record_lab_panel(nurse, patient, collected_on=today, values=bad)
    assert not LabResult.objects.exists()


def test_results_cannot_be_dated_in_the_future(nurse: Any, patient: Any, today: Any) -> None:
    with pytest.raises(ValidationError):
        services.record_luts_screen(
            nurse, patient, screened_on=today + timedelta(days=1), answers=NO_SYMPTOMS
        )


def test_an_incomplete_luts_screen_is_refused(nurse: Any, patient: Any, today: Any) -> None:
    with pytest.raises(ValidationError):
        services.record_luts_screen(nurse, patient, screened_on=today, answers={"urgency": True})


def test_a_review_records_the_reviewer_and_a_concern_needs_notes(
    prescriber: Any, patient: Any, today: Any
) -> None:
    with pytest.raises(ValidationError):
        services.record_review(
            prescriber, patient, kind="substance_use", reviewed_on=today, outcome="concern_refer"
        )
    review = services.record_review(
        prescriber,
        patient,
        kind="substance_use",
        reviewed_on=today,
        outcome="concern_refer",
        notes="Asked for extra sessions; PDMP shows other prescribers.",
    )
    assert review.reviewer == prescriber and review.is_concern


def test_an_amendment_needs_a_reason_and_keeps_the_old_value_in_history(
    nurse: Any, patient: Any, today: Any
) -> None:
    alt = services.record_lab_panel(nurse, patient, collected_on=today, values=full_panel())[0]
    with pytest.raises(ValidationError):
        services.amend(nurse, alt, {"value": 35.0}, "  ")
    services.amend(nurse, alt, {"value": 35.0}, "Transcription error")
    alt.refresh_from_db()
    assert alt.value == 35.0
    versions = list(alt.history.order_by("-history_date"))
    assert versions[0].history_change_reason == "Transcription error"
    assert versions[1].value == 30.0
    assert AccessEvent.objects.filter(action="amend", object_id=str(alt.pk)).exists()


def test_an_amendment_is_checked_by_the_core_too(nurse: Any, patient: Any, today: Any) -> None:
    alt = services.record_lab_panel(nurse, patient, collected_on=today, values=full_panel())[0]
    with pytest.raises(ValidationError):
        services.amend(nurse, alt, {"unit": "mg/dL"}, "Lab changed units")


def test_records_are_never_deleted(nurse: Any, patient: Any, today: Any) -> None:
    from ketaflow.audit.history import RecordDeletionError

    alt = services.record_lab_panel(nurse, patient, collected_on=today, values=full_panel())[0]
    with pytest.raises(RecordDeletionError):
        alt.delete()


def test_roles_without_edit_clinical_cannot_record(
    front_desk: Any, researcher: Any, clinic_admin: Any, patient: Any, today: Any
) -> None:
    for actor in (front_desk, researcher, clinic_admin):
        with pytest.raises(PermissionDenied):
            services.record_luts_screen(actor, patient, screened_on=today, answers=NO_SYMPTOMS)


def test_another_clinics_patient_cannot_be_written(outsider: Any, patient: Any, today: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.record_luts_screen(outsider, patient, screened_on=today, answers=NO_SYMPTOMS)
