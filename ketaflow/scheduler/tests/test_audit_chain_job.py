"""The audit-chain job: an intact chain is logged and emails no one; a row changed behind
Ketaflow's back is logged as an error and emailed once to the clinic's admins."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core import mail

from ketaflow.audit.services import record_event
from ketaflow.audit.tests.test_hash_chain import _tamper
from ketaflow.mail.models import OutboxMessage, OutboxStatus
from ketaflow.scheduler.jobs import verify_audit_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_email(clinic_admin: Any, nurse: Any) -> str:
    """The clinic admin has an address; so does a nurse, who must not get the alarm."""
    clinic_admin.email = "alice@riverside.example"
    clinic_admin.save()
    nurse.email = "nina@riverside.example"
    nurse.save()
    return str(clinic_admin.email)


def test_an_intact_chain_is_logged_and_queues_nothing(
    admin_email: str, nurse: Any, patient: Any, caplog: pytest.LogCaptureFixture
) -> None:
    record_event(actor=nurse, action="view", obj=patient, detail={"part": "chart"})
    with caplog.at_level(logging.INFO, logger="ketaflow.scheduler.jobs"):
        result = verify_audit_chain.call()
    assert result["ok"] is True and result["breaks"] == 0 and result["rows"] >= 1
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert caplog.records[0].getMessage().startswith("Audit chain intact:")
    assert not OutboxMessage.objects.exists()


def test_an_edited_row_is_logged_and_emailed_once_to_the_clinic_admins(
    admin_email: str,
    nurse: Any,
    patient: Any,
    clinic: Any,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    victim = record_event(actor=nurse, action="view", obj=patient, detail={"part": "chart"})
    record_event(actor=nurse, action="update", obj=patient)
    _tamper(f"UPDATE audit_accessevent SET action = 'list' WHERE id = {victim.pk}")
    mail.outbox.clear()
    with (
        caplog.at_level(logging.INFO, logger="ketaflow.scheduler.jobs"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = verify_audit_chain.call()
    assert result["ok"] is False and result["breaks"] == 1
    (logged,) = caplog.records
    assert logged.levelno == logging.ERROR
    assert f"clinic {clinic.pk}, audit event {victim.pk}" in logged.getMessage()
    queued = OutboxMessage.objects.get()
    assert queued.key == f"audit-chain:{clinic.pk}:{victim.pk}:edited"
    assert (queued.clinic_id, queued.kind, queued.recipients) == (
        clinic.pk,
        "audit-chain",
        [admin_email],
    )
    assert f"audit event {victim.pk}" in queued.body
    assert queued.status == OutboxStatus.SENT
    (email,) = mail.outbox
    assert email.to == [admin_email]
    assert email.subject == "Ketaflow: the audit log's integrity check failed"

    # six hours later the chain is still broken at the same row: logged again, not re-emailed
    caplog.clear()
    with (
        caplog.at_level(logging.INFO, logger="ketaflow.scheduler.jobs"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert verify_audit_chain.call()["ok"] is False
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert OutboxMessage.objects.count() == 1 and len(mail.outbox) == 1
