"""Who may call the API: a valid bearer token or a signed-in session (CSRF, two-factor)."""

from __future__ import annotations

import pytest
from django.test import Client

from ketaflow.accounts.models import ApiToken
from ketaflow.accounts.services import issue_api_token, revoke_api_token
from ketaflow.lib.tests.api_client import VALID_PATIENT, call, details

CSRF = "abcdefghijklmnopqrstuvwxyzABCDEF"  # a cookie secret Django accepts as-is


def test_a_bearer_token_acts_as_its_user(client, nurse):
    _token, raw = issue_api_token(nurse, "script")
    response = call(client, "GET", "/accounts/me", token=raw)
    assert response.status_code == 200
    assert response.json()["username"] == nurse.username


def test_a_token_is_stored_only_as_its_hash(nurse):
    token, raw = issue_api_token(nurse, "script")
    assert raw.startswith("kf_")
    assert token.digest == ApiToken.hash(raw) != raw
    assert not ApiToken.objects.filter(digest=raw).exists()
    assert raw not in {t.prefix for t in ApiToken.objects.all()}


def test_each_use_of_a_token_is_noted(client, nurse):
    token, raw = issue_api_token(nurse, "script")
    call(client, "GET", "/accounts/me", token=raw)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(client, nurse):
    token, raw = issue_api_token(nurse, "script")
    revoke_api_token(nurse, token)
    response = call(client, "GET", "/accounts/me", token=raw)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert details(response)[0]["type"] == "unauthenticated"


@pytest.mark.parametrize("header", ["Bearer kf_not-a-real-token", "Bearer ", "Basic Zm9vOmJhcg=="])
def test_an_unknown_or_malformed_token_is_refused(client, nurse, header):
    response = call(client, "GET", "/accounts/me", Authorization=header)
    assert response.status_code == 401


def test_a_deactivated_users_token_is_refused(client, nurse):
    _token, raw = issue_api_token(nurse, "script")
    nurse.is_active = False
    nurse.save()
    assert call(client, "GET", "/accounts/me", token=raw).status_code == 401


def test_a_bad_token_is_refused_even_alongside_a_valid_session(client, login, nurse):
    login(client, nurse)
    assert call(client, "GET", "/accounts/me").status_code == 200
    assert call(client, "GET", "/accounts/me", token="kf_wrong").status_code == 401


def test_a_token_needs_no_csrf_token_for_writes(nurse):
    _token, raw = issue_api_token(nurse, "script")
    client = Client(enforce_csrf_checks=True)
    assert call(client, "POST", "/patients", VALID_PATIENT, token=raw).status_code == 201


def test_nobody_signed_in_gets_401_in_the_uniform_shape(client):
    response = call(client, "GET", "/accounts/me")
    assert response.status_code == 401
    assert details(response) == [
        {
            "loc": [],
            "msg": "Sign in, or send a valid token as `Authorization: Bearer <token>`.",
            "type": "unauthenticated",
        }
    ]


def test_a_session_reads_without_a_csrf_token(login, nurse):
    client = login(Client(enforce_csrf_checks=True), nurse)
    assert call(client, "GET", "/accounts/me").status_code == 200


def test_a_session_write_without_a_csrf_token_is_refused(login, nurse):
    client = login(Client(enforce_csrf_checks=True), nurse)
    response = call(client, "POST", "/patients", VALID_PATIENT)
    assert response.status_code == 403
    assert "CSRF" in details(response)[0]["msg"]
    from ketaflow.patients.models import Patient

    assert not Patient.objects.filter(family_name="Lovelace").exists()


def test_a_session_write_with_a_csrf_token_is_accepted(login, nurse):
    client = login(Client(enforce_csrf_checks=True), nurse)
    client.cookies["csrftoken"] = CSRF
    response = call(client, "POST", "/patients", VALID_PATIENT, **{"X-CSRFToken": CSRF})
    assert response.status_code == 201


def test_a_deactivated_users_session_is_refused(client, login, nurse):
    login(client, nurse)
    nurse.is_active = False
    nurse.save()
    assert call(client, "GET", "/accounts/me").status_code == 401


def test_a_session_that_has_not_passed_two_factor_is_refused(client, prescriber):
    client.force_login(prescriber)  # password only: prescribers also need a second factor
    assert call(client, "GET", "/accounts/me").status_code == 401


def test_a_session_that_passed_two_factor_is_accepted(client, login, prescriber):
    login(client, prescriber)
    assert call(client, "GET", "/accounts/me").status_code == 200


def test_roles_without_two_factor_use_a_plain_session(client, nurse):
    client.force_login(nurse)
    assert call(client, "GET", "/accounts/me").status_code == 200


def test_a_token_request_runs_in_the_clinic_time_zone(client, nurse, patient):
    """'Not in the future' is judged by the clinic's calendar, as on the pages."""
    from django.utils import timezone

    from ketaflow.api import auth as api_auth

    seen = []
    original = api_auth.TokenAuth.authenticate

    def spy(self, request, token):
        user = original(self, request, token)
        seen.append(timezone.get_current_timezone_name())
        return user

    _token, raw = issue_api_token(nurse, "script")
    api_auth.TokenAuth.authenticate = spy  # type: ignore[method-assign]
    try:
        call(client, "GET", "/accounts/me", token=raw)
    finally:
        api_auth.TokenAuth.authenticate = original  # type: ignore[method-assign]
    assert seen == ["Europe/London"]
