"""`ketaflow fhir audit-events`: a clinic's audit trail as FHIR AuditEvents (IHE BALP), one
per line, validated by fhir.resources; other clinics' rows never in it; the export audited."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import record_event
from ketaflow.fhir.resources_common import build, patient_ref

pytestmark = pytest.mark.django_db


def test_the_trail_of_one_clinic_becomes_valid_audit_events(
    tmp_path: Path, clinic: Any, nurse: Any, patient: Any, outsider: Any, outsider_patient: Any
) -> None:
    record_event(actor=nurse, action="view", obj=patient)
    record_event(actor=nurse, action="update", obj=patient, detail={"field": "phone"})
    record_event(actor=outsider, action="view", obj=outsider_patient)
    mine = AccessEvent.objects.filter(clinic=clinic).count()
    today = timezone.localdate()
    out = tmp_path / "trail.ndjson"
    call_command(
        "fhir", "audit-events", "--clinic", clinic.slug, "--since", str(today),
        "--until", str(today + timedelta(days=1)), "--output", str(out), stdout=StringIO(),
    )  # fmt: skip
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == mine
    for data in lines:
        assert build(data).get_resource_type() == "AuditEvent"
    text = out.read_text()
    assert f'"{patient_ref(patient.pk)["reference"]}"' in text
    assert f'"{patient_ref(outsider_patient.pk)["reference"]}"' not in text
    assert AccessEvent.objects.filter(
        clinic=clinic, action="export", detail__part="audit trail as FHIR AuditEvent"
    ).exists()


def test_an_empty_range_is_refused(tmp_path: Path, clinic: Any) -> None:
    with pytest.raises(CommandError):
        call_command(
            "fhir", "audit-events", "--clinic", clinic.slug, "--since", "2026-12-02",
            "--until", "2026-12-01", "--output", str(tmp_path / "x.ndjson"),
        )  # fmt: skip
