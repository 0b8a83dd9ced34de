"""Starting a course and moving it through its phases. MANAGE_COURSES (prescribers) only.

Phases go evaluation → induction → maintenance → ended. The only step back is
maintenance → induction (a re-induction, with a reason); ended is final.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.courses.models import (
    HOLDING,
    Appointment,
    AppointmentStatus,
    Course,
    CoursePhase,
    EndedReason,
    PhaseChange,
    ProtocolVersion,
)
from ketaflow.courses.services._common import locked, require, required_reason
from ketaflow.lib.derived import course_changed
from ketaflow.patients.models import Patient

P = CoursePhase
ALLOWED: dict[str, tuple[str, ...]] = {
    P.EVALUATION: (P.INDUCTION, P.ENDED),
    P.INDUCTION: (P.MAINTENANCE, P.ENDED),
    P.MAINTENANCE: (P.INDUCTION, P.ENDED),
    P.ENDED: (),
}


def _label(phase: str) -> str:
    return str(CoursePhase(phase).label).lower()


@transaction.atomic
def start_course(
    actor: User,
    patient: Patient,
    protocol_version: ProtocolVersion,
    *,
    started_on: date,
    notes: str = "",
) -> Course:
    """Open a course in the evaluation phase under the clinic's current protocol version."""
    require(actor, Capability.MANAGE_COURSES)
    if patient.clinic_id != actor.clinic_pk:
        raise PermissionDenied("This patient belongs to another clinic.")
    patient = locked(Patient.objects.filter(clinic_id=actor.clinic_pk), patient.pk)
    errors: dict[str, list[str]] = {}
    if protocol_version.clinic_id != actor.clinic_pk:
        errors["protocol_version"] = ["Choose one of your clinic's protocols."]
    else:
        latest = (
            ProtocolVersion.objects.filter(
                clinic_id=protocol_version.clinic_id, code=protocol_version.code
            )
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        if latest != protocol_version.version:
            errors["protocol_version"] = [
                f"Version {latest} of this protocol is current: start new courses on it."
            ]
    if not isinstance(started_on, date):
        errors["started_on"] = ["Give the start date as YYYY-MM-DD."]
    elif started_on < patient.date_of_birth:
        errors["started_on"] = ["The course cannot start before the patient was born."]
    open_course = Course.objects.filter(patient=patient).exclude(phase=CoursePhase.ENDED).first()
    if open_course is not None:
        errors["__all__"] = [
            f"{patient.full_name} already has an open course (started "
            f"{open_course.started_on:%d %b %Y}): end it before starting another."
        ]
    if errors:
        raise ValidationError(errors)
    course = Course(
        patient=patient,
        protocol_version=protocol_version,
        started_on=started_on,
        notes=notes.strip(),
        created_by=actor,
    )
    course._history_user = actor  # type: ignore[attr-defined]
    course.save()
    course_changed(course.pk)
    PhaseChange.objects.create(
        course=course, from_phase="", to_phase=CoursePhase.EVALUATION, by=actor, reason="Started"
    )
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=course,
        detail={
            "protocol": protocol_version.code,
            "version": protocol_version.version,
            "started_on": str(started_on),
        },
    )
    return course


@transaction.atomic
def change_phase(
    actor: User,
    course: Course,
    to_phase: str,
    *,
    reason: str = "",
    ended_reason: str = "",
    ended_note: str = "",
) -> Course:
    """Move the course on. Re-induction needs a reason; ending needs one from the list."""
    require(actor, Capability.MANAGE_COURSES)
    course = locked(Course.objects.filter(patient__clinic_id=actor.clinic_pk), course.pk)
    current = course.phase
    if to_phase not in CoursePhase.values:
        raise ValidationError({"to_phase": [f"Choose one of: {', '.join(CoursePhase.values)}."]})
    if current == CoursePhase.ENDED:
        raise ValidationError(
            {"to_phase": ["This course has ended; an ended course cannot change phase."]}
        )
    if to_phase == current:
        raise ValidationError({"to_phase": [f"The course is already in {_label(current)}."]})
    allowed = ALLOWED[current]
    if to_phase not in allowed:
        options = " or ".join(_label(p) for p in allowed)
        raise ValidationError(
            {
                "to_phase": [
                    f"From {_label(current)} the course can go to {options}, "
                    f"not {_label(to_phase)}."
                ]
            }
        )
    why = reason.strip()
    if current == CoursePhase.MAINTENANCE and to_phase == CoursePhase.INDUCTION:
        why = required_reason(reason, what="Say why the patient needs a new induction.")
    if to_phase == CoursePhase.ENDED:
        if ended_reason not in EndedReason.values:
            raise ValidationError({"ended_reason": ["Choose why the course ended."]})
        note = ended_note.strip()
        if ended_reason == EndedReason.OTHER and not note:
            raise ValidationError({"ended_note": ["Describe the reason when it is 'Other'."]})
        course.ended_reason = ended_reason
        course.ended_note = note[:500]
        why = why or note or str(EndedReason(ended_reason).label)
    course.phase = to_phase
    course._history_user = actor  # type: ignore[attr-defined]
    course._change_reason = why  # type: ignore[attr-defined]
    course.save()
    course_changed(course.pk)  # its phase, and the appointments an end cancels below
    PhaseChange.objects.create(
        course=course, from_phase=current, to_phase=to_phase, by=actor, reason=why[:500]
    )
    cancelled = []
    if to_phase == CoursePhase.ENDED:
        label = EndedReason(ended_reason).label
        for appt in Appointment.objects.select_for_update().filter(
            course=course, status__in=HOLDING[:2], starts_at__gte=timezone.now()
        ):
            appt.status = AppointmentStatus.CANCELLED
            appt.cancel_reason = f"Course ended: {label}"
            appt._history_user = actor
            appt._change_reason = appt.cancel_reason
            appt.save()
            cancelled.append(appt.pk)
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=course,
        detail={
            "phase": [current, to_phase],
            "reason": why,
            "ended_reason": ended_reason,
            "cancelled_appointments": cancelled,
        },
    )
    return course
