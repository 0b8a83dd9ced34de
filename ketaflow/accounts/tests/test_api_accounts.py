"""Accounts over the API: who am I, my tokens, and the clinic's users for clinic admins."""

from __future__ import annotations

import pytest

from ketaflow.accounts.models import ApiToken, User
from ketaflow.accounts.services import issue_api_token
from ketaflow.lib.tests.api_client import call, fields_in_error

STRONG = "a long enough passphrase 12"


def test_me_says_who_i_am_where_and_what_i_may_do(client, login, nurse):
    body = call(login(client, nurse), "GET", "/accounts/me").json()
    assert body["username"] == "nina.nurse"
    assert body["role"] == "nurse"
    assert body["clinic"]["name"] == "Riverside Clinic"
    assert "view_clinical" in body["capabilities"]
    assert "edit_diagnoses" not in body["capabilities"]


def test_a_new_token_is_shown_once_and_then_listed_without_its_secret(client, login, nurse):
    login(client, nurse)
    created = call(client, "POST", "/accounts/tokens", {"name": "reporting"})
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith(created.json()["prefix"])
    listed = call(client, "GET", "/accounts/tokens").json()
    assert [t["name"] for t in listed] == ["reporting"]
    assert "token" not in listed[0]
    assert call(client, "GET", "/accounts/me", token=secret).status_code == 200


def test_a_token_needs_a_name(client, login, nurse):
    response = call(login(client, nurse), "POST", "/accounts/tokens", {"name": "  "})
    assert response.status_code == 422
    assert fields_in_error(response) == {"name"}


def test_a_revoked_token_disappears_from_the_list_and_stops_working(client, login, nurse):
    token, raw = issue_api_token(nurse, "old script")
    login(client, nurse)
    response = call(client, "POST", f"/accounts/tokens/{token.pk}/revoke")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert call(client, "GET", "/accounts/tokens").json() == []
    assert call(client.__class__(), "GET", "/accounts/me", token=raw).status_code == 401


def test_nobody_can_revoke_someone_elses_token(client, login, nurse, prescriber):
    token, _raw = issue_api_token(prescriber, "theirs")
    response = call(login(client, nurse), "POST", f"/accounts/tokens/{token.pk}/revoke")
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_an_admin_lists_only_their_own_clinics_users(client, login, personas):
    body = call(login(client, personas["clinic_admin"]), "GET", "/accounts/users").json()
    names = {u["username"] for u in body}
    assert "nina.nurse" in names
    assert "oscar.outsider" not in names


def test_an_admin_adds_a_user_to_their_own_clinic(client, login, clinic_admin):
    body = {"username": "nora.new", "password": STRONG, "role": "nurse", "title": "RN"}
    response = call(login(client, clinic_admin), "POST", "/accounts/users", body)
    assert response.status_code == 201
    user = User.objects.get(username="nora.new")
    assert user.clinic_id == clinic_admin.clinic_id
    assert user.check_password(STRONG)
    assert "password" not in response.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "short"}, "password"),
        ({"username": "nina.nurse"}, "username"),
        ({"username": "no spaces allowed"}, "username"),
        ({"role": "superuser"}, "role"),
        ({"email": "nope"}, "email"),
    ],
)
def test_a_bad_new_user_is_refused_by_field(client, login, clinic_admin, nurse, change, field):
    body = {"username": "nora.new", "password": STRONG, "role": "nurse", **change}
    response = call(login(client, clinic_admin), "POST", "/accounts/users", body)
    assert response.status_code == 422
    assert fields_in_error(response) == {field}


def test_a_deactivated_user_can_no_longer_use_their_token(client, login, clinic_admin, nurse):
    _token, raw = issue_api_token(nurse, "script")
    login(client, clinic_admin)
    response = call(client, "POST", f"/accounts/users/{nurse.pk}/active", {"active": False})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert call(client.__class__(), "GET", "/accounts/me", token=raw).status_code == 401


def test_an_admin_cannot_deactivate_themselves(client, login, clinic_admin):
    path = f"/accounts/users/{clinic_admin.pk}/active"
    response = call(login(client, clinic_admin), "POST", path, {"active": False})
    assert response.status_code == 422


def test_another_clinics_admin_cannot_find_our_users(client, other_clinic, nurse):
    admin = User.objects.create(username="hilda", role="clinic_admin", clinic=other_clinic)
    _token, raw = issue_api_token(admin, "script")
    path = f"/accounts/users/{nurse.pk}/active"
    assert call(client, "POST", path, {"active": False}, token=raw).status_code == 404
    nurse.refresh_from_db()
    assert nurse.is_active
