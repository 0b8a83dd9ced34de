"""Moving and cancelling: same checks as booking, reasons required, history kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ketaflow.audit.history import RecordDeletionError
from ketaflow.courses.services import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_appointment_status,
)

pytestmark = pytest.mark.django_db


def test_moving_keeps_the_old_time_and_reason_in_the_history(
    front_desk, course, chairs, monday, at
):
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    moved = reschedule_appointment(
        front_desk, appt, starts_at=at(monday, 13), chair=chairs[1], reason="Patient asked"
    )
    assert (moved.chair, moved.starts_at) == (chairs[1], at(monday, 13))
    old, _new = moved.history.order_by("history_date")[:2]
    assert old.starts_at == at(monday, 9)
    assert moved.history.first().history_change_reason == "Patient asked"


def test_moving_onto_a_taken_chair_is_refused(
    front_desk, course, second_course, chairs, monday, at
):
    book_appointment(front_desk, second_course, chair=chairs[0], starts_at=at(monday, 9))
    appt = book_appointment(front_desk, course, chair=chairs[1], starts_at=at(monday, 9))
    with pytest.raises(ValidationError, match="Chair 1 is taken"):
        reschedule_appointment(
            front_desk, appt, starts_at=at(monday, 9), chair=chairs[0], reason="x"
        )


def test_an_appointment_may_move_within_its_own_slot(front_desk, course, chairs, monday, at):
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    moved = reschedule_appointment(front_desk, appt, starts_at=at(monday, 9, 30), reason="Late")
    assert moved.starts_at == at(monday, 9, 30)


def test_moving_needs_a_reason(front_desk, course, chairs, monday, at):
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    with pytest.raises(ValidationError) as caught:
        reschedule_appointment(front_desk, appt, starts_at=at(monday, 10), reason=" ")
    assert "reason" in caught.value.message_dict


def test_cancelling_needs_a_reason_and_renumbers_the_later_sessions(
    front_desk, course, chairs, monday, at
):
    first = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    second = book_appointment(
        front_desk, course, chair=chairs[0], starts_at=at(monday + timedelta(2), 9)
    )
    with pytest.raises(ValidationError):
        cancel_appointment(front_desk, first, "")
    cancel_appointment(front_desk, first, "Unwell")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "cancelled" and first.cancel_reason == "Unwell"
    assert second.session_number == 1


def test_appointments_are_never_deleted(front_desk, course, chairs, monday, at):
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    with pytest.raises(RecordDeletionError):
        appt.delete()


def test_a_completed_session_cannot_be_cancelled_or_moved(
    front_desk, nurse, course, chairs, monday, at, clock
):
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    clock(at(monday, 8, 45))  # check-in is on the appointment's day
    set_appointment_status(front_desk, appt, "checked_in")
    set_appointment_status(nurse, appt, "in_session")
    set_appointment_status(nurse, appt, "completed")
    with pytest.raises(ValidationError):
        cancel_appointment(front_desk, appt, "oops")
    with pytest.raises(ValidationError):
        reschedule_appointment(front_desk, appt, starts_at=at(monday, 12), reason="x")


def test_front_desk_checks_in_but_does_not_start_the_session(
    front_desk, course, chairs, monday, at, clock
):
    from django.core.exceptions import PermissionDenied

    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    clock(at(monday, 8, 45))  # check-in is on the appointment's day
    set_appointment_status(front_desk, appt, "checked_in")
    with pytest.raises(PermissionDenied):
        set_appointment_status(front_desk, appt, "in_session")
