"""The Django admin: platform operators only; the audit log and the charts read-only there."""

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from ketaflow.accounts.models import ApiToken, Clinic, User
from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import record_event
from ketaflow.patients.models import (
    Allergy,
    Diagnosis,
    HistoryItem,
    Measurement,
    Medication,
    Patient,
    PregnancyRecord,
    PriorTreatment,
)

CHART_MODELS = [
    Patient,
    Diagnosis,
    HistoryItem,
    Medication,
    PriorTreatment,
    Allergy,
    Measurement,
    PregnancyRecord,
]


@pytest.fixture
def operator(db, login, client):
    """A superuser (platform operator); two-factor is passed as a real sign-in would."""
    user = User.objects.create_superuser("olly.operator", "olly@example.org", "x" * 20)
    login(client, user)
    return user


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize(
    "model", [Clinic, User, ApiToken, AccessEvent, *CHART_MODELS], ids=lambda m: m.__name__
)
def test_every_model_is_registered(model):
    assert admin.site.is_registered(model)


def test_clinic_staff_cannot_open_the_admin_even_when_marked_staff(client, login, clinic_admin):
    clinic_admin.is_staff = True
    clinic_admin.save()
    response = login(client, clinic_admin).get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_a_platform_operator_can(client, operator):
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_platform_operator_must_pass_two_factor_first(client, db):
    user = User.objects.create_superuser("sam.super", "sam@example.org", "x" * 20)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("accounts:otp_setup") in response["Location"]


@pytest.mark.parametrize("model", [AccessEvent, *CHART_MODELS], ids=lambda m: m.__name__)
def test_audit_and_chart_models_cannot_be_added_changed_or_deleted(client, operator, model):
    model_admin = admin.site._registry[model]
    request = client.get(reverse("admin:index")).wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)
    assert client.get(admin_url(model, "add")).status_code == 403


def test_the_audit_log_lists_searches_and_filters(client, operator, nurse, patient):
    record_event(actor=nurse, action="view", obj=patient)
    assert client.get(admin_url(AccessEvent, "changelist")).status_code == 200
    response = client.get(admin_url(AccessEvent, "changelist"), {"q": "KF-000001"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    response = client.get(admin_url(AccessEvent, "changelist"), {"action__exact": "view"})
    assert response.status_code == 200


def test_an_audit_event_opens_read_only_and_cannot_be_posted(client, operator, nurse):
    event = record_event(actor=nurse, action="view")
    response = client.get(admin_url(AccessEvent, "change", event.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    client.post(admin_url(AccessEvent, "change", event.pk), {"action": "list"})
    event.refresh_from_db()
    assert event.action == "view"
    assert client.get(admin_url(AccessEvent, "delete", event.pk)).status_code == 403


def test_a_chart_entry_opens_read_only_with_its_history(client, operator, nurse, patient):
    from ketaflow.patients.services import add_entry, amend_entry

    allergy = add_entry(nurse, patient, "allergies", {"substance": "Latex", "severity": "mild"})
    amend_entry(nurse, allergy, {"severity": "moderate"}, "Reaction was worse than noted")
    response = client.get(admin_url(Allergy, "change", allergy.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    history = client.get(admin_url(Allergy, "history", allergy.pk))
    assert history.status_code == 200
    assert "Reaction was worse than noted" in history.content.decode()
    assert client.get(admin_url(Allergy, "delete", allergy.pk)).status_code == 403


@pytest.mark.parametrize(
    "model", [Clinic, User, ApiToken, AccessEvent, *CHART_MODELS], ids=lambda m: m.__name__
)
def test_every_list_opens(client, operator, patient, model):
    assert client.get(admin_url(model, "changelist")).status_code == 200


def test_clinics_and_users_cannot_be_deleted(client, operator, clinic, nurse):
    assert client.get(admin_url(Clinic, "delete", clinic.pk)).status_code == 403
    assert client.get(admin_url(User, "delete", nurse.pk)).status_code == 403


def test_what_an_operator_opens_is_audited_under_the_patients_clinic(client, operator, patient):
    client.get(admin_url(Patient, "change", patient.pk))
    event = AccessEvent.objects.get(actor=operator, action="view")
    assert event.patient_id == patient.pk
    assert event.clinic_id == patient.clinic_id
    assert event.detail == {"part": "admin"}


def test_a_chart_entry_view_is_audited_under_the_patients_clinic(client, operator, patient):
    dx = Diagnosis.objects.create(patient=patient, code="F41.1", onset=date(2020, 1, 1))
    client.get(admin_url(Diagnosis, "change", dx.pk))
    event = AccessEvent.objects.get(actor=operator, action="view")
    assert (event.patient_id, event.clinic_id) == (patient.pk, patient.clinic_id)


def test_an_operator_reading_the_audit_log_in_the_admin_is_audited(client, operator):
    client.get(admin_url(AccessEvent, "changelist"))
    event = AccessEvent.objects.get(actor=operator, action="list")
    assert event.detail == {"part": "admin", "model": "audit.AccessEvent"}
