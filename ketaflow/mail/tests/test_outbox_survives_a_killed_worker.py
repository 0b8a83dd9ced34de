"""kill -9 of the worker while it holds a message: sent later by a new worker, exactly once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone

from ketaflow.lib.tests.worker_process import WorkerDatabase, worker_settings
from ketaflow.mail.models import OutboxMessage, OutboxStatus
from ketaflow.mail.services import queue_message


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_message_held_by_a_killed_worker_is_sent_once_by_the_next(
    tmp_path: Path, clinic: Any
) -> None:
    with worker_settings(), TestCase.captureOnCommitCallbacks(execute=True):
        message = queue_message(
            clinic_id=clinic.pk,
            key="test:kill",
            kind="test",
            subject="Hello",
            body="A body",
            recipients=["a@example.org"],
            now=timezone.now(),
        )
    assert message is not None
    marker = tmp_path / "sending"
    outbox = tmp_path / "sent-mail"
    worker = WorkerDatabase(
        tmp_path,
        env_extra={
            "EMAIL_BACKEND": "ketaflow.mail.tests.backends.HangingBackend",
            "KETAFLOW_TEST_SENDING_MARKER": str(marker),
        },
    )
    process = worker.start("--no-recover")
    worker.kill_when(process, marker.exists)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENDING, 1)
    assert message.lease_until is not None
    # Time passes: the dead worker's lease runs out.
    OutboxMessage.objects.filter(pk=message.pk).update(
        lease_until=message.lease_until - timedelta(hours=1)
    )
    worker.env_extra = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(outbox),
    }
    worker.run()  # its start-up recovery queues the message again
    worker.run()  # and a second pass finds nothing more to send
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)
    (sent,) = outbox.iterdir()  # handed to the mail server exactly once
    assert "Subject: Hello" in sent.read_text()
