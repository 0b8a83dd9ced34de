"""Account recovery (#15): a password reset by email, one-time backup codes, and a clinic
admin's reset of a colleague's second factor, each audited."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaflow.accounts.services import issue_backup_codes, reset_second_factor
from ketaflow.accounts.tests.test_two_factor import code_for, password_sign_in
from ketaflow.audit.models import AccessEvent
from ketaflow.conftest import DEFAULT_NOW, PASSWORD

pytestmark = pytest.mark.django_db

HOME = reverse("web:home")
VERIFY = reverse("accounts:otp_verify")
RESET = reverse("accounts:password_reset")
NEW_PASSWORD = "a-new-long-passphrase-2026"


def _reset_link(settings: Any) -> str:
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    pattern = re.escape(settings.KETAFLOW_PUBLIC_URL) + r"(/accounts/password-reset/\S+/)"
    match = re.search(pattern, body)
    assert match, body
    return match.group(1)


def test_a_reset_link_sets_a_new_password_that_still_needs_the_second_factor(
    client: Any, prescriber: Any, settings: Any
) -> None:
    settings.KETAFLOW_PUBLIC_URL = "https://ketaflow.example.org"
    prescriber.email = "priya@example.org"
    prescriber.save()
    device = TOTPDevice.objects.create(user=prescriber, name="phone", confirmed=True)
    response = client.post(RESET, {"email": "priya@example.org"}, HTTP_HOST="localhost")
    assert response.status_code == 302
    link = _reset_link(settings)  # the public address, never the request's Host
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert client.get(HOME).status_code == 302  # not signed in by the reset
    old = client.post(
        reverse("accounts:login"), {"username": prescriber.username, "password": PASSWORD}
    )
    assert old.status_code == 200  # the old password is refused
    signed_in = client.post(
        reverse("accounts:login"), {"username": prescriber.username, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.get(HOME)["Location"].startswith(VERIFY)  # the second factor still follows
    assert client.post(VERIFY, {"token": code_for(device)}).status_code == 302
    assert client.get(HOME).status_code == 200
    trail = list(
        AccessEvent.objects.filter(object_id=str(prescriber.pk), detail__has_key="password")
        .order_by("at")
        .values_list("detail", flat=True)
    )
    assert trail == [{"password": "reset link sent"}, {"password": "reset by email"}]
    # The link works once.
    assert "does not work any more" in client.get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(client: Any, nurse: Any) -> None:
    response = client.post(RESET, {"email": "nobody@example.org"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def test_a_reset_link_older_than_an_hour_no_longer_works(
    client: Any, nurse: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent_at = datetime(2026, 12, 7, 9, 0)
    monkeypatch.setattr(default_token_generator, "_now", lambda: sent_at)
    nurse.email = "nell@example.org"
    nurse.save()
    client.post(RESET, {"email": "nell@example.org"})
    link = _reset_link(settings)
    later = sent_at + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    assert "does not work any more" in client.get(link, follow=True).content.decode()


def test_a_backup_code_signs_in_once_and_new_codes_void_the_old(
    client: Any, prescriber: Any, clock: Any
) -> None:
    TOTPDevice.objects.create(user=prescriber, name="phone", confirmed=True)
    first = issue_backup_codes(prescriber)
    assert len(first) == 10 and len(set(first)) == 10
    password_sign_in(client, prescriber)
    response = client.post(VERIFY, {"token": first[0].upper()}, follow=True)
    assert "9 left" in response.content.decode()
    assert client.get(HOME).status_code == 200
    client.logout()
    password_sign_in(client, prescriber)
    assert client.post(VERIFY, {"token": first[0]}).status_code == 200  # used: refused
    second = issue_backup_codes(prescriber)
    assert client.post(VERIFY, {"token": first[1]}).status_code == 200  # voided
    clock(DEFAULT_NOW + timedelta(minutes=5))  # past django-otp's throttle after two misses
    assert client.post(VERIFY, {"token": second[0]}).status_code == 302
    used = AccessEvent.objects.filter(actor=prescriber, detail__2fa="backup code used")
    assert used.count() == 2


def test_backup_codes_are_made_only_after_the_second_factor(client: Any, prescriber: Any) -> None:
    device = TOTPDevice.objects.create(user=prescriber, name="phone", confirmed=True)
    password_sign_in(client, prescriber)
    page = reverse("accounts:backup_codes")
    assert client.post(page)["Location"] == VERIFY
    assert not StaticDevice.objects.filter(user=prescriber).exists()
    client.post(VERIFY, {"token": code_for(device)})
    html = client.post(page).content.decode()
    assert len(re.findall(r"<code>[a-z0-9]{4}-[a-z0-9]{4}</code>", html)) == 10


def test_a_clinic_admin_resets_a_colleagues_second_factor_with_a_reason(
    client: Any, login: Any, clinic_admin: Any, prescriber: Any
) -> None:
    TOTPDevice.objects.create(user=prescriber, name="phone", confirmed=True)
    issue_backup_codes(prescriber)
    login(client, clinic_admin)
    url = reverse("web:user_reset_2fa", args=[prescriber.pk])
    assert "Say why" in client.post(url, {"reason": "x"}).content.decode()
    assert TOTPDevice.objects.filter(user=prescriber).exists()
    response = client.post(url, {"reason": "phone lost, confirmed in person"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=prescriber).exists()
    assert not StaticDevice.objects.filter(user=prescriber).exists()
    event = AccessEvent.objects.get(actor=clinic_admin, detail__2fa="reset")
    assert event.object_id == str(prescriber.pk)
    assert event.detail["reason"] == "phone lost, confirmed in person"
    client.logout()
    password_sign_in(client, prescriber)
    assert client.get(HOME)["Location"] == reverse("accounts:otp_setup")  # enrols again


def test_only_an_admin_of_the_same_clinic_resets_and_never_their_own(
    clinic_admin: Any, prescriber: Any, outsider: Any
) -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        reset_second_factor(prescriber, clinic_admin, reason="phone lost, confirmed")
    with pytest.raises(PermissionDenied):
        reset_second_factor(outsider, prescriber, reason="phone lost, confirmed")
    with pytest.raises(ValidationError):
        reset_second_factor(clinic_admin, clinic_admin, reason="phone lost, confirmed")
