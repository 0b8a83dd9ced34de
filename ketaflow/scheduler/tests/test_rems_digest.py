"""The daily REMS digest: forms due, emailed to charting staff as a count and a link."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from ketaflow.audit.models import AccessEvent
from ketaflow.mail.models import OutboxMessage, OutboxStatus
from ketaflow.scheduler.jobs import email_rems_forms_due
from ketaflow.treatments.tests.conftest import chair, gates_open, protocols  # noqa: F401
from ketaflow.treatments.tests.test_rems_world import (
    esketamine_checked_in,
    esketamine_course,
    esketamine_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails(nurse: Any, prescriber: Any, front_desk: Any, outsider: Any) -> list[str]:
    """Everyone has an address; only the clinic's clinical staff should be written to."""
    for user, address in (
        (nurse, "nina@riverside.example"),
        (prescriber, "paul@riverside.example"),
        (front_desk, "fiona@riverside.example"),
        (outsider, "oscar@hillside.example"),
    ):
        user.email = address
        user.save()
    return ["nina@riverside.example", "paul@riverside.example"]


def test_the_rems_digest_counts_the_forms_due_for_charting_staff_without_names(
    gates_open: None,  # noqa: F811
    nurse: Any,
    prescriber: Any,
    patient: Any,
    protocols: Any,  # noqa: F811
    chair: Any,  # noqa: F811
    clinic: Any,
    emails: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    checked_in = esketamine_checked_in(
        nurse, esketamine_course(prescriber, patient, protocols), chair, prescriber
    )
    esketamine_session(nurse, prescriber, checked_in)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        assert email_rems_forms_due.call(clinic.pk) == {"due": 1, "overdue": 0, "emailed": 2}
    queued = OutboxMessage.objects.get()
    assert (queued.key, queued.kind, queued.clinic_id, queued.status) == (
        f"rems-forms-due:{clinic.pk}:2026-11-25",  # the clinic's day (London)
        "rems-forms-due",
        clinic.pk,
        OutboxStatus.SENT,
    )
    (email,) = mail.outbox
    assert sorted(email.to) == emails
    assert email.subject == "Riverside Clinic: REMS forms to submit"
    assert "1 REMS monitoring form to submit, 0 overdue" in email.body
    assert f"{settings.KETAFLOW_PUBLIC_URL}{reverse('treatments:rems_due')}\n" in email.body
    assert patient.family_name not in email.body and patient.given_name not in email.body
    listed = AccessEvent.objects.get(actor_label="scheduler: rems-forms-due", action="list")
    assert listed.detail == {"part": "rems_forms_due", "patient_ids": [patient.pk]}
    assert listed.actor_id is None and listed.channel == "system"


def test_no_rems_form_due_sends_no_email(
    clinic: Any, emails: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert email_rems_forms_due.call(clinic.pk) == {"due": 0, "overdue": 0, "emailed": 0}
    assert mail.outbox == [] and not OutboxMessage.objects.exists()
