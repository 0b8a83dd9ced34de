"""`ketaflow send-questionnaire-reminders`: idempotent, recorded, skips patients without email."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase

from ketaflow.audit.models import AccessEvent
from ketaflow.mail.models import OutboxMessage, OutboxStatus
from ketaflow.mail.services import send_outbox
from ketaflow.portal.models import LinkOrigin, PortalLink, Reminder, ReminderOutcome

pytestmark = pytest.mark.django_db


def _run() -> str:
    """The command; its emails, queued in the outbox, are sent once its writes commit."""
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command(
            "send-questionnaire-reminders", "--base-url", "https://clinic.example", stdout=out
        )
    return out.getvalue()


@pytest.fixture
def due_course(patient: Any, course: Any, give_session: Any, today: Any) -> Any:
    give_session(course, today - timedelta(days=1))
    patient.email = "jane@example.org"
    patient.save()
    return course


def test_a_patient_with_forms_due_gets_one_email_with_a_fresh_link(due_course: Any) -> None:
    mail.outbox.clear()
    assert "Emails queued: 1 (2 forms)" in _run()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["jane@example.org"]
    assert "GAD-7 and PHQ-9" in email.body
    link = PortalLink.objects.get()
    assert link.origin == LinkOrigin.REMINDER and link.created_by is None
    assert "https://clinic.example/p/q/" in email.body
    token = email.body.split("https://clinic.example/p/q/")[1].split("/")[0]
    assert PortalLink.hash(token) == link.digest
    sent = Reminder.objects.filter(outcome=ReminderOutcome.SENT)
    assert sorted(sent.values_list("instrument", flat=True)) == ["gad7", "phq9"]
    assert AccessEvent.objects.filter(channel="cli", object_type="portal.PortalLink").exists()


def test_running_again_never_sends_the_same_reminder_twice(due_course: Any) -> None:
    _run()
    mail.outbox.clear()
    assert "Emails queued: 0" in _run()
    assert "Emails queued: 0" in _run()
    assert mail.outbox == []
    assert Reminder.objects.count() == 2


def test_a_patient_without_email_is_skipped_with_a_reason_once_then_reminded(
    due_course: Any, patient: Any
) -> None:
    patient.email = ""
    patient.save()
    mail.outbox.clear()
    assert "skipped without an email address: 2" in _run()
    assert "skipped without an email address: 0" in _run()
    skipped = Reminder.objects.filter(outcome=ReminderOutcome.SKIPPED)
    assert skipped.count() == 2
    assert set(skipped.values_list("reason", flat=True)) == {
        "The patient has no email address on record."
    }
    assert mail.outbox == []
    patient.email = "jane@example.org"
    patient.save()
    assert "Emails queued: 1" in _run()
    assert len(mail.outbox) == 1


def test_nothing_due_sends_nothing(patient: Any, course: Any) -> None:
    patient.email = "jane@example.org"
    patient.save()
    mail.outbox.clear()
    assert "Emails queued: 0" in _run()
    assert mail.outbox == [] and Reminder.objects.count() == 0


def test_a_failed_email_keeps_the_reminder_and_is_retried_by_the_outbox(
    due_course: Any, settings: Any, clock: Any
) -> None:
    settings.EMAIL_BACKEND = "ketaflow.portal.tests.test_risk_alerts.BrokenBackend"
    assert "Emails queued: 1" in _run()
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "SMTP down" in message.last_error
    assert Reminder.objects.filter(outcome=ReminderOutcome.SENT).count() == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "Emails queued: 0" in _run()  # the next run does not remind again...
    clock(message.next_attempt_at)
    mail.outbox.clear()
    assert send_outbox.call(message.pk) == OutboxStatus.SENT  # ...the outbox retries it
    assert len(mail.outbox) == 1 and "https://clinic.example/p/q/" in mail.outbox[0].body
    message.refresh_from_db()
    assert "/p/q/" not in message.body  # the secret link is not kept once sent
