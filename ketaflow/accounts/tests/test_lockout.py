"""Sign-in lockout (django-axes) through the real sign-in form, and which address is counted."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from ketaflow.conftest import PASSWORD
from ketaflow.settings import client_address_settings

LOGIN = reverse("accounts:login")


def sign_in(client, username, password, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def fail_until_locked(client, username, **headers):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, username, "wrong password", **headers)


def test_a_wrong_password_shows_the_form_again(client, nurse):
    response = sign_in(client, nurse.username, "wrong password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_up_to_the_limit_lock_the_account_from_that_address(client, nurse):
    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        assert sign_in(client, nurse.username, "wrong password").status_code == 200, attempt
    locked = sign_in(client, nurse.username, "wrong password")
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()


def test_a_locked_account_stays_locked_even_with_the_right_password(client, nurse):
    fail_until_locked(client, nurse.username)
    response = sign_in(client, nurse.username, PASSWORD)
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_good_sign_in_before_the_limit_resets_the_count(client, nurse):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, nurse.username, "wrong password")
    assert sign_in(client, nurse.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, nurse.username, "wrong password")
    assert sign_in(client, nurse.username, PASSWORD).status_code == 302


def test_another_account_from_the_same_address_is_not_locked(client, nurse, front_desk):
    fail_until_locked(client, nurse.username)
    assert sign_in(client, front_desk.username, PASSWORD).status_code == 302


def test_failed_sign_ins_are_in_the_audit_log(client, nurse):
    from ketaflow.audit.models import AccessEvent

    sign_in(client, nurse.username, "wrong password")
    event = AccessEvent.objects.get(action="sign_in_failed")
    assert event.detail == {"username": nurse.username}
    assert event.ip_address == "127.0.0.1"


def test_without_a_proxy_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, nurse):
    # With no proxy configured, X-Forwarded-For comes from the client itself: ignored.
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, nurse.username, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = sign_in(client, nurse.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


@override_settings(**client_address_settings(1))
def test_behind_one_proxy_two_clients_are_counted_separately(client, nurse):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    fail_until_locked(client, nurse.username, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    assert (
        sign_in(client, nurse.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    ).status_code == 429
    other = sign_in(client, nurse.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert other.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


@override_settings(**client_address_settings(1))
def test_behind_one_proxy_an_address_forged_before_the_real_one_is_ignored(client, nurse):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The client forges a first entry; the proxy appends the address it really saw.
        forged = f"192.0.2.{n}, 203.0.113.5"
        sign_in(client, nurse.username, "wrong", HTTP_X_FORWARDED_FOR=forged, **proxy)
    response = sign_in(
        client, nurse.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.77, 203.0.113.5", **proxy
    )
    assert response.status_code == 429


@override_settings(**client_address_settings(1))
def test_the_audit_log_records_the_client_behind_the_proxy(client, nurse):
    from ketaflow.audit.models import AccessEvent

    sign_in(
        client,
        nurse.username,
        "wrong",
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5",
        REMOTE_ADDR="10.0.0.1",
    )
    assert AccessEvent.objects.get(action="sign_in_failed").ip_address == "203.0.113.5"


@pytest.mark.parametrize("limit", [3])
def test_the_limit_comes_from_settings(client, nurse, limit):
    with override_settings(AXES_FAILURE_LIMIT=limit):
        for _ in range(limit - 1):
            assert sign_in(client, nurse.username, "wrong").status_code == 200
        assert sign_in(client, nurse.username, "wrong").status_code == 429
