"""In the chair: vitals and alerts, in-session scales, side effects, rescue medication, notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import Alert, VitalSigns
from ketaflow.questionnaires.models import Context, InstrumentResponse, RaterKind
from ketaflow.questionnaires.services import record_response
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    AlertAck,
    RescueMedication,
    SessionNote,
    SessionStatus,
    Severity,
    SideEffect,
    SideEffectKind,
    TreatmentSession,
    VitalsReading,
)
from ketaflow.treatments.services._common import (
    _audit,
    _invalid,
    _lock,
    _require,
    _touch,
    _when,
)

SESSION_SCALES = ("cadss6", "cadss", "moaas", "aldrete", "padss")


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
    on_oxygen: bool = False,
    oxygen_l_per_min: float | None = None,
    taken_at: datetime | None = None,
) -> tuple[VitalsReading, tuple[Alert, ...]]:
    """Validate with the core (impossible readings refused, nothing stored); alerts returned.

    The alerts are `derive.alerts_of_signs`, the same as for a monitor's reading.
    """
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    try:
        signs = VitalSigns(
            sbp=sbp,
            dbp=dbp,
            hr=hr,
            spo2=spo2,
            rr=rr,
            on_oxygen=on_oxygen,
            oxygen_l_per_min=oxygen_l_per_min,
        )
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    if signs.is_empty:
        raise ValidationError({"sbp": ["Enter at least one value."]})
    when = _when(row, taken_at, "taken_at")
    reading = VitalsReading(
        session=row,
        taken_at=when,
        sbp=sbp,
        dbp=dbp,
        hr=hr,
        spo2=spo2,
        rr=rr,
        on_oxygen=on_oxygen,
        oxygen_l_per_min=oxygen_l_per_min,
        recorded_by=actor,
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
    """Someone saw the alert; for warn/critical, `note` (the action taken) is required."""
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    reading = row.vitals.filter(pk=reading_id).first()
    if reading is None:
        raise ValidationError({"reading_id": ["No such reading in this session."]})
    alert = next((a for a in derive.alerts_for(row, reading) if a.code == code), None)
    if alert is None:
        raise ValidationError({"code": ["This reading has no such alert."]})
    if reading.acks.filter(code=code).exists():
        raise ValidationError({"code": ["This alert has already been acknowledged."]})
    action = note.strip()[:300]
    if alert.level in derive.SIGN_BLOCKING_LEVELS and not action:
        raise ValidationError(
            {
                "note": [
                    f"Say what was done about this {alert.level.label} alert (the action "
                    "taken): it is kept with the acknowledgement."
                ]
            }
        )
    ack = AlertAck.objects.create(reading=reading, code=code, note=action, by=actor)
    _touch(row, actor)
    _audit(actor, row, "alert_ack", ack, code=code, action_taken=action)
    return ack


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
    response = scale_on_locked_session(actor, row, instrument, answers, administered_at)
    _touch(row, actor)
    return response


def scale_on_locked_session(
    actor: User,
    row: TreatmentSession,
    instrument: str,
    answers: Any,
    administered_at: datetime | None = None,
) -> InstrumentResponse:
    """`record_scale`'s write, for a session its caller has already locked (and will touch):
    the discharge step records the Aldrete and PADSS with its assessment in one transaction."""
    if instrument not in SESSION_SCALES:
        raise ValidationError({"instrument": [f"Choose one of: {', '.join(SESSION_SCALES)}."]})
    when = _when(row, administered_at, "administered_at")
    return record_response(
        actor,
        row.patient,
        instrument,
        answers=answers,
        context=Context.IN_SESSION,
        administered_at=when,
        rater=RaterKind.CLINICIAN,
        context_ref=f"session:{row.pk}",
    )


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


# ---------------------------------------------------------------------------- notes


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
