"""An organisation of two clinics: Riverside (the personas' clinic, whose patient Jane Doe is in
an IV course with a session given today) and Lakeside, whose designated nurse breaks the glass.
Hillside (`other_clinic`) belongs to no organisation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from ketaflow.conftest import PASSWORD, sign_in
from ketaflow.treatments.tests.conftest import (  # noqa: F401  (fixtures, used by name)
    appointment,
    chair,
    checked_in,
    course,
    gates_open,
    observing,
    ordered,
    protocols,
    ready,
)


@pytest.fixture
def organisation(clinic: Any) -> Any:
    from ketaflow.accounts.models import Organisation

    org = Organisation.objects.create(name="River Health", slug="river-health")
    clinic.organisation = org
    clinic.phone = "020 7946 0000"
    clinic.save()
    return org


@pytest.fixture
def sister_clinic(organisation: Any) -> Any:
    from ketaflow.accounts.models import Clinic

    return Clinic.objects.create(
        name="Lakeside Clinic", slug="lakeside", timezone="Europe/London", organisation=organisation
    )


def _user(clinic: Any, username: str, role: str, **extra: Any) -> Any:
    from ketaflow.accounts.models import User

    user = User(username=username, role=role, clinic=clinic, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def sister_nurse(sister_clinic: Any) -> Any:
    """Designated for emergency access by Lakeside's admin."""
    return _user(
        sister_clinic,
        "lara.lake",
        "nurse",
        first_name="Lara",
        last_name="Lake",
        title="RN",
        may_break_glass=True,
    )


@pytest.fixture
def sister_admin(sister_clinic: Any) -> Any:
    return _user(
        sister_clinic, "luke.admin", "clinic_admin", first_name="Luke", email="luke@lakeside.test"
    )


@pytest.fixture
def sister_patient(sister_clinic: Any, sister_admin: Any) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.create(
        clinic=sister_clinic,
        mrn="LK-000042",
        given_name="Lena",
        family_name="Lindqvist",
        date_of_birth=date(1990, 6, 1),
        sex_at_birth="female",
        created_by=sister_admin,
    )


@pytest.fixture
def admin_email(clinic_admin: Any) -> Any:
    clinic_admin.email = "alice@riverside.test"
    clinic_admin.save()
    return clinic_admin


def post_break_glass(client: Client, clinic: Any, **fields: Any) -> Any:
    data = {
        "clinic": clinic.pk,
        "date_of_birth": "1985-04-12",
        "mrn": "KF-000001",
        "family_name": "",
        "kind": "acute",
        "reason": "Patient collapsed in our waiting room, covering tonight",
        **fields,
    }
    return client.post("/emergency/", data)


@pytest.fixture
def signed_in() -> Any:
    def sign(user: Any) -> Client:
        return sign_in(Client(), user)

    return sign
