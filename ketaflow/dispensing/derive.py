"""Rows -> the core's inputs for take-home supply (`clinical/take_home.py`).

No permission checks here: the callers (services, selectors) made them.

Safety events of a supervised dose are read from the session's own records, through the
treatments app's derivations so the alert and discharge rules have one home each:
- a severe side effect: `treatments.SideEffect.severity == severe`;
- rescue medication: any `treatments.RescueMedication` row;
- a hard vitals alert: any `AlertLevel.CRITICAL` alert of a reading (`treatments.derive.
  reading_views` -> `clinical.monitoring.assess_in_session`);
- a discharge override: the latest `treatments.DischargeRecord` has prescriber overrides;
- failed discharge criteria: the core's discharge assessment at signing still has blocking
  reasons (`treatments.derive.readiness` -> `clinical.discharge.assess_discharge`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date

from ketaflow.accounts.models import Clinic
from ketaflow.clinical.evidence import ClinicDefault
from ketaflow.clinical.monitoring import AlertLevel
from ketaflow.clinical.take_home import (
    TAKE_HOME_DEFAULTS,
    Dispensed,
    Schedule,
    SupervisedDose,
)
from ketaflow.courses.models import Course, SessionStatus
from ketaflow.dispensing.models import (
    DispensingSettings,
    EntryStatus,
    PdmpCheck,
    ReconciliationLine,
    StockReceipt,
    Supply,
    TakeHomeAuthorisation,
)
from ketaflow.lib.clock import local
from ketaflow.patients.models import Patient
from ketaflow.treatments import derive as sessions
from ketaflow.treatments.models import Severity, TreatmentSession


def supervised_required(clinic: Clinic) -> ClinicDefault[int]:
    """The clinic's N supervised doses (its own setting, else the core's default)."""
    base = TAKE_HOME_DEFAULTS.supervised_doses_required
    row = DispensingSettings.objects.filter(clinic=clinic).first()
    return dataclasses.replace(base, value=row.supervised_doses_required) if row else base


def pdmp_interval(clinic: Clinic) -> ClinicDefault[int]:
    base = TAKE_HOME_DEFAULTS.pdmp_interval_days
    row = DispensingSettings.objects.filter(clinic=clinic).first()
    return dataclasses.replace(base, value=row.pdmp_interval_days) if row else base


def supervised_dose(session: TreatmentSession) -> SupervisedDose:
    """One signed session as the core sees it: its safety events from its records."""
    record = sessions.record_of(session)
    critical = any(
        alert.level is AlertLevel.CRITICAL
        for view in sessions.reading_views(session, record)
        for alert in view.alerts
    )
    last = sessions.latest_discharge(session)
    failed = False
    if session.signed_at is not None:
        ready = sessions.readiness(session, session.signed_at)
        failed = ready is not None and bool(ready.blocking)
    return SupervisedDose(
        session_number=session.session_number,
        severe_side_effect=session.side_effects.filter(severity=Severity.SEVERE).exists(),
        rescue_medication=session.rescues.exists(),
        critical_vitals_alert=critical,
        discharge_overridden=bool(last is not None and last.overrides),
        discharge_criteria_failed=failed,
    )


def supervised_doses(course: Course) -> list[SupervisedDose]:
    """The course's supervised doses: its signed sessions (`courses.SESSION_GIVEN`)."""
    rows = TreatmentSession.objects.filter(course=course, status=SessionStatus.SIGNED).order_by(
        "session_number", "pk"
    )
    return [supervised_dose(s) for s in rows]


def schedule_of(auth: TakeHomeAuthorisation) -> Schedule:
    return Schedule(
        strength_mg=auth.strength_mg,
        units_per_dose=auth.units_per_dose,
        dose_interval_days=auth.dose_interval_days,
        days_per_supply=auth.days_per_supply,
    )


def active_supplies(auth: TakeHomeAuthorisation) -> list[Supply]:
    return list(auth.supplies.filter(status=EntryStatus.ACTIVE).order_by("dispensed_at", "pk"))


def dispensed_of(auth: TakeHomeAuthorisation) -> list[Dispensed]:
    clinic = auth.clinic
    return [
        Dispensed(local(s.dispensed_at, clinic).date(), s.quantity) for s in active_supplies(auth)
    ]


def last_pdmp_check(patient: Patient) -> date | None:
    row = (
        PdmpCheck.objects.filter(patient=patient, status=EntryStatus.ACTIVE)
        .order_by("-checked_on", "-pk")
        .first()
    )
    return row.checked_on if row else None


def book_balance(clinic: Clinic) -> dict[str, int]:
    """Units on the book per lot: received - dispensed + every earlier count's difference.

    A count's difference is applied once it is recorded (the book then agrees with the count);
    the discrepancy stays open on its line until it is explained.
    """
    balance: dict[str, int] = defaultdict(int)
    for lot, qty in StockReceipt.objects.filter(
        clinic=clinic, status=EntryStatus.ACTIVE
    ).values_list("lot", "quantity"):
        balance[lot] += qty
    for lot, qty in Supply.objects.filter(clinic=clinic, status=EntryStatus.ACTIVE).values_list(
        "lot", "quantity"
    ):
        balance[lot] -= qty
    for lot, expected, counted in ReconciliationLine.objects.filter(
        reconciliation__clinic=clinic
    ).values_list("lot", "expected", "counted"):
        balance[lot] += counted - expected
    return dict(balance)


def lot_receipt(clinic: Clinic, lot: str) -> StockReceipt | None:
    """The first active receipt of a lot (its product, strength and expiry)."""
    return (
        StockReceipt.objects.filter(clinic=clinic, lot=lot, status=EntryStatus.ACTIVE)
        .order_by("received_at", "pk")
        .first()
    )
