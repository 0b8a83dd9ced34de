"""The audit log over the API, and the API's own reads and writes landing in it."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import record_event
from ketaflow.auditlog.selectors import events_for, patient_access_log
from ketaflow.lib.tests.api_client import (
    VALID_ENTRY,
    call,
)
from ketaflow.patients.selectors import get_patient


def test_api_reads_and_writes_are_recorded_with_the_api_channel(client, login, nurse, patient):
    login(client, nurse)
    call(client, "GET", f"/patients/{patient.pk}")
    call(client, "POST", f"/patients/{patient.pk}/allergies", VALID_ENTRY["allergies"])
    view = AccessEvent.objects.get(actor=nurse, action="view", patient=patient)
    create = AccessEvent.objects.get(actor=nurse, action="create")
    for event in (view, create):
        assert event.channel == "api"
        assert event.path.startswith("/api/v1/patients/")
        assert event.request_id
    assert create.object_type == "patients.Allergy"
    assert create.patient_id == patient.pk


def test_token_requests_are_recorded_as_the_tokens_user(client, nurse, patient):
    from ketaflow.accounts.services import issue_api_token

    _token, raw = issue_api_token(nurse, "script")
    call(client, "GET", f"/patients/{patient.pk}/chart", token=raw)
    event = AccessEvent.objects.get(action="view", patient=patient)
    assert (event.actor, event.channel, event.detail) == (nurse, "api", {"part": "chart"})


@pytest.fixture
def as_admin(client, login, clinic_admin):
    return login(client, clinic_admin)


def test_events_can_be_filtered_by_patient_actor_and_action(as_admin, nurse, front_desk, patient):
    get_patient(nurse, patient.pk)
    get_patient(front_desk, patient.pk)
    record_event(actor=nurse, action="search", detail={"query": "x"})
    query = f"/audit/events?patient={patient.pk}&actor={nurse.pk}&action=view"
    body = call(as_admin, "GET", query).json()
    assert body["count"] == 1
    assert body["items"][0]["actor_label"] == "nina.nurse (nurse)"


def test_events_can_be_filtered_by_time(as_admin, nurse, patient):
    get_patient(nurse, patient.pk)
    soon = (timezone.now() + timedelta(minutes=1)).isoformat()
    earlier = (timezone.now() - timedelta(minutes=1)).isoformat()
    assert call(as_admin, "GET", "/audit/events").json()["count"] >= 1
    later = call(as_admin, "GET", f"/audit/events?since={quote(soon)}").json()
    assert later["count"] == 0
    window = call(as_admin, "GET", f"/audit/events?since={quote(earlier)}&until={quote(soon)}")
    assert window.json()["count"] >= 1


def test_events_are_paged(as_admin, nurse, patient):
    for _ in range(5):
        get_patient(nurse, patient.pk)
    page = call(as_admin, "GET", f"/audit/events?patient={patient.pk}&limit=2&offset=1").json()
    assert page["count"] == 5
    assert len(page["items"]) == 2
    assert (page["limit"], page["offset"]) == (2, 1)


def test_another_clinics_events_are_never_shown(as_admin, outsider, outsider_patient):
    get_patient(outsider, outsider_patient.pk)
    body = call(as_admin, "GET", "/audit/events").json()
    assert all(e["actor_label"] != "oscar.outsider (prescriber)" for e in body["items"])
    query = f"/audit/events?patient={outsider_patient.pk}"
    assert call(as_admin, "GET", query).json()["count"] == 0


def test_reading_the_audit_log_is_itself_recorded(as_admin, clinic_admin):
    call(as_admin, "GET", "/audit/events?action=view")
    event = AccessEvent.objects.get(actor=clinic_admin, action="list")
    assert event.detail == {"part": "audit_log", "filters": {"action": "view"}}
    assert event.channel == "api"


def test_the_access_log_shows_who_looked_at_a_patient(as_admin, nurse, prescriber, patient):
    get_patient(nurse, patient.pk)
    get_patient(prescriber, patient.pk)
    body = call(as_admin, "GET", f"/audit/patients/{patient.pk}/access-log").json()
    assert {e["actor_label"] for e in body["items"]} == {
        "nina.nurse (nurse)",
        "paul.prescriber (prescriber)",
    }


def test_another_clinics_patients_access_log_is_not_found(as_admin, outsider_patient):
    path = f"/audit/patients/{outsider_patient.pk}/access-log"
    assert call(as_admin, "GET", path).status_code == 404


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "researcher"])
def test_the_selectors_refuse_roles_without_view_audit(personas, patient, persona):
    with pytest.raises(PermissionDenied):
        events_for(personas[persona])
    with pytest.raises(PermissionDenied):
        patient_access_log(personas[persona], patient.pk)


def test_the_access_log_selector_refuses_another_clinics_patient(clinic_admin, outsider_patient):
    with pytest.raises(Http404):
        patient_access_log(clinic_admin, outsider_patient.pk)
