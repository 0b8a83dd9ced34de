"""A clinic admin designates which nurses and prescribers may use emergency access; no other
role ever can (least privilege), and only in a clinic that belongs to an organisation."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketaflow.accounts.models import Organisation
from ketaflow.accounts.roles import Capability, Role, capabilities_of
from ketaflow.accounts.services import set_break_glass
from ketaflow.audit.models import AccessEvent

pytestmark = pytest.mark.django_db


def test_only_nurses_and_prescribers_may_ever_break_the_glass() -> None:
    who = [r for r in Role.values if Capability.BREAK_GLASS in capabilities_of(r)]
    assert who == [Role.NURSE, Role.PRESCRIBER]
    reviewers = [r for r in Role.values if Capability.REVIEW_EMERGENCY_ACCESS in capabilities_of(r)]
    assert reviewers == [Role.CLINIC_ADMIN]


def test_the_admin_designates_and_withdraws_audited(
    clinic: Any, clinic_admin: Any, nurse: Any, client: Any, login: Any
) -> None:
    clinic.organisation = Organisation.objects.create(name="River Health", slug="rh")
    clinic.save()
    login(client, clinic_admin)
    page = client.get("/users/").content.decode()
    assert "Designate<span" in page
    assert client.post(f"/users/{nurse.pk}/emergency-access/", {"allowed": "1"}).status_code == 302
    nurse.refresh_from_db()
    assert nurse.may_break_glass and nurse.can_break_glass
    assert "Designated" in client.get("/users/").content.decode()
    client.post(f"/users/{nurse.pk}/emergency-access/", {"allowed": "0"})
    nurse.refresh_from_db()
    assert not nurse.can_break_glass
    changes = AccessEvent.objects.filter(object_id=str(nurse.pk), object_type="accounts.User")
    assert [e.detail for e in changes.order_by("pk")] == [
        {"may_break_glass": True},
        {"may_break_glass": False},
    ]


def test_other_roles_cannot_be_designated(
    clinic_admin: Any, front_desk: Any, researcher: Any
) -> None:
    for person in (front_desk, researcher, clinic_admin):
        with pytest.raises(ValidationError):
            set_break_glass(clinic_admin, person, allowed=True)


def test_a_designation_outside_an_organisation_reaches_nobody(
    nurse: Any, clinic_admin: Any
) -> None:
    set_break_glass(clinic_admin, nurse, allowed=True)
    assert nurse.may_break_glass and not nurse.can_break_glass


def test_only_an_admin_of_the_same_clinic_designates(
    nurse: Any, prescriber: Any, outsider: Any
) -> None:
    with pytest.raises(PermissionDenied):
        set_break_glass(prescriber, nurse, allowed=True)
    outsider.role = "clinic_admin"
    outsider.save()
    with pytest.raises(PermissionDenied):
        set_break_glass(outsider, nurse, allowed=True)
