"""The daily safety digest: checks needing action, emailed to clinical staff as counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from ketaflow.audit.models import AccessEvent
from ketaflow.mail.models import OutboxMessage, OutboxStatus
from ketaflow.safety.tests.conftest import chair, course, held, today  # noqa: F401  (fixtures)
from ketaflow.scheduler.jobs import email_rems_forms_due, email_safety_checks_due

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


def test_the_safety_digest_counts_checks_needing_action_for_clinical_staff(
    held: Any,  # noqa: F811
    today: Any,  # noqa: F811
    patient: Any,
    clinic: Any,
    emails: list[str],
    outsider_patient: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    held(today - timedelta(days=50))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        result = email_safety_checks_due.call(clinic.pk)
    assert result["patients"] == 1 and result["overdue"] >= 1 and result["emailed"] == 2
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    (email,) = mail.outbox
    assert sorted(email.to) == emails
    assert email.subject == "Riverside Clinic: long-term safety checks due"
    assert (
        f"{result['checks']} long-term safety check" in email.body and "(1 patient;" in email.body
    )
    assert f"{settings.KETAFLOW_PUBLIC_URL}{reverse('safety:due')}\n" in email.body
    assert patient.family_name not in email.body
    listed = AccessEvent.objects.get(actor_label="scheduler: safety-checks-due", action="list")
    assert listed.detail["patient_ids"] == [patient.pk]


def test_another_clinics_digest_lists_none_of_this_clinics_patients(
    held: Any,  # noqa: F811
    today: Any,  # noqa: F811
    other_clinic: Any,
    emails: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    held(today - timedelta(days=50))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert email_safety_checks_due.call(other_clinic.pk)["checks"] == 0
        assert email_rems_forms_due.call(other_clinic.pk)["due"] == 0
    assert mail.outbox == [] and not OutboxMessage.objects.exists()


def test_the_digest_is_queued_once_per_clinic_and_day(
    held: Any,  # noqa: F811
    today: Any,  # noqa: F811
    clinic: Any,
    emails: list[str],
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A job run twice the same day (a retried task, a period run again) emails once; the
    next day's run is a new digest. The day is the clinic's: its key says which."""
    held(today - timedelta(days=50))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert email_safety_checks_due.call(clinic.pk)["emailed"] == 2
        assert email_safety_checks_due.call(clinic.pk)["emailed"] == 0  # already queued today
    assert list(OutboxMessage.objects.values_list("key", flat=True)) == [
        f"safety-checks-due:{clinic.pk}:2026-11-25"
    ]
    assert len(mail.outbox) == 1
    audited = AccessEvent.objects.filter(
        actor_label="scheduler: safety-checks-due", action="export"
    )
    assert [e.detail["emailed"] for e in audited.order_by("pk")] == [2, 0]

    clock(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))  # the next morning in London
    with django_capture_on_commit_callbacks(execute=True):
        assert email_safety_checks_due.call(clinic.pk)["emailed"] == 2
    assert sorted(OutboxMessage.objects.values_list("key", flat=True)) == [
        f"safety-checks-due:{clinic.pk}:2026-11-25",
        f"safety-checks-due:{clinic.pk}:2026-11-26",
    ]
    assert len(mail.outbox) == 2 and sorted(mail.outbox[1].to) == emails
