"""Found by an attacker: the demo on a production database, and secrets in the Django admin.

`KETAFLOW_ENV=production ketaflow seed-demo` created the superuser `operator` with the public
demo password; superusers in a demo clinic skipped two-factor; the admin showed TOTP secrets and
let an operator set a prescriber's password.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaflow.accounts.models import Clinic, User


@pytest.fixture
def operator(db, login, client):
    user = User.objects.create_superuser("olly.operator", "olly@example.org", "x" * 20)
    login(client, user)
    return user


def test_seed_demo_is_refused_in_production_and_creates_nothing(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError) as refused:
        call_command("seed-demo", "--no-history", stdout=StringIO())
    assert refused.value.returncode == 2
    assert "production" in str(refused.value)
    assert not User.objects.exists()
    assert not Clinic.objects.exists()


def test_a_superuser_needs_two_factor_even_in_a_demo_clinic(db):
    demo = Clinic.objects.create(name="Demo", slug="demo", is_synthetic=True)
    superuser = User.objects.create_superuser("op", "op@example.org", "x" * 20, clinic=demo)
    prescriber = User.objects.create_user("p", password="x" * 20, clinic=demo, role="prescriber")
    assert superuser.requires_2fa
    assert not prescriber.requires_2fa  # demo staff still sign in with the published password


def test_a_superuser_in_a_demo_clinic_is_sent_to_two_factor_set_up(client, db):
    demo = Clinic.objects.create(name="Demo", slug="demo", is_synthetic=True)
    superuser = User.objects.create_superuser("op", "op@example.org", "x" * 20, clinic=demo)
    client.force_login(superuser)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("accounts:otp_setup") in response["Location"]


def test_the_admin_never_shows_a_totp_secret(client, operator, prescriber):
    device = TOTPDevice.objects.create(user=prescriber, name="phone", confirmed=True)
    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert listing.status_code == 200 and page.status_code == 200
    for response in (listing, page):
        body = response.content.decode()
        assert device.key not in body
        assert "qrcode" not in body.lower()
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403


def test_the_admin_never_shows_backup_codes(client, operator, prescriber):
    device = StaticDevice.objects.create(user=prescriber, name="backup", confirmed=True)
    StaticToken.objects.create(device=device, token="zx81spectrum")
    page = client.get(reverse("admin:otp_static_staticdevice_change", args=[device.pk]))
    assert page.status_code == 200
    assert "zx81spectrum" not in page.content.decode()


def test_an_operator_cannot_set_someone_elses_password(client, operator, prescriber):
    before = User.objects.get(pk=prescriber.pk).password
    url = reverse("admin:auth_user_password_change", args=[prescriber.pk])
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"password1": "N3w-passw0rd-2026!", "password2": "N3w-passw0rd-2026!"}
    )
    assert response.status_code == 403
    assert User.objects.get(pk=prescriber.pk).password == before
