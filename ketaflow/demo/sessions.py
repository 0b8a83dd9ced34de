"""Today's treatment sessions in the main demo clinic, so the chair board has something live.

THESE DEPEND ON THE TIME THE SEED RUNS, by nature: "live" means live at the moment of seeding.
When the courses are first seeded, five of today's sessions are booked and run through the
treatment services, one per chair and phase:

- Chair 1, KF-000014 (IV, session 1): infusing; baseline and one in-session reading whose BP
  rise raises an alert, left unacknowledged;
- Chair 2, KF-000001 (IV, maintenance): paused for nausea (a side effect and a note);
- Chair 3, KF-000010 (esketamine 56 mg, two devices): dosing complete, observing, with
  CADSS, MOAA/S and a mild dissociation;
- Chair 4, KF-000007 (IV, session 1): checklist complete, ready to dose;
- Quiet room, KF-000002 (SC, session 1): checked in, checklist incomplete (no escort yet;
  the portal seed's open risk alert on this patient also blocks the start until a
  prescriber records a suicide risk assessment).

Everything is written on the real clock, as a nurse at the chair would: check-in, checklist,
baseline vitals, the prescriber's confirmed order, then the events. Nothing is back-dated and
no clock is moved, so every rule runs as in the clinic (the checklist's eligibility and
consent gates included: the demo's sign-offs are stamped at the real time of seeding, so no
session can honestly have started before the seed ran — the infusion starts "now", and the
board's delivered dose and timers move on from there).

Outside the opening hours (a weekend, 3 a.m., late afternoon when the sessions would run past
closing) the clinic admin first adds an EXTRA OPENING around now, through the same service a
clinic uses for a Saturday clinic or an evening list, clearly labelled (`DEMO_OPENING_REASON`)
and shown on the set-up page, so a demo seeded at any time shows live sessions. On one of
the clinic's closed days (the demo's staff training day) none are made and the seed says why.
Nothing is added on a later run (the courses already exist). Today's appointments are booked
before the courses' future series, so the series are spaced from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.courses.models import Appointment
from ketaflow.courses.opening_hours import closure_on, fits, open_windows_on
from ketaflow.lib.clock import local
from ketaflow.patients.models import Measurement
from ketaflow.questionnaires.services import record_response
from ketaflow.treatments import services
from ketaflow.treatments.models import TreatmentSession

WAITING, READY, INFUSING, PAUSED, OBSERVING = "waiting", "ready", "infusing", "paused", "observing"

# The dosing patients arrived 30 min before the seed; the longest session holds its chair
# 165 min from arrival. The clinic must be open over this span around now, else the demo adds
# an extra opening for exactly it.
ARRIVED_BEFORE = timedelta(minutes=30)
OPEN_BEFORE = timedelta(hours=1)
OPEN_AFTER = timedelta(hours=4)
DEMO_OPENING_REASON = "Demo: extra opening so the chair board has live sessions"
CONCENTRATION_MG_PER_ML = 1.0  # the IV bag: 1 mg/mL


@dataclass(frozen=True)
class LiveSession:
    mrn: str
    chair: str
    phase: str  # WAITING, INFUSING, PAUSED or OBSERVING


LIVE: tuple[LiveSession, ...] = (
    LiveSession("KF-000014", "Chair 1", INFUSING),
    LiveSession("KF-000001", "Chair 2", PAUSED),
    LiveSession("KF-000010", "Chair 3", OBSERVING),
    LiveSession("KF-000007", "Chair 4", READY),
    LiveSession("KF-000002", "Quiet room", WAITING),
)


@dataclass(frozen=True)
class LivePlan:
    """Where and when today's live sessions are booked (empty, with `reason`, if none).

    `extra_opening` is the span (UTC) the clinic must open for them, when its usual hours
    do not cover it.
    """

    slots: dict[str, tuple[str, datetime]]  # mrn -> (chair name, starts_at)
    reason: str = ""
    extra_opening: tuple[datetime, datetime] | None = None


def live_plan(clinic: Clinic, now: datetime | None = None) -> LivePlan:
    """Today's live slots, with the extra opening they need outside hours, or why none."""
    now = now or timezone.now()
    here = local(now, clinic)
    today = here.date()
    closure = closure_on(clinic.pk, today)
    if closure is not None:
        return LivePlan({}, f"no live sessions on the chair board: closed today ({closure.reason})")
    slot = here.replace(minute=here.minute - here.minute % 5, second=0, microsecond=0)
    slots = {}
    for spec in LIVE:
        arrived = slot if spec.phase in (WAITING, READY) else slot - ARRIVED_BEFORE
        slots[spec.mrn] = (spec.chair, arrived.astimezone(UTC))
    span = ((slot - OPEN_BEFORE).astimezone(UTC), (slot + OPEN_AFTER).astimezone(UTC))
    if fits(open_windows_on(clinic, today), *span):
        return LivePlan(slots)
    return LivePlan(slots, extra_opening=span)


# ---------------------------------------------------------------------------- the sessions


def _fresh(session: TreatmentSession) -> TreatmentSession:
    session.refresh_from_db()
    return session


def _weight_kg(session: TreatmentSession) -> float:
    latest = (
        Measurement.objects.filter(patient_id=session.patient_id, kind=Measurement.Kind.WEIGHT)
        .order_by("-measured_on", "-pk")
        .first()
    )
    assert latest is not None, session.patient
    return float(round(latest.value))  # whole kg, as the scale shows it


def _call(fn: Callable[..., Any], actor: User, session: TreatmentSession, **kw: Any) -> Any:
    """One service write at the session's current version."""
    return fn(actor, session, _fresh(session).version, **kw)


def _prepare(session: TreatmentSession, nurse: User, *, escort: bool = True) -> None:
    """Pre-session questionnaire, baseline vitals and the nurse's checklist answers."""
    now = timezone.now()
    patient = session.patient
    record_response(
        nurse,
        patient,
        "gad7",
        answers=[1, 1, 2, 1, 1, 1, 1],
        context="pre_session",
        administered_at=now,
        rater="self",
    )
    _call(services.record_vitals, nurse, session, sbp=124, dbp=80, hr=72, spo2=98, rr=14)
    _call(services.record_scale, nurse, session, instrument="moaas", answers=[5])
    _call(
        services.save_checklist,
        nurse,
        session,
        last_food_at=now - timedelta(hours=8),
        last_clear_liquid_at=now - timedelta(hours=3),
        escort_name="Alex Example" if escort else "",
        escort_phone="07700 900999" if escort else "",
        medication_changes_reviewed=True,
        alcohol_today=False,
        drugs_today=False,
        intoxication_signs=False,
        weight_kg=_weight_kg(session),
        pregnancy_test_positive=False if patient.can_become_pregnant else None,
    )


def _iv_order(session: TreatmentSession, prescriber: User) -> Any:
    return _call(
        services.enter_order,
        prescriber,
        session,
        mg_per_kg=0.5,
        concentration_mg_per_ml=CONCENTRATION_MG_PER_ML,
        confirm=True,
    )


def _infusing(session: TreatmentSession, nurse: User, prescriber: User) -> None:
    _prepare(session, nurse)
    order = _iv_order(session, prescriber)
    _call(
        services.record_administration,
        nurse,
        session,
        kind="start",
        rate_ml_per_h=order.rate_ml_per_h,
    )
    # A rise of 40/26 mmHg from the baseline: the label's marked-elevation alert, not yet seen.
    _call(services.record_vitals, nurse, session, sbp=164, dbp=106, hr=88, spo2=97, rr=16)


def _paused(session: TreatmentSession, nurse: User, prescriber: User) -> None:
    _prepare(session, nurse)
    order = _iv_order(session, prescriber)
    _call(
        services.record_administration,
        nurse,
        session,
        kind="start",
        rate_ml_per_h=order.rate_ml_per_h,
    )
    _call(services.record_vitals, nurse, session, sbp=132, dbp=84, hr=80, spo2=98, rr=15)
    _call(services.record_side_effect, nurse, session, kind="nausea", severity="mild")
    _call(
        services.record_administration,
        nurse,
        session,
        kind="pause",
        note="Paused for nausea; resume when settled.",
    )
    _call(
        services.add_note,
        nurse,
        session,
        text="Nauseous a few minutes into the infusion: pump paused, sips of water.",
    )


def _observing(session: TreatmentSession, nurse: User, prescriber: User) -> None:
    _prepare(session, nurse)
    _call(services.enter_order, prescriber, session, dose_mg=56, confirm=True)
    for device in (1, 2):
        _call(
            services.record_administration,
            nurse,
            session,
            kind="bolus",
            bolus_mg=28,
            note=f"Device {device} of 2 (28 mg)",
        )
    _call(services.complete_dosing, nurse, session)
    _call(services.record_vitals, nurse, session, sbp=134, dbp=86, hr=78, spo2=98, rr=14)
    _call(services.record_scale, nurse, session, instrument="cadss", answers=[1] * 6 + [0] * 17)
    _call(services.record_scale, nurse, session, instrument="moaas", answers=[4])
    _call(
        services.record_side_effect,
        nurse,
        session,
        kind="dissociation",
        severity="mild",
        notes="Felt 'floaty'; reassured.",
    )


def _waiting(session: TreatmentSession, nurse: User, prescriber: User) -> None:
    _prepare(session, nurse, escort=False)  # the escort's details are still to come


def _ready(session: TreatmentSession, nurse: User, prescriber: User) -> None:
    _prepare(session, nurse)  # every item answered: ready for the prescriber's order


RUN = {
    INFUSING: _infusing,
    PAUSED: _paused,
    OBSERVING: _observing,
    READY: _ready,
    WAITING: _waiting,
}


def run_live(appointments: dict[str, Appointment], users: dict[str, User], note: Any) -> None:
    """Check in today's live appointments and take each to its phase (real clock)."""
    nurse, prescriber = users["nurse"], users["prescriber"]
    for spec in LIVE:
        appointment = appointments.get(spec.mrn)
        if appointment is None:
            continue
        session = services.check_in(nurse, appointment)
        RUN[spec.phase](session, nurse, prescriber)
        note(f"live session on {spec.chair}: {spec.mrn} {spec.phase}")
