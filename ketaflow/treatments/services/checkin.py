"""Before dosing: check-in, the pre-session checklist and the pre-session questionnaire."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.checklist import Decision
from ketaflow.courses.models import Appointment, AppointmentStatus
from ketaflow.courses.services import refuse_early_check_in, set_appointment_status
from ketaflow.lib.clock import local
from ketaflow.lib.derived import course_changed
from ketaflow.patients.models import Measurement
from ketaflow.patients.services import add_entry
from ketaflow.questionnaires.models import Context, InstrumentResponse, RaterKind
from ketaflow.questionnaires.services import record_response
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    ChecklistAnswers,
    SessionStatus,
    SubstanceDecision,
    TreatmentSession,
)
from ketaflow.treatments.services._common import (
    FUTURE_TOLERANCE,
    UNCHANGED,
    _audit,
    _lock,
    _require,
    _touch,
    _when,
)

# ---------------------------------------------------------------------------- check-in


@transaction.atomic
def check_in(actor: User, appointment: Appointment) -> TreatmentSession:
    """Open the session for a booked (or desk-checked-in) appointment, on its day."""
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
    refuse_early_check_in(appt)  # on the appointment's day, not before
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
    course_changed(session.course_id)
    _audit(actor, session, "check_in", session)
    return session


# ---------------------------------------------------------------------------- checklist


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
    alcohol_today: bool | None = UNCHANGED,
    drugs_today: bool | None = UNCHANGED,
    intoxication_signs: bool | None = UNCHANGED,
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
        alcohol_today=keep(alcohol_today, "alcohol_today", None),
        drugs_today=keep(drugs_today, "drugs_today", None),
        intoxication_signs=keep(intoxication_signs, "intoxication_signs", None),
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


def open_checklist(actor: User, session: TreatmentSession, version: int) -> TreatmentSession:
    """The session locked for a checklist write (before dosing, at the version the user saw).

    For writes that live in other apps but gate the start (the portal's suicide risk
    assessment): call inside the caller's transaction, then `checklist_changed`.
    """
    row = _lock(actor, session, version)
    if row.status not in (SessionStatus.CHECKED_IN, SessionStatus.READY):
        raise ValidationError({"__all__": ["The checklist is closed once dosing has started."]})
    return row


def checklist_changed(
    actor: User, row: TreatmentSession, what: str, obj: Any, **detail: Any
) -> TreatmentSession:
    """Re-evaluate the checklist after a write; the session's status follows; audited."""
    checklist = derive.checklist_of(row, timezone.now())
    _touch(
        row, actor, status=SessionStatus.READY if checklist.can_start else SessionStatus.CHECKED_IN
    )
    _audit(actor, row, what, obj, can_start=checklist.can_start, **detail)
    return row


@transaction.atomic
def record_substance_decision(
    actor: User, session: TreatmentSession, version: int, *, decision: str, reason: str
) -> SubstanceDecision:
    """A prescriber decides on today's "yes" answers (alcohol, drugs, intoxication), with a reason.

    The decision covers the answers that are "yes" now; the core asks again if another "yes"
    is recorded later. "Defer" keeps the start blocked.
    """
    _require(actor, Capability.OVERRIDE_LIMITS)
    row = open_checklist(actor, session, version)
    if decision not in (Decision.PROCEED.value, Decision.DEFER.value):
        raise ValidationError({"decision": ["Choose proceed or defer."]})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why (kept with the decision)."]})
    answers = derive.latest_answers(row)
    yes = sorted(_yes(answers))
    if not yes:
        raise ValidationError(
            {"decision": ['Nothing to decide: no "yes" about alcohol, drugs or intoxication.']}
        )
    now = timezone.now()
    made = SubstanceDecision.objects.create(
        session=row,
        decision=decision,
        reason=reason[:500],
        answers=yes,
        decided_by=actor,
        decided_at=now,
    )
    checklist_changed(actor, row, "substance_decision", made, decision=decision, answers=yes)
    return made


def _yes(answers: ChecklistAnswers | None) -> set[str]:
    if answers is None:
        return set()
    return {
        key
        for key, value in (
            ("alcohol", answers.alcohol_today),
            ("drugs", answers.drugs_today),
            ("intoxication", answers.intoxication_signs),
        )
        if value
    }


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
