"""Fixtures for the home dose diary: a course, a take-home authorisation and supply, links.

The supply is written straight to `dispensing.Supply` (with its authorisation): the dispensing
app's services are built on another branch, and these tests are about the diary, not about
dispensing's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client

BASE = "http://testserver/"


@pytest.fixture
def today(clinic: Any) -> date:
    from ketaflow.lib.clock import clinic_today

    return clinic_today(clinic)


@pytest.fixture
def staff_emails(nurse: Any, prescriber: Any) -> list[str]:
    nurse.email = "nina@riverside.example"
    nurse.save()
    prescriber.email = "paul@riverside.example"
    prescriber.save()
    return [nurse.email, prescriber.email]


@pytest.fixture
def course(prescriber: Any, patient: Any, today: date) -> Any:
    from ketaflow.courses.services import adopt_builtin_protocols, start_course

    protocols = {p.code: p for p in adopt_builtin_protocols(prescriber)}
    return start_course(
        prescriber, patient, protocols["iv-racemic"], started_on=today - timedelta(days=30)
    )


def at(day: date, hour: int, clinic: Any) -> datetime:
    from ketaflow.lib.clock import at_clinic

    return at_clinic(day, time(hour, 0), clinic)


@pytest.fixture
def supply(prescriber: Any, nurse: Any, patient: Any, course: Any, clinic: Any, today: date) -> Any:
    """50 mg (2 x 25 mg troches) every 2 days; 10 troches dispensed 8 days ago: 5 doses, on
    days -8, -6, -4, -2 and today (`clinical/take_home.py`: from the day dispensed)."""
    from ketaflow.dispensing.models import Supply, TakeHomeAuthorisation

    authorised = at(today - timedelta(days=9), 9, clinic)
    auth = TakeHomeAuthorisation.objects.create(
        clinic=clinic,
        patient=patient,
        course=course,
        product="Ketamine 25 mg troche",
        dosage_form="troche",
        strength_mg=25,
        units_per_dose=2,
        dose_interval_days=2,
        days_per_supply=10,
        refills_allowed=1,
        written_on=authorised.date(),
        expires_on=today + timedelta(days=150),
        reason="Oral maintenance after 6 supervised doses.",
        warning_acknowledged=True,
        supervised_doses=6,
        supervised_required=4,
        authorised_by=prescriber,
        authorised_at=authorised,
    )
    return Supply.objects.create(
        clinic=clinic,
        authorisation=auth,
        course=course,
        patient=patient,
        fill_number=0,
        product=auth.product,
        dosage_form=auth.dosage_form,
        strength_mg=25,
        quantity=10,
        days_supply=10,
        lot="LOT-42",
        expires_on=today + timedelta(days=300),
        storage_acknowledged=True,
        no_driving_acknowledged=True,
        acknowledgement_version="v1",
        dispensed_at=at(today - timedelta(days=8), 11, clinic),
        dispensed_by=nurse,
        witnessed_by=prescriber,
    )


@pytest.fixture
def issue(nurse: Any) -> Callable[..., Any]:
    from ketaflow.portal.services import issue_link

    def make(patient: Any, **kw: Any) -> Any:
        return issue_link(nurse, patient, base_url=BASE, instruments=(), **kw)

    return make


@pytest.fixture
def second_patient(clinic: Any, front_desk: Any) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.create(
        clinic=clinic,
        mrn="KF-000002",
        given_name="Zebedee",
        family_name="Quennell",
        date_of_birth=date(1970, 1, 1),
        sex_at_birth="male",
        created_by=front_desk,
    )


def diary_path(issued: Any, part: str = "diary") -> str:
    return f"/p/q/{issued.token}/{part}/"


CALM = {"dose_mg": "50", "detached": "1", "drowsy": "1"}


def entry_data(**kw: Any) -> dict[str, Any]:
    """What the patient's phone posts (time empty: now)."""
    return {**CALM, **{k: str(v) for k, v in kw.items()}}


@pytest.fixture
def portal_client() -> Client:
    return Client()
