"""Recording a prescriber's decision to continue the series. MANAGE_COURSES (prescribers) only.

After a signed session the follow-up proposal offers the next session or a phase move. A
phase move is recorded by `change_phase` (a `PhaseChange`); going on as planned changes no
phase, so it is recorded here as a `SeriesDecision`, with the session it followed and a
snapshot of the core's states at the time. When the core signals non-response (S17: after
the review session), continuing goes against the proposal and needs a reason.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.courses.models import (
    SESSION_GIVEN,
    Appointment,
    Course,
    SeriesDecision,
    SeriesDecisionKind,
)
from ketaflow.courses.services._common import locked, require

NOTE_MAX = 500


def sessions_given(course: Course) -> list[Appointment]:
    """The course's sessions given (completed, or with a signed treatment session), in order.

    The same sessions the follow-up counts (`SESSION_GIVEN`).
    """
    return list(
        Appointment.objects.filter(SESSION_GIVEN, course=course).order_by("starts_at", "pk")
    )


@transaction.atomic
def record_series_decision(
    actor: User,
    course: Course,
    *,
    decision: str = SeriesDecisionKind.CONTINUE,
    note: str = "",
    after_session_id: int | None = None,
) -> SeriesDecision:
    """Record "continue the series" after the latest session given.

    `after_session_id` (the appointment the page or client showed the proposal for) guards
    against deciding on a stale proposal: if a later session has been given since, the
    caller is asked to review the follow-up again rather than record a decision about it.
    """
    require(actor, Capability.MANAGE_COURSES)
    course = locked(Course.objects.filter(patient__clinic_id=actor.clinic_pk), course.pk)
    if decision not in SeriesDecisionKind.values:
        choices = ", ".join(SeriesDecisionKind.values)
        raise ValidationError({"decision": [f"Choose one of: {choices}."]})
    if course.is_ended:
        raise ValidationError({"__all__": ["This course has ended; its series cannot continue."]})
    given = sessions_given(course)
    if not given:
        raise ValidationError(
            {"__all__": ["No session has been given yet: a series decision follows a session."]}
        )
    latest = given[-1]
    if after_session_id is not None and after_session_id != latest.pk:
        if after_session_id not in {a.pk for a in given}:
            message = "Not a session given in this course."
        else:
            message = (
                f"Session {latest.session_number} has been given since: review the follow-up "
                "again before deciding."
            )
        raise ValidationError({"after_session_id": [message]})
    already = SeriesDecision.objects.filter(course=course, after_session=latest).first()
    if already is not None:
        raise ValidationError(
            {
                "__all__": [
                    f"Already decided after session {latest.session_number} "
                    f"({already.get_decision_display().lower()}, by {already.by})."
                ]
            }
        )
    # Imported here: followup reads the selectors, which import these services.
    from ketaflow.courses.decision_snapshot import non_response_signalled, snapshot
    from ketaflow.courses.derive.followup import follow_up

    found = follow_up(course)
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise ValidationError({"note": [f"Keep the note to {NOTE_MAX} characters."]})
    if non_response_signalled(found) and not text:
        raise ValidationError(
            {
                "note": [
                    "The core signals non-response: say why the series continues "
                    "(the reason is kept with the decision)."
                ]
            }
        )
    row = SeriesDecision.objects.create(
        course=course,
        after_session=latest,
        decision=decision,
        by=actor,
        note=text,
        snapshot=snapshot(found),
    )
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=row,
        patient_id=course.patient_id,
        detail={
            "course": course.pk,
            "decision": decision,
            "after_session": latest.pk,
            "state": row.snapshot["state"],
            "non_response": row.snapshot["non_response"],
        },
    )
    return row
