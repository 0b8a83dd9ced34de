"""Questionnaire links: secret (hash stored), expiring, revocable, one patient, lockout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from ketaflow.portal.models import BadTokenAttempt, PortalLink
from ketaflow.portal.services import BAD_TOKEN_LIMIT, issue_link, revoke_link
from ketaflow.portal.tests.conftest import BASE, path

pytestmark = pytest.mark.django_db


def test_only_the_hash_of_the_token_is_stored(issue: Any, patient: Any) -> None:
    issued = issue(patient)
    link = PortalLink.objects.get()
    assert issued.token not in {link.digest, link.prefix}
    assert link.digest == PortalLink.hash(issued.token)
    assert issued.url == f"http://testserver/p/q/{issued.token}/"
    assert link.instruments == ["gad7", "phq9"]
    assert link.expires_at - link.created_at == timedelta(days=7)


def test_expiry_is_configurable_within_limits(issue: Any, patient: Any) -> None:
    assert issue(patient, expires_in_days=2).link.expires_at - timezone.now() < timedelta(days=2)
    with pytest.raises(ValidationError):
        issue(patient, expires_in_days=0)
    with pytest.raises(ValidationError):
        issue(patient, expires_in_days=31)


def test_licensed_and_clinician_rated_scales_cannot_be_sent(issue: Any, patient: Any) -> None:
    for code in ("cssrs", "ybocs", "hama", "lsas", "cadss", "pdss"):
        with pytest.raises(ValidationError, match="cannot be offered to patients"):
            issue(patient, instruments=(code,))


def test_the_link_can_be_emailed_to_the_patient(
    issue: Any, patient: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(ValidationError, match="no email"):
        issue(patient, send_email=True)
    patient.email = "jane@example.org"
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        issued = issue(patient, send_email=True)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jane@example.org"]
    assert issued.url in mail.outbox[0].body
    assert issued.link.emailed_to == "jane@example.org"


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "researcher"])
def test_roles_without_send_questionnaires_cannot_issue(
    persona: str, personas: dict[str, Any], patient: Any
) -> None:
    with pytest.raises(PermissionDenied):
        issue_link(personas[persona], patient, base_url=BASE)


def test_another_clinics_patient_is_refused(nurse: Any, outsider_patient: Any) -> None:
    with pytest.raises(PermissionDenied):
        issue_link(nurse, outsider_patient, base_url=BASE)


def test_expired_link_shows_a_clear_page(issue: Any, patient: Any, portal_client: Client) -> None:
    issued = issue(patient)
    PortalLink.objects.filter(pk=issued.link.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    page = portal_client.get(path(issued))
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert "Jane" not in page.content.decode()


def test_revoked_link_shows_a_clear_page(
    issue: Any, nurse: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    revoke_link(nurse, issued.link)
    page = portal_client.get(path(issued))
    assert page.status_code == 410
    assert "withdrawn" in page.content.decode()
    with pytest.raises(ValidationError):
        revoke_link(nurse, issued.link)


def test_unknown_token_is_not_found_and_counted(portal_client: Client) -> None:
    page = portal_client.get("/p/q/not-a-real-token/")
    assert page.status_code == 404
    assert "could not find this link" in page.content.decode()
    assert BadTokenAttempt.objects.count() == 1


def test_repeated_bad_tokens_lock_the_address_out_of_guessing(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    for n in range(BAD_TOKEN_LIMIT):
        assert portal_client.get(f"/p/q/guess-{n}/").status_code == 404
    page = portal_client.get("/p/q/guess-again/")
    assert page.status_code == 429
    assert "Too many attempts" in page.content.decode()
    assert BadTokenAttempt.objects.count() == BAD_TOKEN_LIMIT + 1  # still counted


def test_a_real_link_opens_from_an_address_locked_by_someone_elses_guesses(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    """A shared network (hospital Wi-Fi, a carrier's NAT): another's guesses lock guessing,
    not the genuine patient's link."""
    issued = issue(patient)
    for n in range(BAD_TOKEN_LIMIT + 5):
        portal_client.get(f"/p/q/guess-{n}/")
    page = portal_client.get(path(issued))
    assert page.status_code == 200
    assert "Jane" in page.content.decode()


def test_old_bad_attempts_do_not_count(issue: Any, patient: Any, portal_client: Client) -> None:
    issued = issue(patient)
    old = timezone.now() - timedelta(hours=1)
    BadTokenAttempt.objects.bulk_create(
        [BadTokenAttempt(at=old, ip_address="127.0.0.1") for _ in range(BAD_TOKEN_LIMIT)]
    )
    assert portal_client.get(path(issued)).status_code == 200


def test_patient_pages_are_private(issue: Any, patient: Any, portal_client: Client) -> None:
    page = portal_client.get(path(issue(patient)))
    assert "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    assert "noindex" in page["X-Robots-Tag"]
