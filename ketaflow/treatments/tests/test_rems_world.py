"""An esketamine session world for the REMS-style record tests, and a check that it holds.

`esketamine_session(...)` builds, through the real services, a 56 mg SPRAVATO session: two
devices 5 minutes apart, BP before dosing / at 40 min / before discharge, MOAA/S 3 then 5,
CADSS 0 / 12 / 0, nausea, a lot in the controlled-substance log, discharge with an escort
after 2 h 15 min, and (unless `sign=False`) the prescriber's signature.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.treatments.tests.conftest import ago, complete_checklist, fresh

pytestmark = pytest.mark.django_db

FIRST_DEVICE_AGO = 140  # minutes before "now"


def esketamine_course(prescriber: Any, patient: Any, protocols: dict[str, Any]) -> Any:
    from ketaflow.courses.services import start_course

    return start_course(
        prescriber, patient, protocols["esketamine-label"], started_on=timezone.localdate()
    )


def esketamine_checked_in(nurse: Any, course: Any, chair: Any, prescriber: Any) -> Any:
    from ketaflow.courses.models import Appointment
    from ketaflow.treatments.services import check_in

    start = timezone.now() - timedelta(hours=3)
    appt = Appointment.objects.create(
        course=course,
        chair=chair,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        session_number=1,
        phase="induction",
        created_by=prescriber,
    )
    return check_in(nurse, appt)


def esketamine_session(
    nurse: Any,
    prescriber: Any,
    session: Any,
    *,
    dose: bool = True,
    sign: bool = True,
    lot: bool = True,
) -> Any:
    """Run `session` (checked in, gates open) through a whole 56 mg esketamine session."""
    from ketaflow.treatments import services

    t0 = FIRST_DEVICE_AGO
    session = complete_checklist(nurse, session, baseline_at=t0 + 10)
    services.save_checklist(
        nurse,
        session,
        fresh(session).version,
        last_food_at=ago(60 * 9),
        last_clear_liquid_at=ago(60 * 4),
        escort_name="Sam Doe",
        escort_phone="07700 900123",
        medication_changes_reviewed=True,
        taken_today=["benzodiazepine"],
        weight_kg=70,
        pregnancy_test_positive=False,
    )
    services.enter_order(prescriber, session, fresh(session).version, dose_mg=56, confirm=True)
    if not dose:
        return fresh(session)
    for minutes in (t0, t0 - 5):
        services.record_administration(
            nurse, session, fresh(session).version, kind="bolus", bolus_mg=28, at=ago(minutes)
        )
    services.complete_dosing(nurse, session, fresh(session).version)

    def vitals(at: float, sbp: float, dbp: float, spo2: float = 98) -> None:
        services.record_vitals(
            nurse,
            session,
            fresh(session).version,
            sbp=sbp,
            dbp=dbp,
            hr=76,
            spo2=spo2,
            rr=14,
            taken_at=ago(at),
        )

    def scale(code: str, answers: list[int], at: float) -> None:
        services.record_scale(
            nurse,
            session,
            fresh(session).version,
            instrument=code,
            answers=answers,
            administered_at=ago(at),
        )

    scale("cadss", [0] * 23, t0 + 8)
    vitals(t0 - 41, 150, 92)  # ~40 min: BP up
    scale("moaas", [3], t0 - 45)
    scale("cadss", [1] * 12 + [0] * 11, t0 - 45)
    vitals(t0 - 60, 138, 84)
    vitals(t0 - 90, 128, 80)
    scale("moaas", [5], t0 - 90)
    scale("cadss", [0] * 23, t0 - 90)
    services.record_side_effect(
        nurse,
        session,
        fresh(session).version,
        kind="nausea",
        severity="mild",
        onset_at=ago(t0 - 20),
    )
    effect = fresh(session).side_effects.get()
    services.resolve_side_effect(nurse, session, fresh(session).version, effect.pk)
    if lot:
        services.record_cs_log(
            nurse,
            session,
            fresh(session).version,
            lot="ESK-LOT-4711",
            drawn_mg=56,
            wasted_mg=0,
            witness=prescriber,
        )
    vitals(5, 124, 79)
    scale("moaas", [5], 5)
    services.record_discharge(
        nurse,
        session,
        fresh(session).version,
        aldrete_score=10,
        dissociation_resolved=True,
        escort_present=True,
        told_not_to_drive=True,
        discharge=True,
    )
    if sign:
        services.sign_session(prescriber, session, fresh(session).version)
    return fresh(session)


@pytest.fixture
def esk_checked_in(
    gates_open: None, nurse: Any, prescriber: Any, patient: Any, protocols: Any, chair: Any
) -> Any:
    course = esketamine_course(prescriber, patient, protocols)
    return esketamine_checked_in(nurse, course, chair, prescriber)


def test_the_world_is_a_signed_56_mg_esketamine_session(
    esk_checked_in: Any, nurse: Any, prescriber: Any
) -> None:
    s = esketamine_session(nurse, prescriber, esk_checked_in)
    assert s.route == "intranasal" and s.status == "signed"
    assert [e.bolus_mg for e in s.events.all()] == [28, 28]
    assert s.cs_entries.get().lot == "ESK-LOT-4711"
