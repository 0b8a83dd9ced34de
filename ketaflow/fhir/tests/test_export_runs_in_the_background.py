"""The export really runs in a background thread once its job row is committed."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ketaflow.fhir import services
from ketaflow.fhir.models import JobStatus


@pytest.mark.django_db(transaction=True)
def test_a_started_export_finishes_in_a_thread(
    settings: Any, patient: Any, clinic_admin: Any
) -> None:
    settings.KETAFLOW_FHIR_EXPORT_INLINE = False
    job = services.start_export(clinic_admin, "fhir_ndjson")
    worker = next(t for t in threading.enumerate() if t.name == f"fhir-export-{job.pk}")
    worker.join(timeout=120)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert (job.done, job.total) == (1, 1) and job.file_size > 0


@pytest.mark.django_db
def test_the_openapi_schema_lists_the_fhir_routes(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/fhir/Patient/{patient_id}/$everything" in paths
    assert "/api/v1/fhir/QuestionnaireResponse" in paths
    assert "/api/v1/fhir/{resource_type}/{resource_id}" in paths
