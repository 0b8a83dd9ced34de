"""Recorded home doses join the misuse windows, the long-term safety schedule and the FHIR
export (a MedicationStatement whose information source is the patient)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.homediary import services
from ketaflow.homediary.services import DiaryInput
from ketaflow.portal.models import PortalLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_doses(issue: Any, patient: Any, supply: Any) -> list[Any]:
    link = PortalLink.objects.get(pk=issue(patient).link.pk)
    now = timezone.now()
    return [
        services.record_entry(
            link, DiaryInput(taken_at=now - timedelta(days=d), dose_mg=50), now=now
        ).entry
        for d in (4, 2)
    ]


def test_the_outcome_page_totals_supervised_and_home_mg_apart(
    nurse: Any, patient: Any, two_doses: list[Any]
) -> None:
    from ketaflow.outcomes.selectors import patient_outcome

    misuse = patient_outcome(nurse, patient.pk).misuse
    w30 = misuse.windows[0]
    assert (w30.mg, w30.home_mg, w30.supervised_mg, w30.home_doses) == (100, 100, 0, 2)
    assert misuse.home_mg == 100 and misuse.total_mg == 100


def test_the_long_term_schedule_counts_home_dose_days(
    course: Any, patient: Any, two_doses: list[Any], today: Any
) -> None:
    from ketaflow.safety.derive import course_history

    history = course_history(course)
    assert history.home_dose_dates == (today - timedelta(days=4), today - timedelta(days=2))
    assert history.repeated_dosing
    assert history.first_dose_on == today - timedelta(days=4)


def test_fhir_exports_each_home_dose_as_a_patient_reported_statement(
    nurse: Any, patient: Any, two_doses: list[Any]
) -> None:
    from ketaflow.fhir.selectors import read

    data = read(nurse, "MedicationStatement", f"hdd-{two_doses[0].pk}", timezone.now())
    assert data["status"] == "completed"
    assert data["informationSource"]["reference"] == f"Patient/pat-{patient.pk}"
    assert data["subject"]["reference"] == f"Patient/pat-{patient.pk}"
    assert data["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 50
    assert data["contained"][0]["batch"]["lotNumber"] == "LOT-42"
    assert "Patient-reported" in data["note"][0]["text"]
