"""Dosing: the administration record (events), completing dosing, and striking a line in error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical import administration as adm
from ketaflow.clinical import session_exceptions as sx
from ketaflow.clinical.dosing import HardLimitExceeded
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route
from ketaflow.courses.models import AppointmentStatus
from ketaflow.courses.services import set_appointment_status
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    AdministrationEvent,
    EventKind,
    SessionStatus,
    TreatmentSession,
)
from ketaflow.treatments.services._common import (
    _audit,
    _invalid,
    _lock,
    _require,
    _touch,
    _when,
    core_message,
)

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
    reason: str = "",
) -> EventResult:
    """Append one event; the core checks the sequence; delivered dose and flags follow.

    A stop before the ordered dose is delivered, or a resume/stop ending a pause longer
    than the protocol allows, is refused without a `reason` (stored on the line).
    """
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    if kind not in EventKind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(EventKind.values)}."]})
    order = derive.confirmed_order(row)
    if order is None:
        raise ValidationError({"kind": ["A prescriber must confirm the order before dosing."]})
    if row.status in (SessionStatus.CHECKED_IN, SessionStatus.READY):
        # The status is derived and may be stale either way: an answer recorded elsewhere
        # (the patient's pre-session questionnaire) may have completed the checklist, or a
        # risk alert raised since (a portal answer) may block it again. Re-check every time.
        checklist = derive.checklist_of(row, timezone.now())
        if not checklist.can_start:
            why = "; ".join(f"{i.label}: {i.status.label.lower()}" for i in checklist.blocking)
            raise ValidationError(
                {"kind": [f"The checklist has not passed: dosing cannot start ({why})."]}
            )
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
    before = derive.record_of(row)
    new = adm.Event(when, adm.EventKind(kind), mg_per_min=mg_per_min, mg=bolus_mg)
    try:
        record = adm.append(before, new)
        # Hard limits of the order (rate ceiling, total mg): no override, whatever the path.
        adm.check_event_limits(before, new, derive.session_limits(order))
    except HardLimitExceeded as exc:
        field = {"mg": "bolus_mg", "mg_per_min": "rate_ml_per_h"}.get(exc.field or "", "kind")
        raise ValidationError({field: [f"Hard limit ({exc.code}): {exc.message}"]}) from exc
    except ClinicalInputError as exc:
        message = core_message(exc, row.patient.clinic)
        raise ValidationError({"kind" if exc.field != "mg" else "bolus_mg": [message]}) from exc
    reason = _reason_if_needed(row, before, new, order.dose_mg, reason)
    event = AdministrationEvent.objects.create(
        session=row,
        kind=kind,
        at=when,
        rate_ml_per_h=rate_ml_per_h,
        bolus_mg=bolus_mg,
        note=note.strip()[:300],
        reason=reason,
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
    _audit(
        actor,
        row,
        "administration",
        event,
        kind=kind,
        flags=[f.code for f in flags],
        **({"reason": reason} if reason else {}),
    )
    return EventResult(event, flags)


def _reason_if_needed(
    row: TreatmentSession,
    before: adm.AdministrationRecord,
    new: adm.Event,
    ordered_mg: float,
    reason: str,
) -> str:
    """The line's reason, or a refusal naming why this line needs one (early stop, long pause)."""
    needed = sx.reasons_needed(
        before, new, ordered_mg=ordered_mg, max_pause=derive.max_pause_of(row)
    )
    reason = reason.strip()[:300]
    if needed and not reason:
        raise ValidationError(
            {"reason": [f"Say why: {'; '.join(needed)}. The reason is kept on the record."]}
        )
    return reason


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
                    f"({core_message(exc, row.patient.clinic)}). Strike the later line(s) "
                    "first, or add a note."
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
