"""Phases go evaluation → induction → maintenance → ended; only re-induction goes back."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketaflow.courses.models import Appointment, PhaseChange
from ketaflow.courses.services import book_appointment, change_phase, start_course

pytestmark = pytest.mark.django_db


def test_a_course_starts_in_evaluation_with_a_logged_phase(course):
    assert course.phase == "evaluation"
    assert [(p.from_phase, p.to_phase) for p in PhaseChange.objects.filter(course=course)] == [
        ("", "evaluation")
    ]


def test_the_phases_follow_the_course(prescriber, course):
    change_phase(prescriber, course, "induction")
    change_phase(prescriber, course, "maintenance")
    course = change_phase(prescriber, course, "ended", ended_reason="completed")
    assert course.phase == "ended" and course.ended_reason == "completed"
    assert course.phase_changes.count() == 4


def test_skipping_induction_is_refused(prescriber, course):
    with pytest.raises(ValidationError, match="can go to induction or ended"):
        change_phase(prescriber, course, "maintenance")


def test_going_back_to_evaluation_is_refused(prescriber, course):
    change_phase(prescriber, course, "induction")
    with pytest.raises(ValidationError):
        change_phase(prescriber, course, "evaluation")


def test_re_induction_needs_a_reason(prescriber, course):
    change_phase(prescriber, course, "induction")
    change_phase(prescriber, course, "maintenance")
    with pytest.raises(ValidationError) as caught:
        change_phase(prescriber, course, "induction")
    assert "reason" in caught.value.message_dict
    course = change_phase(prescriber, course, "induction", reason="Relapse at week 10")
    assert course.phase_changes.last().reason == "Relapse at week 10"


def test_ending_needs_a_reason_from_the_list_and_text_for_other(prescriber, course):
    with pytest.raises(ValidationError) as caught:
        change_phase(prescriber, course, "ended")
    assert "ended_reason" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        change_phase(prescriber, course, "ended", ended_reason="other")
    assert "ended_note" in caught.value.message_dict
    change_phase(prescriber, course, "ended", ended_reason="other", ended_note="Moved abroad")


def test_ended_is_final(prescriber, course):
    change_phase(prescriber, course, "ended", ended_reason="patient_choice")
    with pytest.raises(ValidationError, match="has ended"):
        change_phase(prescriber, course, "induction", reason="back")


def test_ending_cancels_the_booked_sessions(prescriber, front_desk, course, chairs, monday, at):
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    change_phase(prescriber, course, "ended", ended_reason="adverse_event")
    appt.refresh_from_db()
    assert appt.status == "cancelled" and appt.cancel_reason == "Course ended: Adverse event"
    with pytest.raises(ValidationError, match="has ended"):
        book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 12))
    assert Appointment.objects.filter(course=course).count() == 1


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "clinic_admin", "researcher"])
def test_only_prescribers_start_courses_and_change_phase(
    personas, persona, patient, protocols, course, monday
):
    user = personas[persona]
    with pytest.raises(PermissionDenied):
        change_phase(user, course, "induction")
    with pytest.raises(PermissionDenied):
        start_course(user, patient, protocols["iv-racemic"], started_on=monday)


def test_one_open_course_per_patient(prescriber, patient, protocols, course, monday):
    with pytest.raises(ValidationError, match="already has an open course"):
        start_course(prescriber, patient, protocols["sc-racemic-anxiety"], started_on=monday)


def test_a_course_starts_on_the_current_protocol_version(
    prescriber, second_patient, protocols, monday
):
    from ketaflow.courses.services import revise_protocol

    old = protocols["iv-racemic"]
    revise_protocol(prescriber, old, {"observation_minutes": 90}, "Local audit")
    with pytest.raises(ValidationError, match="Version 2 of this protocol is current"):
        start_course(prescriber, second_patient, old, started_on=monday)


def test_another_clinics_protocol_cannot_be_used(outsider, prescriber, patient, protocols, monday):
    from ketaflow.courses.services import adopt_builtin_protocols

    theirs = adopt_builtin_protocols(outsider)[0]
    with pytest.raises(ValidationError) as caught:
        start_course(prescriber, patient, theirs, started_on=monday)
    assert "protocol_version" in caught.value.message_dict
