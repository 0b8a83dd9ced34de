"""A clinic admin lists, adds, deactivates and reactivates the clinic's staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaflow.accounts.models import User
from ketaflow.audit.models import AccessEvent
from ketaflow.conftest import PASSWORD, _make_user

pytestmark = pytest.mark.django_db

GOOD = {
    "first_name": "Nadia",
    "last_name": "New",
    "username": "nadia.new",
    "email": "nadia@example.org",
    "title": "RN",
    "role": "nurse",
    "password": "a long enough passphrase 9",
}


def test_the_list_shows_role_status_and_two_factor(
    client: Any, login: Any, clinic_admin: Any, nurse: Any, outsider: Any
) -> None:
    login(client, clinic_admin)  # signing in as an admin enrols a (test) second factor
    page = client.get("/users/").content.decode()
    assert "nina.nurse" in page and "Nurse" in page and "Active" in page
    assert "Enrolled" in page  # the admin
    assert "oscar.outsider" not in page  # another clinic's staff


def test_adding_a_user_puts_them_in_the_admins_clinic(
    client: Any, login: Any, clinic_admin: Any
) -> None:
    login(client, clinic_admin)
    response = client.post("/users/add/", GOOD)
    assert response.status_code == 302 and response.url == "/users/"
    user = User.objects.get(username="nadia.new")
    assert (user.clinic_id, user.role, user.check_password(GOOD["password"])) == (
        clinic_admin.clinic_id,
        "nurse",
        True,
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "short"}, "password"),
        ({"username": "nina.nurse"}, "username"),
        ({"role": "superhero"}, "role"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_bad_input_gives_a_field_error_and_adds_nobody(
    client: Any, login: Any, clinic_admin: Any, nurse: Any, change: dict, field: str
) -> None:
    login(client, clinic_admin)
    before = (User.objects.count(), AccessEvent.objects.filter(action="create").count())
    response = client.post("/users/add/", {**GOOD, **change})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'class="field has-error"' in response.content.decode() or field == "role"
    assert (User.objects.count(), AccessEvent.objects.filter(action="create").count()) == before


def test_deactivating_and_reactivating_a_user(client: Any, login: Any, clinic_admin: Any) -> None:
    colleague = _make_user(clinic_admin.clinic, "sam.staff", "nurse")
    login(client, clinic_admin)
    assert client.post(f"/users/{colleague.pk}/active/", {"active": "0"}).status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
    sign_in = Client().post("/accounts/login/", {"username": "sam.staff", "password": PASSWORD})
    assert sign_in.status_code == 200  # the form again, not a redirect into the app
    client.post(f"/users/{colleague.pk}/active/", {"active": "1"})
    colleague.refresh_from_db()
    assert colleague.is_active


def test_an_admin_cannot_deactivate_themselves(client: Any, login: Any, clinic_admin: Any) -> None:
    login(client, clinic_admin)
    response = client.post(f"/users/{clinic_admin.pk}/active/", {"active": "0"}, follow=True)
    assert "cannot deactivate your own account" in response.content.decode()
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active


def test_another_clinics_user_is_not_found(
    client: Any, login: Any, clinic_admin: Any, outsider: Any
) -> None:
    login(client, clinic_admin)
    assert client.post(f"/users/{outsider.pk}/active/", {"active": "0"}).status_code == 404
    outsider.refresh_from_db()
    assert outsider.is_active


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "researcher"])
def test_other_roles_cannot_change_users(
    client: Any, login: Any, personas: dict, persona: str, clinic_admin: Any
) -> None:
    login(client, personas[persona])
    assert client.post(f"/users/{clinic_admin.pk}/active/", {"active": "0"}).status_code == 403
    assert client.post("/users/add/", GOOD).status_code == 403
    assert not User.objects.filter(username="nadia.new").exists()
