"""Refused access is audited: found by an attacker, 12,400 refused requests left 0 events."""

from __future__ import annotations

from django.urls import reverse

from ketaflow.audit import denied
from ketaflow.audit.models import AccessEvent, Action


def denials(user):
    return AccessEvent.objects.filter(actor=user, action=Action.DENIED)


def test_another_clinics_patient_page_is_not_found_and_audited_as_denied(
    client, login, outsider, patient
):
    login(client, outsider)
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 404
    [event] = denials(outsider)
    assert event.detail["status"] == 404
    assert event.detail["asked_for"] == {"pk": str(patient.pk)}
    assert event.patient_id is None  # the record is named in the detail, never linked
    assert event.clinic_id == outsider.clinic_id
    assert event.request_id and event.ip_address == "127.0.0.1"


def test_a_role_refused_by_the_api_is_audited_as_denied(client, login, front_desk, patient):
    login(client, front_desk)
    response = client.get(f"/api/v1/patients/{patient.pk}/chart")
    assert response.status_code == 403
    [event] = denials(front_desk)
    assert event.detail["status"] == 403
    assert event.detail["asked_for"] == {"patient_id": str(patient.pk)}


def test_pages_that_name_no_record_are_not_audited_as_denied(client, login, front_desk):
    login(client, front_desk)
    client.get("/no/such/page/")
    assert not denials(front_desk).exists()


def test_allowed_reads_are_not_denials(client, login, nurse, patient):
    login(client, nurse)
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    assert not denials(nurse).exists()


def test_a_probing_loop_cannot_flood_the_log(client, login, outsider, patient):
    login(client, outsider)
    for pk in range(patient.pk, patient.pk + denied.LIMIT_PER_WINDOW + 20):
        client.get(reverse("patients:detail", args=[pk]))
    events = denials(outsider).order_by("pk")
    assert events.count() == denied.LIMIT_PER_WINDOW
    assert "not recorded" in events.last().detail["note"]


def test_after_the_window_denials_are_recorded_again(client, login, outsider, patient, clock):
    from datetime import timedelta

    from django.utils import timezone

    login(client, outsider)
    start = timezone.now()
    for _ in range(denied.LIMIT_PER_WINDOW + 1):
        client.get(reverse("patients:detail", args=[patient.pk]))
    clock(start + denied.WINDOW + timedelta(minutes=1))
    client.get(reverse("patients:detail", args=[patient.pk]))
    assert denials(outsider).count() == denied.LIMIT_PER_WINDOW + 1


def test_the_clinic_admin_sees_denials_in_the_audit_log(
    client, login, outsider, patient, other_clinic
):
    from ketaflow.accounts.models import User

    login(client, outsider)
    client.get(reverse("patients:detail", args=[patient.pk]))
    admin = User.objects.create_user(
        "hilda.admin", password="x" * 20, clinic=other_clinic, role="clinic_admin"
    )
    login(client, admin)
    page = client.get(reverse("audit:log"), {"action": "denied"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Access denied" in body and "oscar.outsider" in body
