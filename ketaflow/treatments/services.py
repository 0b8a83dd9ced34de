"""Writes for treatment sessions: permission → version check → validation → one transaction → audit.

Every write takes the `version` of the session the user saw. If the session has moved on
since (someone else wrote to it), the write is refused with `VersionConflict` ("someone else
changed this session at HH:MM — reload"), so two nurses at one chair never overwrite each
other. A signed session is locked (`SessionLocked`): later changes are `amend` with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical import administration as adm
from ketaflow.clinical.discharge import DischargeReadiness, Override
from ketaflow.clinical.dosing import (
    HardLimitExceeded,
    SoftLimitOverride,
    SoftLimitWarning,
    WeightBasis,
    confirm_overrides,
    esketamine_dose,
    racemic_dose,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import Alert, VitalSigns
from ketaflow.clinical.protocols import NextStep
from ketaflow.clinical.routes import Route, Sex
from ketaflow.courses.clock import local
from ketaflow.courses.followup import follow_up
from ketaflow.courses.models import Appointment, AppointmentStatus
from ketaflow.courses.services import set_appointment_status
from ketaflow.patients.models import Measurement
from ketaflow.patients.services import add_entry
from ketaflow.questionnaires.models import Context, InstrumentResponse, RaterKind
from ketaflow.questionnaires.services import record_response
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    AdministrationEvent,
    AlertAck,
    ChecklistAnswers,
    ControlledSubstanceLog,
    DischargeRecord,
    DoseOrder,
    EventKind,
    NoteKind,
    OrderStatus,
    RescueMedication,
    SessionNote,
    SessionStatus,
    Severity,
    SideEffect,
    SideEffectKind,
    TreatmentSession,
    VitalsReading,
)

FUTURE_TOLERANCE = timedelta(minutes=2)
BALANCE_TOLERANCE_MG = 0.05
SESSION_SCALES = ("cadss6", "cadss", "moaas", "aldrete", "padss")


class SessionConflict(Exception):
    """The write cannot apply to the session as it is now (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VersionConflict(SessionConflict):
    pass


class SessionLocked(SessionConflict):
    pass


def _require(actor: User, capability: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied(f"Your role cannot do this ({capability}).")


def _invalid(exc: ClinicalInputError, field: str | None = None) -> ValidationError:
    return ValidationError({field or exc.field or "__all__": [exc.message]})


def _lock(
    actor: User, session: TreatmentSession, version: int, *, allow_signed: bool = False
) -> TreatmentSession:
    """The session row locked for this transaction, at the version the user saw."""
    try:
        row = (
            TreatmentSession.objects.select_for_update()
            .select_related("patient__clinic", "protocol_version", "appointment", "course")
            .get(pk=session.pk, clinic_id=actor.clinic_pk)
        )
    except TreatmentSession.DoesNotExist:
        from django.http import Http404

        raise Http404("No such session in your clinic.") from None
    if row.version != version:
        when = local(row.updated_at, row.patient.clinic)
        who = f" ({row.updated_by})" if row.updated_by_id else ""
        raise VersionConflict(
            f"Someone else{who} changed this session at {when:%H:%M} — reload to see their "
            f"change, then try again (you saw version {version}, it is now {row.version})."
        )
    if row.is_signed and not allow_signed:
        raise SessionLocked(
            "This session is signed and locked: record a change as an amendment with a reason."
        )
    return row


def _touch(session: TreatmentSession, actor: User, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(session, name, value)
    session.version += 1
    session.updated_by = actor
    session._history_user = actor  # type: ignore[attr-defined]
    session.save()


def _audit(
    actor: User, session: TreatmentSession, what: str, obj: Any = None, **detail: Any
) -> None:
    record_event(
        actor=actor,
        action=Action.UPDATE if obj is None else Action.CREATE,
        obj=obj or session,
        patient_id=session.patient_id,
        clinic_id=session.clinic_id,
        detail={"session": session.pk, "what": what, **detail},
    )


def _when(session: TreatmentSession, at: datetime | None, field: str = "at") -> datetime:
    when = at or timezone.now()
    if timezone.is_naive(when):
        raise ValidationError({field: ["Give a time with its time zone."]})
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: ["This is in the future."]})
    if when < session.checked_in_at - timedelta(hours=12):
        raise ValidationError({field: ["This is long before the patient checked in."]})
    return when


# ---------------------------------------------------------------------------- check-in


@transaction.atomic
def check_in(actor: User, appointment: Appointment) -> TreatmentSession:
    """Open the session for a booked (or desk-checked-in) appointment."""
    _require(actor, Capability.CHART_SESSION)
    try:
        appt = (
            Appointment.objects.select_for_update()
            .select_related("course__patient", "course__protocol_version", "chair")
            .get(pk=appointment.pk, chair__clinic_id=actor.clinic_pk)
        )
    except Appointment.DoesNotExist:
        from django.http import Http404

        raise Http404("No such appointment in your clinic.") from None
    existing = TreatmentSession.objects.filter(appointment=appt).first()
    if existing is not None:
        return existing
    if appt.status == AppointmentStatus.BOOKED:
        set_appointment_status(actor, appt, AppointmentStatus.CHECKED_IN)
        appt.refresh_from_db()
    elif appt.status != AppointmentStatus.CHECKED_IN:
        raise ValidationError(
            {"status": [f"A {appt.get_status_display().lower()} appointment cannot be checked in."]}
        )
    course = appt.course
    session = TreatmentSession(
        clinic_id=actor.clinic_pk,
        appointment=appt,
        course=course,
        patient=course.patient,
        chair=appt.chair,
        protocol_version=course.protocol_version,
        route=course.protocol_version.route,
        session_number=appt.session_number,
        checked_in_by=actor,
        updated_by=actor,
    )
    session._history_user = actor  # type: ignore[attr-defined]
    session.save()
    _audit(actor, session, "check_in", session)
    return session


# ---------------------------------------------------------------------------- checklist


class _Unchanged:
    """Sentinel: the caller did not send this answer, so the previously saved one stands."""

    _instance: _Unchanged | None = None

    def __new__(cls) -> _Unchanged:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNCHANGED"

    def __bool__(self) -> bool:
        return False


#: "Not sent: keep what was saved" (see `save_checklist` and `record_discharge`).
UNCHANGED: Any = _Unchanged()

WEIGHT_MIN_KG = Decimal("20")
WEIGHT_MAX_KG = Decimal("350")
WEIGHT_STEP_KG = Decimal("0.1")


def checked_weight(value: Decimal | float | int | str) -> Decimal:
    """Today's weight in kg to 0.1 kg (a scale's resolution), 20-350 kg; a human message else."""
    try:
        weight = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValidationError({"weight_kg": ["Enter the weight in kg, e.g. 70.4."]}) from None
    if not weight.is_finite():
        raise ValidationError({"weight_kg": ["Enter the weight in kg, e.g. 70.4."]})
    weight = weight.quantize(WEIGHT_STEP_KG, rounding=ROUND_HALF_UP)
    if not WEIGHT_MIN_KG <= weight <= WEIGHT_MAX_KG:
        raise ValidationError(
            {"weight_kg": [f"A weight must be between {WEIGHT_MIN_KG} and {WEIGHT_MAX_KG} kg."]}
        )
    return weight


@transaction.atomic
def save_checklist(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    last_food_at: datetime | None = UNCHANGED,
    last_clear_liquid_at: datetime | None = UNCHANGED,
    escort_name: str = UNCHANGED,
    escort_phone: str = UNCHANGED,
    medication_changes_reviewed: bool = UNCHANGED,
    medication_changes: str = UNCHANGED,
    taken_today: Iterable[str] = UNCHANGED,
    weight_kg: Decimal | float | None = None,
    pregnancy_test_positive: bool | None = None,
    now: datetime | None = None,
) -> TreatmentSession:
    """Record the nurse's answers (weight and pregnancy test go to the chart); re-evaluate.

    Merge rule: each submission is a full new `ChecklistAnswers` row, but an answer the caller
    did not send (`UNCHANGED`, the default) is carried over from the latest saved row, so
    saving again to add one answer never wipes the others. Sending a value replaces it, and an
    explicit empty value (None, "", [], False) clears it. Weight and pregnancy test are chart
    entries: None means "not measured now" (the chart keeps its earlier entries).
    """
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    if row.status not in (SessionStatus.CHECKED_IN, SessionStatus.READY):
        raise ValidationError({"__all__": ["The checklist is closed once dosing has started."]})
    now = now or timezone.now()
    previous = derive.latest_answers(row)

    def keep(value: Any, attr: str, default: Any) -> Any:
        if value is not UNCHANGED:
            return value
        return getattr(previous, attr) if previous is not None else default

    last_food_at = keep(last_food_at, "last_food_at", None)
    last_clear_liquid_at = keep(last_clear_liquid_at, "last_clear_liquid_at", None)
    for name, value in (
        ("last_food_at", last_food_at),
        ("last_clear_liquid_at", last_clear_liquid_at),
    ):
        if value is not None:
            if timezone.is_naive(value):
                raise ValidationError({name: ["Give a time with its time zone."]})
            if value > now + FUTURE_TOLERANCE:
                raise ValidationError({name: ["This is in the future."]})
    taken = sorted({t for t in keep(taken_today, "taken_today", []) if t})
    from ketaflow.clinical.checklist import PRESSOR_CLASSES, SEDATING_CLASSES

    unknown = [t for t in taken if t not in SEDATING_CLASSES and t not in PRESSOR_CLASSES]
    if unknown:
        raise ValidationError({"taken_today": [f"Unknown medication class: {', '.join(unknown)}."]})
    weight = checked_weight(weight_kg) if weight_kg is not None else None
    answers = ChecklistAnswers(
        session=row,
        last_food_at=last_food_at,
        last_clear_liquid_at=last_clear_liquid_at,
        escort_name=keep(escort_name, "escort_name", "").strip(),
        escort_phone=keep(escort_phone, "escort_phone", "").strip(),
        medication_changes_reviewed=bool(
            keep(medication_changes_reviewed, "medication_changes_reviewed", False)
        ),
        medication_changes=keep(medication_changes, "medication_changes", "").strip(),
        taken_today=taken,
        recorded_by=actor,
    )
    answers.full_clean(exclude=["session", "recorded_by"])
    answers.save()
    today = local(now, row.patient.clinic).date()
    if weight is not None:
        try:
            add_entry(
                actor,
                row.patient,
                "measurements",
                {
                    "kind": Measurement.Kind.WEIGHT,
                    "entered_value": weight,
                    "entered_unit": "kg",
                    "measured_on": today,
                },
            )
        except ValidationError as exc:  # the chart's own checks, under the form's field
            raise ValidationError({"weight_kg": list(exc.messages)}) from exc
    if pregnancy_test_positive is not None:
        add_entry(
            actor,
            row.patient,
            "pregnancy",
            {
                "observed_on": today,
                "pregnancy_status": "pregnant" if pregnancy_test_positive else "not_pregnant",
                "test_done": True,
                "test_positive": pregnancy_test_positive,
            },
        )
    checklist = derive.checklist_of(row, now)
    status = SessionStatus.READY if checklist.can_start else SessionStatus.CHECKED_IN
    _touch(row, actor, status=status)
    _audit(
        actor,
        row,
        "checklist",
        answers,
        can_start=checklist.can_start,
        blocking=[i.code for i in checklist.blocking],
        cautions=[i.code for i in checklist.cautions],
    )
    return row


# ---------------------------------------------------------------------------- vitals


@transaction.atomic
def record_vitals(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    sbp: float | None = None,
    dbp: float | None = None,
    hr: float | None = None,
    spo2: float | None = None,
    rr: float | None = None,
    taken_at: datetime | None = None,
) -> tuple[VitalsReading, tuple[Alert, ...]]:
    """Validate with the core (impossible readings refused, nothing stored); alerts returned."""
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    try:
        signs = VitalSigns(sbp=sbp, dbp=dbp, hr=hr, spo2=spo2, rr=rr)
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    if signs.is_empty:
        raise ValidationError({"sbp": ["Enter at least one value."]})
    when = _when(row, taken_at, "taken_at")
    reading = VitalsReading(
        session=row, taken_at=when, sbp=sbp, dbp=dbp, hr=hr, spo2=spo2, rr=rr, recorded_by=actor
    )
    reading.save()
    alerts = derive.alerts_for(row, reading)
    if row.status == SessionStatus.CHECKED_IN or row.status == SessionStatus.READY:
        checklist = derive.checklist_of(row, timezone.now())
        status = SessionStatus.READY if checklist.can_start else SessionStatus.CHECKED_IN
        _touch(row, actor, status=status)
    else:
        _touch(row, actor)
    _audit(actor, row, "vitals", reading, alerts=[a.code for a in alerts])
    return reading, alerts


@transaction.atomic
def acknowledge_alert(
    actor: User, session: TreatmentSession, version: int, reading_id: int, code: str, note: str = ""
) -> AlertAck:
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    reading = row.vitals.filter(pk=reading_id).first()
    if reading is None:
        raise ValidationError({"reading_id": ["No such reading in this session."]})
    codes = {a.code for a in derive.alerts_for(row, reading)}
    if code not in codes:
        raise ValidationError({"code": ["This reading has no such alert."]})
    if reading.acks.filter(code=code).exists():
        raise ValidationError({"code": ["This alert has already been acknowledged."]})
    ack = AlertAck.objects.create(reading=reading, code=code, note=note.strip()[:300], by=actor)
    _touch(row, actor)
    _audit(actor, row, "alert_ack", ack, code=code)
    return ack


# ---------------------------------------------------------------------------- orders


def _order_values(
    row: TreatmentSession,
    *,
    mg_per_kg: float | None,
    dose_mg: float | None,
    weight_basis: str,
    minutes: float | None,
    concentration_mg_per_ml: float | None,
    max_dose_mg: float | None,
    first_dose: bool,
) -> dict[str, Any]:
    """The core's dose for these inputs as model fields (hard limits raise)."""
    route = derive.route_of(row)
    patient = row.patient
    now = timezone.now()
    if route.is_esketamine:
        if dose_mg is None:
            raise ValidationError({"dose_mg": ["Give the esketamine dose in mg (28, 56 or 84)."]})
        age = patient.age_on(local(now, patient.clinic).date())
        e = esketamine_dose(dose_mg, age_years=age, first_dose=first_dose)
        return {
            "route": route.value,
            "dose_mg": float(e.dose_mg),
            "warnings": _warnings(e.warnings),
            "notes": [n.message for n in e.notes],
            "limits_version": e.limits_version,
        }
    if mg_per_kg is None:
        raise ValidationError({"mg_per_kg": ["Give the dose in mg/kg."]})
    weight = derive.todays_weight(row, local(now, patient.clinic).date())
    if weight is None:
        raise ValidationError({"mg_per_kg": ["Record today's weight first (checklist)."]})
    height = (
        Measurement.objects.filter(patient=patient, kind=Measurement.Kind.HEIGHT)
        .order_by("-measured_on")
        .first()
    )
    sex = Sex(patient.sex_at_birth) if patient.sex_at_birth in ("female", "male") else None
    try:
        basis = WeightBasis(weight_basis)
    except ValueError:
        raise ValidationError({"weight_basis": ["Choose a weight basis."]}) from None
    if route is Route.IV and minutes is None:
        minutes = float(derive.protocol_of(row).infusion_minutes.value)  # type: ignore[union-attr]
    d = racemic_dose(
        route,
        mg_per_kg,
        float(weight),
        basis=basis,
        height_cm=float(height.value) if height else None,
        sex=sex,
        minutes=minutes if route is Route.IV else None,
        concentration_mg_per_ml=concentration_mg_per_ml,
        max_dose_mg=max_dose_mg,
    )
    if route is Route.IV and concentration_mg_per_ml is None:
        raise ValidationError({"concentration_mg_per_ml": ["Give the bag's concentration."]})
    return {
        "route": route.value,
        "mg_per_kg": mg_per_kg,
        "weight_basis": basis.value,
        "actual_weight_kg": d.actual_weight_kg,
        "basis_weight_kg": d.basis_weight_kg,
        "dose_mg": d.dose_mg,
        "concentration_mg_per_ml": concentration_mg_per_ml,
        "minutes": d.infusion.minutes if d.infusion else None,
        "rate_ml_per_h": d.rate_ml_per_h,
        "mg_per_min": d.infusion.mg_per_min if d.infusion else None,
        "warnings": _warnings(d.warnings),
        "notes": [n.message for n in d.notes],
        "limits_version": d.limits_version,
    }


def _warnings(warnings: Iterable[SoftLimitWarning]) -> list[dict[str, str]]:
    return [{"code": w.code, "message": w.message} for w in warnings]


def _overrides(
    actor: User, warnings: list[dict[str, str]], overrides: Mapping[str, str] | None
) -> list[dict[str, str]]:
    if not warnings:
        return []
    if overrides:
        _require(actor, Capability.OVERRIDE_LIMITS)
    warns = [SoftLimitWarning(w["code"], w["message"], ()) for w in warnings]
    given = [SoftLimitOverride(code, reason) for code, reason in (overrides or {}).items()]
    try:
        confirmed = confirm_overrides(warns, given)
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    return [{"code": o.code, "reason": o.reason.strip(), "by": actor.username} for o in confirmed]


def _dosing_started(row: TreatmentSession) -> bool:
    """Any administration line in force (lines entered in error gave no drug)."""
    return row.events.filter(entered_in_error_at__isnull=True).exists()


@transaction.atomic
def enter_order(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    mg_per_kg: float | None = None,
    dose_mg: float | None = None,
    weight_basis: str = "actual",
    minutes: float | None = None,
    concentration_mg_per_ml: float | None = None,
    max_dose_mg: float | None = None,
    first_dose: bool | None = None,
    confirm: bool = False,
    overrides: Mapping[str, str] | None = None,
) -> DoseOrder:
    """A nurse proposes; a prescriber may enter and confirm at once. Hard limits refuse."""
    _require(actor, Capability.CHART_SESSION)
    if confirm:
        _require(actor, Capability.SIGN_SESSION)
    row = _lock(actor, session, version)
    if _dosing_started(row):
        raise ValidationError({"__all__": ["Dosing has started: the order can no longer change."]})
    first = first_dose if first_dose is not None else row.session_number == 1
    try:
        values = _order_values(
            row,
            mg_per_kg=mg_per_kg,
            dose_mg=dose_mg,
            weight_basis=weight_basis,
            minutes=minutes,
            concentration_mg_per_ml=concentration_mg_per_ml,
            max_dose_mg=max_dose_mg,
            first_dose=first,
        )
    except HardLimitExceeded as exc:
        raise ValidationError({exc.field or "mg_per_kg": [f"Hard limit: {exc.message}"]}) from exc
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    accepted = _overrides(actor, values["warnings"], overrides) if confirm else []
    row.orders.exclude(status=OrderStatus.SUPERSEDED).update(status=OrderStatus.SUPERSEDED)
    order = DoseOrder(
        session=row,
        status=OrderStatus.CONFIRMED if confirm else OrderStatus.PROPOSED,
        proposed_by=actor,
        overrides=accepted,
        confirmed_by=actor if confirm else None,
        confirmed_at=timezone.now() if confirm else None,
        **values,
    )
    order._history_user = actor  # type: ignore[attr-defined]
    order.save()
    _touch(row, actor)
    _audit(
        actor,
        row,
        "order_confirmed" if confirm else "order_proposed",
        order,
        dose_mg=order.dose_mg,
        warnings=[w["code"] for w in order.warnings],
        overrides=accepted,
    )
    return order


@transaction.atomic
def confirm_order(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    overrides: Mapping[str, str] | None = None,
) -> DoseOrder:
    """A prescriber confirms the proposed order, overriding each soft limit with a reason."""
    _require(actor, Capability.SIGN_SESSION)
    row = _lock(actor, session, version)
    if _dosing_started(row):
        raise ValidationError({"__all__": ["Dosing has started: the order can no longer change."]})
    order = derive.current_order(row)
    if order is None or order.status != OrderStatus.PROPOSED:
        raise ValidationError({"__all__": ["There is no proposed order to confirm."]})
    order.overrides = _overrides(actor, order.warnings, overrides)
    order.status = OrderStatus.CONFIRMED
    order.confirmed_by = actor
    order.confirmed_at = timezone.now()
    order._history_user = actor  # type: ignore[attr-defined]
    order.save()
    _touch(row, actor)
    _audit(actor, row, "order_confirmed", order, overrides=order.overrides)
    return order


# ---------------------------------------------------------------------------- events


@dataclass(frozen=True)
class EventResult:
    event: AdministrationEvent
    flags: tuple[adm.OrderFlag, ...]


@transaction.atomic
def record_administration(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    kind: str,
    at: datetime | None = None,
    rate_ml_per_h: float | None = None,
    bolus_mg: float | None = None,
    note: str = "",
) -> EventResult:
    """Append one event; the core checks the sequence; delivered dose and flags follow."""
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    if kind not in EventKind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(EventKind.values)}."]})
    order = derive.confirmed_order(row)
    if order is None:
        raise ValidationError({"kind": ["A prescriber must confirm the order before dosing."]})
    if row.status == SessionStatus.CHECKED_IN:
        # The status is derived: an answer recorded elsewhere (the patient's pre-session
        # questionnaire) may have completed the checklist since the last write here.
        if not derive.checklist_of(row, timezone.now()).can_start:
            raise ValidationError({"kind": ["The checklist has not passed: dosing cannot start."]})
        row.status = SessionStatus.READY
    if row.status not in (SessionStatus.READY, SessionStatus.IN_PROGRESS, SessionStatus.OBSERVING):
        raise ValidationError({"kind": ["Dosing is over for this session."]})
    route = derive.route_of(row)
    if route is not Route.IV and kind != EventKind.BOLUS:
        raise ValidationError({"kind": [f"{route.label}: record each dose given (bolus)."]})
    when = _when(row, at)
    if kind in (EventKind.START, EventKind.RATE_CHANGE):
        if rate_ml_per_h is None:
            raise ValidationError({"rate_ml_per_h": ["Give the pump rate in mL/h."]})
    elif rate_ml_per_h is not None:
        raise ValidationError({"rate_ml_per_h": ["Only a start or rate change has a rate."]})
    if kind == EventKind.BOLUS and bolus_mg is None:
        raise ValidationError({"bolus_mg": ["Give the dose in mg."]})
    if kind != EventKind.BOLUS and bolus_mg is not None:
        raise ValidationError({"bolus_mg": ["Only a bolus has a dose in mg."]})
    conc = order.concentration_mg_per_ml
    mg_per_min = None
    if rate_ml_per_h is not None:
        if not conc:
            raise ValidationError({"rate_ml_per_h": ["The order has no concentration."]})
        try:
            mg_per_min = adm.mg_per_min_from_ml_per_h(rate_ml_per_h, conc)
        except ClinicalInputError as exc:
            raise _invalid(exc, "rate_ml_per_h") from exc
    record = derive.record_of(row)
    try:
        record = adm.append(
            record, adm.Event(when, adm.EventKind(kind), mg_per_min=mg_per_min, mg=bolus_mg)
        )
    except ClinicalInputError as exc:
        raise ValidationError({"kind" if exc.field != "mg" else "bolus_mg": [exc.message]}) from exc
    event = AdministrationEvent.objects.create(
        session=row,
        kind=kind,
        at=when,
        rate_ml_per_h=rate_ml_per_h,
        bolus_mg=bolus_mg,
        note=note.strip()[:300],
        recorded_by=actor,
    )
    status = row.status
    if status == SessionStatus.READY:
        status = SessionStatus.IN_PROGRESS
        if row.appointment.status == AppointmentStatus.CHECKED_IN:
            set_appointment_status(actor, row.appointment, AppointmentStatus.IN_SESSION)
            row.appointment.refresh_from_db()
    if kind == EventKind.STOP:
        status = SessionStatus.OBSERVING
    _touch(row, actor, status=status)
    flags = adm.order_flags(
        record,
        max(when, timezone.now()),
        ordered_mg=order.dose_mg,
        ordered_mg_per_min=order.mg_per_min,
    )
    _audit(actor, row, "administration", event, kind=kind, flags=[f.code for f in flags])
    return EventResult(event, flags)


@transaction.atomic
def complete_dosing(actor: User, session: TreatmentSession, version: int) -> TreatmentSession:
    """Non-IV routes: the last dose has been given; observation starts from it."""
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    if derive.route_of(row) is Route.IV:
        raise ValidationError({"__all__": ["An infusion ends with its stop event."]})
    if row.status != SessionStatus.IN_PROGRESS:
        raise ValidationError({"__all__": ["No dose has been given yet."]})
    _touch(row, actor, status=SessionStatus.OBSERVING)
    _audit(actor, row, "dosing_complete")
    return row


# ---------------------------------------------------------------------------- corrections


@dataclass(frozen=True)
class EventCorrection:
    event: AdministrationEvent
    delivered_mg: float
    state: adm.InfusionState


def _status_after_correction(row: TreatmentSession, record: adm.AdministrationRecord) -> str:
    """The workflow status the remaining lines support (the pump state itself is derived)."""
    if row.status not in (
        SessionStatus.IN_PROGRESS,
        SessionStatus.OBSERVING,
        SessionStatus.DISCHARGED,
    ):
        return row.status
    if not record.events:
        status: str = SessionStatus.READY
    elif derive.route_of(row) is Route.IV:
        status = SessionStatus.OBSERVING if record.stopped_at else SessionStatus.IN_PROGRESS
    else:
        status = row.status  # each line is a dose given; completion is the nurse's mark
    if row.status == SessionStatus.DISCHARGED:
        if status != SessionStatus.OBSERVING and status != SessionStatus.DISCHARGED:
            raise ValidationError(
                {
                    "event_id": [
                        "The patient has been discharged: without this line dosing would not be "
                        "complete, so it cannot be struck. Add a note explaining the error."
                    ]
                }
            )
        return SessionStatus.DISCHARGED
    return status


@transaction.atomic
def mark_event_entered_in_error(
    actor: User, session: TreatmentSession, version: int, event_id: int, reason: str
) -> EventCorrection:
    """Strike a mis-keyed administration line before signing; it stays, struck, with why.

    The delivered dose, pump state and PK input are recomputed from the remaining lines; if
    the core would refuse the remaining sequence (a resume with no pause…), so is this.
    After signing the session is locked (409): record an amendment with a reason instead.
    """
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    errors: dict[str, list[str]] = {}
    event = row.events.select_for_update().filter(pk=event_id).first()
    if event is None:
        errors["event_id"] = ["No such administration line in this session."]
    elif event.in_error:
        errors["event_id"] = ["This line is already marked entered in error."]
    if not reason.strip():
        errors["reason"] = ["Say why this line was entered in error."]
    if errors:
        raise ValidationError(errors)
    assert event is not None
    before = round(adm.delivered_mg(derive.record_of(row), timezone.now()), 3)
    event.entered_in_error_at = timezone.now()
    event.entered_in_error_by = actor
    event.entered_in_error_reason = reason.strip()[:300]
    event.save(
        update_fields=["entered_in_error_at", "entered_in_error_by", "entered_in_error_reason"]
    )
    try:
        record = derive.record_of(row)  # the remaining lines, as the core reads them
    except ClinicalInputError as exc:
        raise ValidationError(
            {
                "event_id": [
                    f"This line cannot be struck: the remaining record would be impossible "
                    f"({exc.message}). Strike the later line(s) first, or add a note."
                ]
            }
        ) from exc
    status = _status_after_correction(row, record)
    _touch(row, actor, status=status)
    now = timezone.now()
    after = round(adm.delivered_mg(record, now), 3)
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=event,
        patient_id=row.patient_id,
        clinic_id=row.clinic_id,
        detail={
            "session": row.pk,
            "what": "administration_entered_in_error",
            "kind": event.kind,
            "at": event.at.isoformat(),
            "reason": event.entered_in_error_reason,
            "delivered_mg_before": before,
            "delivered_mg_after": after,
            "status": status,
        },
    )
    return EventCorrection(event, after, adm.state_at(record, now))


# ---------------------------------------------------------------------------- scales


@transaction.atomic
def record_scale(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    instrument: str,
    answers: Any,
    administered_at: datetime | None = None,
) -> InstrumentResponse:
    """CADSS-6/CADSS, MOAA/S, Aldrete or PADSS, scored by the core, tied to this session.

    Recorded through the questionnaires app in the in-session context with `context_ref`
    "session:<pk>" (its time says whether it was before the first dose; the pre-session
    context stays for the patient's own questionnaire). An unanswered item is refused with
    an error on that item's key, never scored as 0.
    """
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    if instrument not in SESSION_SCALES:
        raise ValidationError({"instrument": [f"Choose one of: {', '.join(SESSION_SCALES)}."]})
    when = _when(row, administered_at, "administered_at")
    response = record_response(
        actor,
        row.patient,
        instrument,
        answers=answers,
        context=Context.IN_SESSION,
        administered_at=when,
        rater=RaterKind.CLINICIAN,
        context_ref=f"session:{row.pk}",
    )
    _touch(row, actor)
    return response


PRE_SESSION_QUESTIONNAIRE = "gad7"


@transaction.atomic
def record_pre_session_questionnaire(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    answers: Any,
    administered_at: datetime | None = None,
) -> InstrumentResponse:
    """The patient's pre-session GAD-7 (self-report), entered at the chair; re-evaluates.

    Stored through the questionnaires app in the pre-session context (so the patient's
    outcomes see it like one recorded on the screening page); the checklist item passes and
    the session status follows.
    """
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    if row.status not in (SessionStatus.CHECKED_IN, SessionStatus.READY):
        raise ValidationError({"__all__": ["The checklist is closed once dosing has started."]})
    when = _when(row, administered_at, "administered_at")
    response = record_response(
        actor,
        row.patient,
        PRE_SESSION_QUESTIONNAIRE,
        answers=answers,
        context=Context.PRE_SESSION,
        administered_at=when,
        rater=RaterKind.SELF,
    )
    checklist = derive.checklist_of(row, timezone.now())
    _touch(
        row, actor, status=SessionStatus.READY if checklist.can_start else SessionStatus.CHECKED_IN
    )
    _audit(actor, row, "pre_session_questionnaire", response, total=response.total)
    return response


# ---------------------------------------------------------------------------- side effects


@transaction.atomic
def record_side_effect(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    kind: str,
    severity: str,
    onset_at: datetime | None = None,
    other_text: str = "",
    notes: str = "",
) -> SideEffect:
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    if kind not in SideEffectKind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(SideEffectKind.values)}."]})
    if severity not in Severity.values:
        raise ValidationError({"severity": [f"Choose one of: {', '.join(Severity.values)}."]})
    if kind == SideEffectKind.OTHER and not other_text.strip():
        raise ValidationError({"other_text": ["Say what the side effect was."]})
    effect = SideEffect(
        session=row,
        kind=kind,
        severity=severity,
        onset_at=_when(row, onset_at, "onset_at"),
        other_text=other_text.strip(),
        notes=notes.strip(),
        recorded_by=actor,
    )
    effect.full_clean(exclude=["session", "recorded_by"])
    effect._history_user = actor  # type: ignore[attr-defined]
    effect.save()
    _touch(row, actor)
    _audit(actor, row, "side_effect", effect, kind=kind, severity=severity)
    return effect


@transaction.atomic
def resolve_side_effect(
    actor: User,
    session: TreatmentSession,
    version: int,
    effect_id: int,
    resolved_at: datetime | None = None,
) -> SideEffect:
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    effect = row.side_effects.filter(pk=effect_id).first()
    if effect is None:
        raise ValidationError({"effect_id": ["No such side effect in this session."]})
    if effect.resolved_at is not None:
        raise ValidationError({"effect_id": ["Already recorded as resolved."]})
    when = _when(row, resolved_at, "resolved_at")
    if when < effect.onset_at:
        raise ValidationError({"resolved_at": ["This is before the onset."]})
    effect.resolved_at = when
    effect._history_user = actor  # type: ignore[attr-defined]
    effect.save()
    _touch(row, actor)
    _audit(actor, row, "side_effect_resolved", effect=effect.pk)
    return effect


# ---------------------------------------------------------------------------- rescue


@transaction.atomic
def record_rescue(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    drug: str,
    dose: str,
    route: str,
    given_at: datetime | None = None,
    reason: str = "",
) -> RescueMedication:
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    errors = {
        f: ["This field is required."]
        for f, v in (("drug", drug), ("dose", dose), ("route", route))
        if not v.strip()
    }
    if errors:
        raise ValidationError(errors)
    rescue = RescueMedication(
        session=row,
        drug=drug.strip(),
        dose=dose.strip(),
        route=route.strip(),
        given_at=_when(row, given_at, "given_at"),
        given_by=actor,
        reason=reason.strip(),
    )
    rescue.full_clean(exclude=["session", "given_by"])
    rescue._history_user = actor  # type: ignore[attr-defined]
    rescue.save()
    _touch(row, actor)
    _audit(actor, row, "rescue", rescue, drug=rescue.drug)
    return rescue


@transaction.atomic
def acknowledge_rescue(
    actor: User, session: TreatmentSession, version: int, rescue_id: int
) -> RescueMedication:
    _require(actor, Capability.SIGN_SESSION)
    row = _lock(actor, session, version)
    rescue = row.rescues.filter(pk=rescue_id).first()
    if rescue is None:
        raise ValidationError({"rescue_id": ["No such rescue medication in this session."]})
    if rescue.acknowledged_at is not None:
        raise ValidationError({"rescue_id": ["Already acknowledged."]})
    rescue.acknowledged_by = actor
    rescue.acknowledged_at = timezone.now()
    rescue._history_user = actor  # type: ignore[attr-defined]
    rescue.save()
    _touch(row, actor)
    _audit(actor, row, "rescue_acknowledged", rescue=rescue.pk)
    return rescue


# ---------------------------------------------------------------------------- controlled substance


@transaction.atomic
def record_cs_log(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    lot: str,
    drawn_mg: float,
    wasted_mg: float,
    witness: User,
    discrepancy_reason: str = "",
) -> ControlledSubstanceLog:
    """Given mg is the delivered dose from the events; drawn = given + wasted or say why."""
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    errors: dict[str, list[str]] = {}
    if not lot.strip():
        errors["lot"] = ["Give the lot number."]
    if witness.pk == actor.pk:
        errors["witness_id"] = ["The witness must be someone other than you."]
    elif witness.clinic_pk != actor.clinic_pk or not witness.can(Capability.CHART_SESSION):
        errors["witness_id"] = ["The witness must be a nurse or prescriber of this clinic."]
    for name, value in (("drawn_mg", drawn_mg), ("wasted_mg", wasted_mg)):
        if value < 0 or value > 10000:
            errors[name] = ["Must be between 0 and 10000 mg."]
    if errors:
        raise ValidationError(errors)
    record = derive.record_of(row)
    if derive.dose_completed_at(row, record) is None:
        raise ValidationError({"__all__": ["Record the controlled-substance log after dosing."]})
    given = round(adm.delivered_mg(record, timezone.now()), 2)
    gap = drawn_mg - given - wasted_mg
    if abs(gap) > BALANCE_TOLERANCE_MG and not discrepancy_reason.strip():
        raise ValidationError(
            {
                "discrepancy_reason": [
                    f"Drawn {drawn_mg:g} mg ≠ given {given:g} mg + wasted {wasted_mg:g} mg "
                    f"(off by {gap:+.2f} mg): say why."
                ]
            }
        )
    entry = ControlledSubstanceLog.objects.create(
        session=row,
        lot=lot.strip()[:60],
        drawn_mg=drawn_mg,
        given_mg=given,
        wasted_mg=wasted_mg,
        witness=witness,
        recorded_by=actor,
        discrepancy_reason=discrepancy_reason.strip()[:300],
    )
    _touch(row, actor)
    _audit(actor, row, "controlled_substance", entry, lot=entry.lot, gap=round(gap, 2))
    return entry


# ---------------------------------------------------------------------------- notes, discharge


@transaction.atomic
def add_note(actor: User, session: TreatmentSession, version: int, text: str) -> SessionNote:
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    if not text.strip():
        raise ValidationError({"text": ["Write the note."]})
    note = SessionNote.objects.create(session=row, text=text.strip(), by=actor)
    _touch(row, actor)
    _audit(actor, row, "note", note)
    return note


@transaction.atomic
def record_discharge(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    aldrete_score: int | None = UNCHANGED,
    padss_score: int | None = UNCHANGED,
    dissociation_resolved: bool | None = UNCHANGED,
    escort_present: bool = UNCHANGED,
    told_not_to_drive: bool = UNCHANGED,
    overrides: Mapping[str, str] | None = None,
    discharge: bool = False,
    now: datetime | None = None,
) -> tuple[DischargeRecord, DischargeReadiness]:
    """Record the discharge assessment; with `discharge`, the patient leaves (if ready).

    Merge rule (as `save_checklist`): an answer not sent (`UNCHANGED`) is carried over from
    the latest assessment, so a prescriber adding only an override keeps the nurse's escort
    and "told not to drive"; an explicit None/False clears it. Overrides are not carried
    over: each is the decision of the prescriber who sends it.
    """
    _require(actor, Capability.CHART_SESSION)
    if overrides:
        _require(actor, Capability.OVERRIDE_LIMITS)
    row = _lock(actor, session, version)
    if row.status != SessionStatus.OBSERVING:
        raise ValidationError({"__all__": ["Discharge comes after dosing is complete."]})
    now = now or timezone.now()
    last = derive.latest_discharge(row)

    def keep(value: Any, attr: str, default: Any) -> Any:
        if value is not UNCHANGED:
            return value
        return getattr(last, attr) if last is not None else default

    aldrete_score = keep(aldrete_score, "aldrete_score", None)
    padss_score = keep(padss_score, "padss_score", None)
    dissociation_resolved = keep(dissociation_resolved, "dissociation_resolved", None)
    escort_present = bool(keep(escort_present, "escort_present", False))
    told_not_to_drive = bool(keep(told_not_to_drive, "told_not_to_drive", False))
    given = {code: reason for code, reason in (overrides or {}).items() if reason is not None}
    try:
        overrides_core = tuple(Override(code, reason) for code, reason in given.items())
        result = derive.readiness(
            row,
            now,
            aldrete=aldrete_score,
            padss=padss_score,
            dissociation_resolved=dissociation_resolved,
            escort_present=escort_present,
            told_not_to_drive=told_not_to_drive,
            overrides=overrides_core,
        )
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    assert result is not None
    if discharge and not result.ready:
        raise ValidationError(
            {"__all__": ["Not ready to leave: " + " ".join(r.message for r in result.blocking)]}
        )
    entry = DischargeRecord.objects.create(
        session=row,
        aldrete_score=aldrete_score,
        padss_score=padss_score,
        dissociation_resolved=dissociation_resolved,
        escort_present=escort_present,
        told_not_to_drive=told_not_to_drive,
        overrides=[
            {"code": o.override.code, "reason": o.override.reason} for o in result.overridden
        ],
        overridden_by=actor if result.overridden else None,
        discharged_at=now if discharge else None,
        recorded_by=actor,
    )
    _touch(row, actor, status=SessionStatus.DISCHARGED if discharge else row.status)
    _audit(
        actor,
        row,
        "discharge" if discharge else "discharge_assessment",
        entry,
        blocking=[r.code for r in result.blocking],
        overridden=[o.override.code for o in result.overridden],
    )
    return entry, result


@dataclass(frozen=True)
class Signed:
    session: TreatmentSession
    next_step: NextStep | None
    note: str = ""


@transaction.atomic
def sign_session(actor: User, session: TreatmentSession, version: int) -> Signed:
    """A prescriber signs: the session locks, the appointment completes, the next is proposed."""
    _require(actor, Capability.SIGN_SESSION)
    row = _lock(actor, session, version)
    if row.status != SessionStatus.DISCHARGED:
        raise ValidationError({"__all__": ["Only a discharged session can be signed."]})
    problems = []
    unacked = row.rescues.filter(acknowledged_at__isnull=True).count()
    if unacked:
        problems.append(f"Acknowledge the {unacked} rescue medication(s) before signing.")
    open_alerts = derive.open_alerts_to_sign(row)
    if open_alerts:
        listed = "; ".join(
            f"{local(reading.taken_at, row.patient.clinic):%H:%M} {a.level.label}: {a.message}"
            for reading, a in open_alerts
        )
        problems.append(
            f"Acknowledge the {len(open_alerts)} open alert(s) before signing "
            f"(each acknowledgement is recorded): {listed}"
        )
    if problems:
        raise ValidationError({"__all__": problems})
    _touch(row, actor, status=SessionStatus.SIGNED, signed_at=timezone.now(), signed_by=actor)
    if row.appointment.status == AppointmentStatus.IN_SESSION:
        set_appointment_status(actor, row.appointment, AppointmentStatus.COMPLETED)
        row.appointment.refresh_from_db()
    _audit(actor, row, "signed")
    # The next session from the protocol AND the response so far (outcomes from the scores).
    found = follow_up(row.course)
    return Signed(row, found.step, found.step_error)


@transaction.atomic
def amend(
    actor: User, session: TreatmentSession, version: int, *, text: str, reason: str
) -> SessionNote:
    """A change to a signed session: an amendment note with its reason (nothing overwritten)."""
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version, allow_signed=True)
    if not row.is_signed:
        raise ValidationError({"__all__": ["The session is not signed: record a note instead."]})
    errors = {}
    if not text.strip():
        errors["text"] = ["Write the amendment."]
    if not reason.strip():
        errors["reason"] = ["Say why the signed record is being amended."]
    if errors:
        raise ValidationError(errors)
    note = SessionNote.objects.create(
        session=row, kind=NoteKind.AMENDMENT, text=text.strip(), reason=reason.strip(), by=actor
    )
    _touch(row, actor)
    _audit(actor, row, "amendment", note, reason=note.reason)
    return note
