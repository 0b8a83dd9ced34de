"""Breaking the glass is refused, and the refusal audited as denied, for anyone not designated,
for a clinic outside the organisation, without a reason, and for identifiers that do not name
exactly one patient."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaflow.accounts.models import Clinic
from ketaflow.audit.models import AccessEvent, Action
from ketaflow.emergency import services
from ketaflow.emergency.models import EmergencyGrant
from ketaflow.emergency.tests.conftest import post_break_glass
from ketaflow.patients.models import Patient

pytestmark = pytest.mark.django_db

REASON = "Collapsed at our clinic, needs her medication list now"


def _ask(actor: Any, clinic: Any, **kw: Any) -> EmergencyGrant:
    fields: dict[str, Any] = {
        "clinic_id": clinic.pk,
        "date_of_birth": date(1985, 4, 12),
        "mrn": "KF-000001",
        "kind": "acute",
        "reason": REASON,
        **kw,
    }
    return services.request_grant(actor, now=timezone.now(), **fields)


def _denied(actor: Any) -> list[str]:
    return [
        e.detail["why"]
        for e in AccessEvent.objects.filter(actor=actor, action=Action.DENIED).order_by("pk")
    ]


def test_people_not_designated_are_refused(
    clinic: Any, sister_clinic: Any, patient: Any, signed_in: Any
) -> None:
    from ketaflow.emergency.tests.conftest import _user

    undesignated = _user(sister_clinic, "nate", "nurse")
    desk = _user(sister_clinic, "fred", "front_desk", may_break_glass=True)  # role never may
    researcher = _user(sister_clinic, "rex", "researcher", may_break_glass=True)
    for person in (undesignated, desk, researcher):
        with pytest.raises(PermissionDenied):
            _ask(person, clinic)
        assert _denied(person) == ["not designated"]
    client = signed_in(undesignated)
    assert client.get("/emergency/").status_code == 403
    assert post_break_glass(client, clinic).status_code == 403
    assert _denied(undesignated) == ["not designated", "not designated"]
    assert not EmergencyGrant.objects.exists()


def test_a_designated_person_whose_clinic_has_no_organisation_is_refused(
    outsider: Any, patient: Any
) -> None:
    outsider.may_break_glass = True
    outsider.save()
    with pytest.raises(PermissionDenied):
        _ask(outsider, patient.clinic)
    assert _denied(outsider) == ["not designated"]


def test_a_clinic_outside_the_organisation_can_never_be_reached(
    sister_nurse: Any, other_clinic: Any, outsider_patient: Any, signed_in: Any
) -> None:
    with pytest.raises(PermissionDenied):
        _ask(sister_nurse, other_clinic, date_of_birth=date(1979, 1, 2))
    response = post_break_glass(signed_in(sister_nurse), other_clinic, date_of_birth="1979-01-02")
    assert response.status_code == 403
    assert _denied(sister_nurse) == ["another organisation", "another organisation"]
    # nor a clinic of another organisation
    from ketaflow.accounts.models import Organisation

    elsewhere = Organisation.objects.create(name="Elsewhere", slug="elsewhere")
    other_clinic.organisation = elsewhere
    other_clinic.save()
    with pytest.raises(PermissionDenied):
        _ask(sister_nurse, other_clinic, date_of_birth=date(1979, 1, 2))
    with pytest.raises(PermissionDenied):
        _ask(sister_nurse, Clinic(pk=999_999))
    assert not EmergencyGrant.objects.exists()


def test_no_reason_is_refused(clinic: Any, sister_nurse: Any, patient: Any, signed_in: Any) -> None:
    for kw in ({"reason": ""}, {"reason": "urgent"}, {"kind": "whim"}):
        with pytest.raises(ValidationError):
            _ask(sister_nurse, clinic, **kw)
    page = post_break_glass(signed_in(sister_nurse), clinic, reason="   ")
    assert page.status_code == 200 and "at least 20 characters" in page.content.decode()
    assert _denied(sister_nurse) == ["no reason"] * 4
    assert not EmergencyGrant.objects.exists()


def test_identifiers_must_name_exactly_one_patient(
    clinic: Any, sister_nurse: Any, patient: Any, front_desk: Any, signed_in: Any
) -> None:
    with pytest.raises(ValidationError):
        _ask(sister_nurse, clinic, mrn="KF-000002")  # right birthday, wrong MRN
    with pytest.raises(ValidationError):
        _ask(sister_nurse, clinic, date_of_birth=date(1985, 4, 13))
    with pytest.raises(ValidationError):
        _ask(sister_nurse, clinic, mrn="", family_name="Do")  # no partial names
    Patient.objects.create(
        clinic=clinic,
        mrn="KF-000009",
        given_name="John",
        family_name="Doe",
        date_of_birth=date(1985, 4, 12),
        sex_at_birth="male",
        created_by=front_desk,
    )
    with pytest.raises(ValidationError):  # two Does born that day: the MRN is needed
        _ask(sister_nurse, clinic, mrn="", family_name="Doe")
    page = post_break_glass(signed_in(sister_nurse), clinic, mrn="KF-0000")
    assert "No single patient" in page.content.decode()
    assert _denied(sister_nurse) == ["patient not found"] * 5
    assert not EmergencyGrant.objects.exists()
    # The exact identifiers do find her: family name (any case, accents aside) with the MRN.
    assert _ask(sister_nurse, clinic, mrn="kf-000001").patient == patient


def test_by_family_name_and_date_of_birth(clinic: Any, sister_nurse: Any, patient: Any) -> None:
    assert _ask(sister_nurse, clinic, mrn="", family_name=" DOE ").patient == patient


def test_ones_own_clinic_is_not_break_glass(
    sister_clinic: Any, sister_nurse: Any, sister_patient: Any
) -> None:
    with pytest.raises(ValidationError):
        _ask(sister_nurse, sister_clinic, mrn="LK-000042", date_of_birth=date(1990, 6, 1))
