"""A patient with something of everything the FHIR export maps, built through the services.

Reuses the treatment-session fixtures (`ketaflow/treatments/tests/conftest.py`) for a
discharged IV session; adds chart entries (one struck in error), a withdrawn consent, scales
of each licence kind, a resting BP, a bolus, a struck administration line and a
controlled-substance log entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone

from ketaflow.treatments.tests.conftest import (  # noqa: F401  (fixtures)
    appointment,
    chair,
    checked_in,
    course,
    discharged,
    gates_open,
    observing,
    ordered,
    protocols,
    ready,
)

ago = lambda minutes: timezone.now() - timedelta(minutes=minutes)  # noqa: E731


@pytest.fixture(autouse=True)
def _export_dir(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.KETAFLOW_EXPORT_DIR = str(tmp_path / "exports")
    yield


def start_and_run(actor: Any, fmt: str) -> Any:
    """`start_export`, then its job, queued on commit, run (tests run jobs where queued)."""
    from ketaflow.fhir.services import start_export

    with TestCase.captureOnCommitCallbacks(execute=True):
        job = start_export(actor, fmt)
    job.refresh_from_db()
    return job


@dataclass
class World:
    patient: Any
    session: Any
    entries: dict[str, Any]
    responses: dict[str, Any]
    consents: list[Any]
    bolus: Any
    struck: Any
    resting_bp: Any


def _chart(prescriber: Any, patient: Any) -> dict[str, Any]:
    from ketaflow.patients.services import add_entry, mark_entered_in_error

    entries = {
        "gad": add_entry(
            prescriber,
            patient,
            "diagnoses",
            {
                "code": "F41.1",
                "is_primary": True,
                "onset": timezone.now().date().replace(year=2019),
            },
        ),
        "other_dx": add_entry(
            prescriber,
            patient,
            "diagnoses",
            {"code": "other", "other_code": "F43.22", "description": "Adjustment disorder"},
        ),
        "wrong_dx": add_entry(prescriber, patient, "diagnoses", {"code": "F41.0"}),
        "sertraline": add_entry(
            prescriber,
            patient,
            "medications",
            {"name": "sertraline", "dose": "100 mg daily", "classes": ["antidepressant"]},
        ),
        "penicillin": add_entry(
            prescriber,
            patient,
            "allergies",
            {"substance": "penicillin", "reaction": "rash", "severity": "moderate"},
        ),
        "height": add_entry(
            prescriber,
            patient,
            "measurements",
            {
                "kind": "height",
                "entered_value": 168,
                "entered_unit": "cm",
                "measured_on": timezone.now().date(),
            },
        ),
    }
    mark_entered_in_error(prescriber, entries["wrong_dx"], "Wrong patient")
    entries["wrong_dx"].refresh_from_db()
    return entries


def _consents(prescriber: Any, clinic_admin: Any, nurse: Any, patient: Any) -> list[Any]:
    from ketaflow.screening.models import ConsentDocument
    from ketaflow.screening.services import record_signature, withdraw_consent

    # Made directly: publishing refuses a version that took effect in the past.
    ConsentDocument.objects.create(
        clinic_id=patient.clinic_id,
        version=1,
        title="Ketamine treatment consent",
        body="You agree to ketamine treatment after hearing its risks, benefits and options.",
        effective_from=ago(60 * 24 * 30),
        created_by=clinic_admin,
    )
    first = record_signature(
        nurse, patient, typed_name="Jane Doe", method="in_person", signed_at=ago(60 * 24 * 20)
    )
    withdrawn = withdraw_consent(nurse, first, reason="Changed her mind")
    second = record_signature(
        nurse, patient, typed_name="Jane Doe", method="in_person", signed_at=ago(60 * 24 * 10)
    )
    return [withdrawn, second]


def _responses(nurse: Any, prescriber: Any, patient: Any) -> dict[str, Any]:
    from ketaflow.questionnaires.services import record_response

    def rec(code: str, **kw: Any) -> Any:
        rater = kw.pop("rater", "clinician")
        return record_response(
            prescriber,
            patient,
            code,
            context="baseline",
            administered_at=ago(60 * 24 * 5),
            rater=rater,
            **kw,
        )

    return {
        "gad7": rec("gad7", answers=[1, 1, 1, 1, 0, 1, 2], rater="self"),
        "phq9": rec("phq9", answers=[2, 2, 2, 2, 1, 1, 2, 0, 0, 1], rater="self"),
        "hama": rec("hama", answers=[2] * 14),
        "ybocs": rec("ybocs", total=20),
        "pdss": rec("pdss", total=12, agoraphobia=True),
        "cssrs": rec("cssrs", risk="low"),
    }


@pytest.fixture
def world(
    discharged: Any,  # noqa: F811
    nurse: Any,
    prescriber: Any,
    clinic_admin: Any,
) -> World:
    """Jane Doe: chart, consents, scales, and a discharged IV session with extra lines."""
    from ketaflow.screening.services import record_observation
    from ketaflow.treatments.models import AdministrationEvent, EventKind
    from ketaflow.treatments.services import record_cs_log

    session = discharged
    patient = session.patient
    entries = _chart(prescriber, patient)
    consents = _consents(prescriber, clinic_admin, nurse, patient)
    responses = _responses(nurse, prescriber, patient)
    resting = record_observation(
        nurse, patient, kind="resting_bp", observed_at=ago(60 * 24 * 6), systolic=128, diastolic=82
    )
    record_cs_log(
        nurse,
        session,
        session.version,
        lot="LOT-2026-A",
        drawn_mg=50,
        wasted_mg=15,
        witness=prescriber,
    )
    # Lines the services refuse after the stop, written as the record would hold them: a
    # bolus and a start struck in error (the correction path is tested in treatments).
    start = session.events.get(kind="start")
    bolus = AdministrationEvent.objects.create(
        session=session,
        kind=EventKind.BOLUS,
        at=start.at + timedelta(minutes=1),
        bolus_mg=5,
        recorded_by=nurse,
    )
    struck = AdministrationEvent.objects.create(
        session=session,
        kind=EventKind.START,
        at=start.at - timedelta(minutes=2),
        rate_ml_per_h=80,
        recorded_by=nurse,
        entered_in_error_at=start.at,
        entered_in_error_by=nurse,
        entered_in_error_reason="Wrong pump channel",
    )
    _take_home_supply(session, nurse, prescriber)
    session.refresh_from_db()
    return World(patient, session, entries, responses, consents, bolus, struck, resting)


def _take_home_supply(session: Any, nurse: Any, prescriber: Any) -> Any:
    """A take-home supply (MedicationDispense), written as the log would hold it (the
    dispensing rules are tested in ketaflow/dispensing/tests)."""
    from ketaflow.dispensing.models import Supply, TakeHomeAuthorisation

    today = timezone.localdate()
    auth = TakeHomeAuthorisation.objects.create(
        clinic=session.clinic,
        patient=session.patient,
        course=session.course,
        product="Ketamine HCl 50 mg troche",
        dosage_form="troche",
        strength_mg=50,
        units_per_dose=1,
        dose_interval_days=3,
        days_per_supply=30,
        refills_allowed=1,
        written_on=today,
        expires_on=today + timedelta(days=180),
        reason="Stable after supervised doses",
        warning_acknowledged=True,
        supervised_doses=3,
        supervised_required=3,
        authorised_by=prescriber,
        authorised_at=timezone.now(),
    )
    return Supply.objects.create(
        clinic=session.clinic,
        authorisation=auth,
        course=session.course,
        patient=session.patient,
        fill_number=0,
        product=auth.product,
        dosage_form="troche",
        strength_mg=50,
        quantity=10,
        days_supply=30,
        lot="TH-LOT-1",
        expires_on=today + timedelta(days=365),
        storage_acknowledged=True,
        no_driving_acknowledged=True,
        acknowledgement_version="test",
        dispensed_at=timezone.now(),
        dispensed_by=nurse,
        witnessed_by=prescriber,
    )


def all_resources(world: World) -> list[dict[str, Any]]:
    from ketaflow.fhir import derive
    from ketaflow.fhir.bundle import patient_resources
    from ketaflow.fhir.resources_common import to_json

    return [to_json(r) for r in patient_resources(derive.load(world.patient), timezone.now())]


def by_id(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{r['resourceType']}/{r['id']}": r for r in resources}
