"""The whole path: a designated nurse of Lakeside finds Riverside's patient by exact identifiers,
reads the read-only emergency view (audited, marked emergency), both clinics' admins are told
at once (worklist and email) and review it, and the patient sees it in "who saw my record"."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import TestCase

from ketaflow.audit.models import AccessEvent, Action
from ketaflow.emergency.models import EmergencyGrant, GrantReview
from ketaflow.emergency.tests.conftest import post_break_glass
from ketaflow.mail.models import OutboxMessage
from ketaflow.patients.codes import DiagnosisCode
from ketaflow.patients.services import add_entry
from ketaflow.questionnaires.services import record_response
from ketaflow.treatments.tests.conftest import ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def chart(patient: Any, nurse: Any, prescriber: Any, observing: Any) -> Any:
    """Jane Doe: penicillin allergy, sertraline, a diagnosis, a PHQ-9 with item 9 answered
    (an open risk alert), and today's IV session (35 mg given)."""
    add_entry(nurse, patient, "allergies", {"substance": "Penicillin", "severity": "severe"})
    add_entry(nurse, patient, "medications", {"name": "Sertraline", "dose": "100 mg daily"})
    add_entry(prescriber, patient, "diagnoses", {"code": DiagnosisCode.values[0]})
    record_response(
        nurse,
        patient,
        "phq9",
        answers=[1, 1, 1, 1, 1, 1, 1, 1, 2],
        context="pre_session",
        administered_at=ago(200),
        rater="self",
    )
    return observing


def test_the_whole_path(
    clinic: Any,
    sister_clinic: Any,
    sister_nurse: Any,
    sister_admin: Any,
    clinic_admin: Any,
    admin_email: Any,
    patient: Any,
    chart: Any,
    signed_in: Any,
) -> None:
    nurse = signed_in(sister_nurse)
    form = nurse.get("/emergency/").content.decode()
    assert "Riverside Clinic" in form and "Break the glass" in form
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_break_glass(nurse, clinic)
    grant = EmergencyGrant.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/emergency/{grant.pk}/"
    assert (grant.user, grant.patient, grant.patient_clinic) == (sister_nurse, patient, clinic)
    assert (grant.expires_at - grant.granted_at).total_seconds() == 60 * 60

    # The emergency view: read-only summary under a red banner with the time left.
    page = nurse.get(f"/emergency/{grant.pk}/").content.decode()
    assert 'class="emergency-banner"' in page and "60 minutes left" in page
    for seen in ("Jane Doe", "KF-000001", "Penicillin", "Sertraline 100 mg daily"):
        assert seen in page
    assert DiagnosisCode.values[0] in page
    assert "given 35.0 mg" in page and "122.0/78.0" in page
    assert "Induction" in page or "Evaluation" in page
    assert "No open risk alert" not in page
    assert 'method="post"' not in page.split("emergency-banner")[-1]  # nothing to submit

    # Audited in the patient's clinic, marked emergency and naming the grant.
    view = AccessEvent.objects.filter(action=Action.VIEW, patient=patient, actor=sister_nurse).get()
    assert view.clinic_id == clinic.pk
    assert view.detail == {"part": "emergency_view", "emergency": True, "grant": grant.pk}
    created = AccessEvent.objects.filter(object_type="emergency.EmergencyGrant")
    assert {e.clinic_id for e in created} == {clinic.pk, sister_clinic.pk}
    assert all(e.detail["reason"] == grant.reason for e in created)

    # Reported at once: one email to each clinic's admins, no patient name in it.
    messages = OutboxMessage.objects.filter(kind="emergency_access")
    assert {(m.clinic_id, tuple(m.recipients)) for m in messages} == {
        (clinic.pk, ("alice@riverside.test",)),
        (sister_clinic.pk, ("luke@lakeside.test",)),
    }
    assert len(mail.outbox) == 2
    assert all("Jane" not in m.body and "Doe" not in m.body for m in mail.outbox)
    assert "Lara Lake, RN" in mail.outbox[0].body and "/emergency/reviews/" in mail.outbox[0].body

    # The worklists: the patient's admin sees the name, the nurse's admin only the clinic.
    riverside = signed_in(clinic_admin)
    home = riverside.get("/").content.decode()
    assert (
        "Emergency access to review" in home
        and "Lara Lake, RN (Lakeside Clinic) read Jane Doe" in home
    )
    lakeside = signed_in(sister_admin)
    home = lakeside.get("/").content.decode()
    assert "read a patient of Riverside Clinic" in home and "Jane Doe" not in home

    # Each admin reviews once; the review is recorded and leaves the worklist.
    assert (
        riverside.post(
            f"/emergency/reviews/{grant.pk}/", {f"g{grant.pk}-outcome": "appropriate"}
        ).status_code
        == 302
    )
    refused = riverside.post(
        f"/emergency/reviews/{grant.pk}/", {f"g{grant.pk}-outcome": "inappropriate"}, follow=True
    )
    assert "already reviewed" in refused.content.decode()
    lakeside.post(f"/emergency/reviews/{grant.pk}/", {f"g{grant.pk}-outcome": "inappropriate"})
    assert GrantReview.objects.filter(grant=grant).count() == 1  # a note is required
    lakeside.post(
        f"/emergency/reviews/{grant.pk}/",
        {f"g{grant.pk}-outcome": "inappropriate", f"g{grant.pk}-note": "Not an emergency: talked."},
    )
    reviews = {r.clinic_id: (r.outcome, r.reviewed_by_id) for r in GrantReview.objects.all()}
    assert reviews == {
        clinic.pk: ("appropriate", clinic_admin.pk),
        sister_clinic.pk: ("inappropriate", sister_admin.pk),
    }
    assert AccessEvent.objects.filter(detail__emergency_review=grant.pk).count() == 2
    assert "No emergency access waits" in riverside.get("/").content.decode()
    page = riverside.get("/emergency/reviews/").content.decode()
    assert "Appropriate" in page and "Not an emergency: talked." in page
