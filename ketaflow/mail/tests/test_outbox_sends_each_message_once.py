"""The outbox: written with the event, sent once, retried with back-off, failures shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.mail import selectors, services
from ketaflow.mail.models import OutboxMessage, OutboxStatus
from ketaflow.mail.services import MAX_ATTEMPTS, deliver, queue_message, send_outbox

pytestmark = pytest.mark.django_db
REFUSING = "ketaflow.mail.tests.backends.RefusingBackend"


def _queue(clinic: Any, key: str = "test:1", **extra: Any) -> OutboxMessage:
    with TestCase.captureOnCommitCallbacks(execute=True):
        message = queue_message(
            clinic_id=clinic.pk,
            key=key,
            kind="test",
            subject="Hello",
            body=extra.pop("body", "A body"),
            recipients=["b@example.org", "a@example.org", "a@example.org"],
            now=timezone.now(),
            **extra,
        )
    assert message is not None
    message.refresh_from_db()
    return message


def test_a_queued_message_is_sent_after_commit_and_only_once(clinic: Any) -> None:
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=False) as pending:
        queue_message(
            clinic_id=clinic.pk,
            key="test:1",
            kind="test",
            subject="Hello",
            body="A body",
            recipients=["a@example.org"],
            now=timezone.now(),
        )
    assert mail.outbox == []  # nothing goes before the commit
    for callback in pending:
        callback()
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    assert send_outbox.call(message.pk) == OutboxStatus.SENT  # the job runs again...
    assert deliver(message.pk, timezone.now()) == OutboxStatus.SENT
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@example.org"]  # ...sent once
    assert OutboxMessage.objects.get().attempts == 1


def test_one_logical_message_is_queued_once(clinic: Any) -> None:
    _queue(clinic)
    again = queue_message(
        clinic_id=clinic.pk,
        key="test:1",
        kind="test",
        subject="Hello again",
        body="",
        recipients=["a@example.org"],
        now=timezone.now(),
    )
    assert again is None and OutboxMessage.objects.count() == 1


def test_a_refused_message_is_retried_with_back_off_then_marked_failed(
    clinic: Any, clinic_admin: Any, settings: Any, clock: Any
) -> None:
    settings.EMAIL_BACKEND = REFUSING
    message = _queue(clinic)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, attempt)
        assert "SMTPServerDisconnected" in message.last_error
        waits.append(message.next_attempt_at - timezone.now())
        assert deliver(message.pk, timezone.now()) == OutboxStatus.PENDING  # not due yet
        clock(message.next_attempt_at)
        send_outbox.call(message.pk)
        message.refresh_from_db()
    assert [round(w / timedelta(minutes=1)) for w in waits] == [1, 2, 4, 8]
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)
    assert list(selectors.failed_messages(clinic_admin)) == [message]
    assert selectors.failed_count(clinic_admin) == 1
    # The admin fixes the mail server and sends it again.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.retry_failed(clinic_admin, message, timezone.now())
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and len(mail.outbox) == 1
    assert AccessEvent.objects.filter(object_type="mail.OutboxMessage", action="update").exists()


def test_only_the_clinics_admins_see_its_failed_emails(
    clinic: Any, nurse: Any, clinic_admin: Any, outsider: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = REFUSING
    message = _queue(clinic)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED)
    with pytest.raises(PermissionDenied):
        selectors.failed_messages(nurse)
    with pytest.raises(PermissionDenied):
        services.retry_failed(outsider, message, timezone.now())
    assert selectors.failed_count(nurse) == 0
    assert list(selectors.failed_messages(clinic_admin)) == [message]


def test_a_patients_link_is_not_kept_once_sent(clinic: Any) -> None:
    message = _queue(clinic, body="Your link: https://x/p/q/SECRET/", secret=True)
    assert message.status == OutboxStatus.SENT
    assert "SECRET" not in message.body and "SECRET" in mail.outbox[-1].body


def test_recovery_queues_again_a_message_a_dead_worker_held_and_one_whose_task_was_lost(
    clinic: Any, settings: Any, clock: Any
) -> None:
    settings.EMAIL_BACKEND = REFUSING
    held = _queue(clinic, key="test:held")
    lost = _queue(clinic, key="test:lost")
    now = timezone.now()
    OutboxMessage.objects.filter(pk=held.pk).update(
        status=OutboxStatus.SENDING, lease_until=now + services.LEASE
    )
    OutboxMessage.objects.filter(pk=lost.pk).update(next_attempt_at=now)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.recover_outbox(now) == 0  # the lease holds; the lost one is just due
    clock(now + services.LEASE + timedelta(seconds=1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.recover_outbox() == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert len(mail.outbox) == 2


def test_a_message_that_kept_killing_its_worker_ends_failed(clinic: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = REFUSING
    message = _queue(clinic)
    past = timezone.now() - timedelta(hours=1)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.SENDING, attempts=MAX_ATTEMPTS, lease_until=past
    )
    services.recover_outbox()
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and "stopped while sending" in message.last_error
