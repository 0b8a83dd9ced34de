"""Two-factor sign-in: prescribers and clinic admins (and operators) pass TOTP first."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaflow.conftest import PASSWORD

HOME = reverse("web:home")
SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")


def password_sign_in(client, user):
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, "password sign-in failed"
    return client


def code_for(device, offset=0):
    """The code an authenticator app shows now (offset in 30-second steps)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    return f"{code:0{device.digits}d}"


@pytest.fixture
def enrolled(prescriber):
    return TOTPDevice.objects.create(user=prescriber, name="phone", confirmed=True)


@pytest.mark.parametrize("persona", ["prescriber", "clinic_admin"])
def test_roles_needing_2fa_are_sent_to_set_up_and_kept_there(client, personas, persona):
    password_sign_in(client, personas[persona])
    for path in (HOME, reverse("patients:list"), reverse("audit:log")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == SETUP


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "researcher"])
def test_other_roles_are_not_asked_for_a_second_factor(client, personas, persona):
    password_sign_in(client, personas[persona])
    assert client.get(HOME).status_code == 200


def test_setting_up_with_a_real_code_verifies_the_session(client, prescriber):
    password_sign_in(client, prescriber)
    page = client.get(SETUP)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    assert device.key in page.content.decode()
    response = client.post(SETUP, {"token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200


def test_a_wrong_code_at_set_up_is_refused(client, prescriber):
    password_sign_in(client, prescriber)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=prescriber)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"token": wrong})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert client.get(HOME)["Location"] == SETUP


def test_an_enrolled_user_is_sent_to_verify_and_then_where_they_were_going(
    client, prescriber, enrolled
):
    password_sign_in(client, prescriber)
    target = reverse("patients:list")
    response = client.get(target)
    assert response["Location"] == f"{VERIFY}?next={target}"
    response = client.post(f"{VERIFY}?next={target}", {"token": code_for(enrolled)})
    assert response.status_code == 302
    assert response["Location"] == target
    assert client.get(HOME).status_code == 200


def test_a_wrong_code_at_verify_is_refused_and_audited(client, prescriber, enrolled):
    from ketaflow.audit.models import AccessEvent

    password_sign_in(client, prescriber)
    wrong = f"{(int(code_for(enrolled)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"token": wrong})
    assert response.status_code == 200
    assert client.get(HOME).status_code == 302
    event = AccessEvent.objects.get(action="sign_in_failed", actor=prescriber)
    assert event.detail == {"step": "2fa"}


def test_a_code_cannot_be_used_twice(client, prescriber, enrolled):
    password_sign_in(client, prescriber)
    code = code_for(enrolled)
    assert client.post(VERIFY, {"token": code}).status_code == 302
    client.logout()
    password_sign_in(client, prescriber)
    assert client.post(VERIFY, {"token": code}).status_code == 200


def test_the_api_is_not_redirected_to_the_set_up_page(client, prescriber):
    password_sign_in(client, prescriber)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code != 302


@pytest.mark.parametrize("role", ["prescriber", "clinic_admin"])
def test_synthetic_demo_clinic_users_are_not_forced(client, db, role):
    from ketaflow.accounts.models import Clinic, User

    demo = Clinic.objects.create(name="Demo", slug="demo-2fa", is_synthetic=True)
    user = User(username=f"demo.{role}", role=role, clinic=demo)
    user.set_password(PASSWORD)
    user.save()
    assert not user.requires_2fa
    password_sign_in(client, user)
    assert client.get(HOME).status_code == 200


def test_a_superuser_without_a_clinic_needs_two_factor(db):
    from ketaflow.accounts.models import User

    assert User(username="root", is_superuser=True).requires_2fa
