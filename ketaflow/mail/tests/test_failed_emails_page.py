"""The clinic admin's page of failed emails, and "send again"; persona × page permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request
from ketaflow.mail.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db


def _failed(clinic: Any, key: str = "test:failed") -> OutboxMessage:
    now = timezone.now()
    return OutboxMessage.objects.create(
        clinic=clinic,
        key=key,
        kind="risk_alert",
        subject="Ketaflow: a patient's answer needs action today",
        body="A secret body",
        recipients=["nina@example.org"],
        status=OutboxStatus.FAILED,
        attempts=5,
        next_attempt_at=now,
        created_at=now,
        failed_at=now,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )


def test_the_admin_sees_a_failed_email_and_sends_it_again(
    clinic: Any, clinic_admin: Any, client: Client, login: Any
) -> None:
    message = _failed(clinic)
    login(client, clinic_admin)
    page = client.get("/mail/failed/").content.decode()
    assert "needs action today" in page and "nina@example.org" in page
    assert "SMTPServerDisconnected" in page and "A secret body" not in page
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/mail/failed/{message.pk}/retry/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and len(mail.outbox) == 1
    assert "No failed emails" in client.get("/mail/failed/").content.decode()
    again = client.post(f"/mail/failed/{message.pk}/retry/", follow=True)
    assert "no longer failed" in again.content.decode() and len(mail.outbox) == 1


def test_the_admins_home_page_says_how_many_emails_failed(
    clinic: Any, clinic_admin: Any, client: Client, login: Any
) -> None:
    login(client, clinic_admin)
    assert "Every email was sent." in client.get("/").content.decode()
    _failed(clinic)
    home = client.get("/").content.decode()
    assert "1 email(s) not sent" in home and 'href="/mail/failed/"' in home


def test_another_clinics_failed_email_is_not_found(
    other_clinic: Any, clinic_admin: Any, client: Client, login: Any
) -> None:
    theirs = _failed(other_clinic)
    login(client, clinic_admin)
    assert "No failed emails" in client.get("/mail/failed/").content.decode()
    assert client.post(f"/mail/failed/{theirs.pk}/retry/").status_code == 404


ADMIN_ONLY = expect(403, 403, 403, 200, 403, 403)
PERSONA_ROWS = [
    Row("GET", "/mail/failed/", ADMIN_ONLY),
    Row("POST", "/mail/failed/{message}/retry/", expect(403, 403, 403, 302, 403, 403)),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_persona_by_page(
    persona: str, personas: dict[str, Any], clinic: Any, client: Client, login: Any, row: Row
) -> None:
    message = _failed(clinic)
    login(client, personas[persona])
    assert request(client, row, {"message": message.pk}).status_code == row.expect[persona]


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    assert client.get("/mail/failed/").status_code == 302
