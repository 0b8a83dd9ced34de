"""The patient's own access report names the clinician who broke the glass: name, role, their
clinic, when, and that it was emergency access."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaflow.emergency import selectors, services
from ketaflow.portal.services import issue_link

pytestmark = pytest.mark.django_db


def test_emergency_access_is_listed_with_the_clinicians_clinic(
    clinic: Any, sister_clinic: Any, sister_nurse: Any, nurse: Any, patient: Any
) -> None:
    grant = services.request_grant(
        sister_nurse,
        clinic_id=clinic.pk,
        date_of_birth=patient.date_of_birth,
        mrn=patient.mrn,
        kind="acute",
        reason="Collapsed at our clinic, needs her medication list now",
        now=timezone.now(),
    )
    selectors.emergency_view(sister_nurse, grant.pk, timezone.now())
    issued = issue_link(nurse, patient, base_url="https://k.test", instruments=("gad7",))
    body = Client().get(f"/p/q/{issued.token}/who-saw-my-record/").content.decode()
    row = body.split("Lara Lake, RN")[1].split("</tr>")[0]
    assert "Nurse" in row and "Lakeside Clinic" in row and "Emergency access" in row
    assert body.count("Emergency access") == 2  # breaking the glass, and the view under it
