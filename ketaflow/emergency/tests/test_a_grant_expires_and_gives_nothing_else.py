"""A grant lasts its clinic's minutes and then stops; it opens the emergency view and nothing
else: every normal page and API call about the patient stays "not found", nothing is writable,
and the view is the grant holder's alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from ketaflow.audit.models import AccessEvent, Action
from ketaflow.emergency import selectors, services
from ketaflow.emergency.models import EmergencyGrant
from ketaflow.lib.tests.api_client import call
from ketaflow.patients.models import Allergy, Patient

pytestmark = pytest.mark.django_db


def _grant(nurse: Any, patient: Any) -> EmergencyGrant:
    return services.request_grant(
        nurse,
        clinic_id=patient.clinic_id,
        date_of_birth=patient.date_of_birth,
        mrn=patient.mrn,
        kind="covering",
        reason="Covering Riverside's evening clinic, their staff are away",
        now=timezone.now(),
    )


def test_the_view_stops_when_the_grant_expires(
    clinic: Any, sister_nurse: Any, patient: Any, signed_in: Any, clock: Any
) -> None:
    start = timezone.now()
    clinic_of_nurse = sister_nurse.clinic
    clinic_of_nurse.emergency_access_minutes = 30
    clinic_of_nurse.save()
    grant = _grant(sister_nurse, patient)
    assert grant.expires_at == grant.granted_at + timedelta(minutes=30)
    client = signed_in(sister_nurse)
    clock(start + timedelta(minutes=20))
    page = client.get(f"/emergency/{grant.pk}/").content.decode()
    assert "10 minutes left" in page and "Jane Doe" in page
    clock(start + timedelta(minutes=30, seconds=1))
    expired = client.get(f"/emergency/{grant.pk}/")
    assert expired.status_code == 403
    assert "expired" in expired.content.decode() and "Jane Doe" not in expired.content.decode()
    with pytest.raises(selectors.GrantExpired):
        selectors.emergency_view(sister_nurse, grant.pk, timezone.now())
    denied = AccessEvent.objects.filter(actor=sister_nurse, action=Action.DENIED).get()
    assert denied.detail["asked_for"] == {"pk": str(grant.pk)}
    views = AccessEvent.objects.filter(actor=sister_nurse, action=Action.VIEW, patient=patient)
    assert views.count() == 1  # the one read before the expiry


def test_a_withdrawn_designation_ends_the_grant_at_once(
    clinic: Any, sister_nurse: Any, patient: Any, signed_in: Any
) -> None:
    grant = _grant(sister_nurse, patient)
    sister_nurse.may_break_glass = False
    sister_nurse.save()
    assert signed_in(sister_nurse).get(f"/emergency/{grant.pk}/").status_code == 403


def test_the_view_is_the_grant_holders_alone(
    clinic: Any, sister_clinic: Any, sister_nurse: Any, patient: Any, nurse: Any, signed_in: Any
) -> None:
    from ketaflow.emergency.tests.conftest import _user

    grant = _grant(sister_nurse, patient)
    colleague = _user(sister_clinic, "lou", "prescriber", may_break_glass=True)
    for person in (colleague, nurse):
        assert signed_in(person).get(f"/emergency/{grant.pk}/").status_code == 404
    holder = signed_in(sister_nurse)
    assert holder.post(f"/emergency/{grant.pk}/").status_code == 405  # read-only


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith(("admin/", "api/")):
                continue
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


_PATIENT = re.compile(r"<int:(patient_pk|patient_id)>")
_CONVERTER = re.compile(r"<[^>]+>")


def patient_pages(patient_id: int) -> list[str]:
    """Every page address that names only a patient (and perhaps a chart kind)."""
    found = []
    for route in _routes(get_resolver().url_patterns):
        if route.startswith("emergency/"):
            continue
        path = _PATIENT.sub(str(patient_id), route)
        if route.startswith("patients/<int:pk>/"):
            path = path.replace("<int:pk>", str(patient_id), 1)
        path = path.replace("<slug:kind>", "allergies")
        if path != route and not _CONVERTER.search(path):
            found.append("/" + path)
    return found


def test_every_normal_page_of_the_patient_stays_not_found_under_a_grant(
    clinic: Any, sister_nurse: Any, patient: Any, signed_in: Any
) -> None:
    from ketaflow.accounts.models import User

    prescriber = User.objects.create(
        username="lpres", role="prescriber", clinic=sister_nurse.clinic, may_break_glass=True
    )
    pages = patient_pages(patient.pk)
    assert len(pages) >= 10 and f"/patients/{patient.pk}/chart/" in pages
    allergies = Allergy.objects.count()
    for person in (sister_nurse, prescriber):
        _grant(person, patient)
        client = signed_in(person)
        for page in pages:
            assert client.get(page).status_code in (403, 404, 405), page  # 405: POST-only
            assert client.post(page, {"substance": "Latex"}).status_code in (403, 404, 405), page
        for method, path, body in (
            ("GET", f"/patients/{patient.pk}", None),
            ("GET", f"/patients/{patient.pk}/chart", None),
            (
                "PATCH",
                f"/patients/{patient.pk}",
                {"phone": "0", "reason": "Phone number corrected"},
            ),
            ("POST", f"/patients/{patient.pk}/allergies", {"substance": "Latex"}),
        ):
            assert call(client, method, path, body).status_code in (404, 405), path
    assert Allergy.objects.count() == allergies
    assert Patient.objects.get(pk=patient.pk).phone == ""
