"""Forms fall due from rules anchored to the last treatment; staff see due and overdue lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from ketaflow.courses.models import CoursePhase
from ketaflow.lib.clock import at_clinic
from ketaflow.portal.derive import course_occurrences, effective_rules
from ketaflow.portal.selectors import due_forms
from ketaflow.portal.services import add_rule, retire_rule
from ketaflow.portal.tests.conftest import answers, path
from ketaflow.questionnaires.services import record_response

pytestmark = pytest.mark.django_db


def _due(nurse: Any) -> list[tuple[str, str, str]]:
    return [(r.patient.mrn, r.instrument, r.status.value) for r in due_forms(nurse)]


def test_the_day_after_a_session_gad7_and_phq9_are_due(
    nurse: Any, course: Any, give_session: Any, today: Any
) -> None:
    give_session(course, today - timedelta(days=1))
    assert _due(nurse) == [("KF-000001", "gad7", "due"), ("KF-000001", "phq9", "due")]
    assert effective_rules(course).origin == "default"


def test_not_done_by_the_next_day_they_are_overdue(
    nurse: Any, course: Any, give_session: Any, today: Any
) -> None:
    give_session(course, today - timedelta(days=2))
    rows = due_forms(nurse)
    assert {r.status.value for r in rows} == {"overdue"}
    assert rows[0].due_on == today - timedelta(days=1)


def test_a_completed_form_leaves_the_list(
    nurse: Any, prescriber: Any, patient: Any, course: Any, give_session: Any, today: Any
) -> None:
    give_session(course, today - timedelta(days=1))
    record_response(
        nurse,
        patient,
        "gad7",
        answers=[0] * 7,
        context="follow_up",
        rater="self",
        administered_at=timezone.now(),
    )
    assert _due(nurse) == [("KF-000001", "phq9", "due")]


def test_the_last_treatment_is_the_anchor(
    nurse: Any, course: Any, give_session: Any, today: Any
) -> None:
    give_session(course, today - timedelta(days=8))
    give_session(course, today - timedelta(days=7))
    # Day 7 after the latest session is today; the older session's asks are superseded.
    rows = due_forms(nurse)
    assert [(r.instrument, r.due_on) for r in rows] == [("gad7", today), ("phq9", today)]


def test_maintenance_sessions_follow_the_weekly_rule(
    nurse: Any, course: Any, give_session: Any, today: Any
) -> None:
    course.phase = CoursePhase.MAINTENANCE
    course.save()
    give_session(course, today - timedelta(days=14), phase="maintenance")
    assert [r.due_on for r in due_forms(nurse)] == [today, today]
    occurrences = course_occurrences(course, today)
    assert [o.status.value for o in occurrences if o.instrument == "gad7"] == ["missed", "due"]


def test_an_ended_course_asks_for_nothing(
    nurse: Any, course: Any, give_session: Any, today: Any
) -> None:
    give_session(course, today - timedelta(days=1))
    course.phase = CoursePhase.ENDED
    course.save()
    assert due_forms(nurse) == []


def test_a_rule_edit_applies_to_what_is_not_yet_due(
    nurse: Any, course: Any, give_session: Any, today: Any
) -> None:
    give_session(course, today - timedelta(days=4))
    assert due_forms(nurse) == []  # day 1 window (3 days) has closed; day 7 not yet
    rule = add_rule(
        nurse,
        scope="clinic",
        instrument="pcl5",
        phase="induction",
        offsets_days=[4],
        window_days=2,
        reason="PTSD clinic: PCL-5 four days after",
    )
    assert _due(nurse) == [("KF-000001", "pcl5", "due")]
    assert effective_rules(course).origin == "clinic"
    retire_rule(nurse, rule, "back to defaults")
    assert due_forms(nurse) == []
    assert effective_rules(course).origin == "default"


def test_a_course_rule_beats_the_protocol_rule_beats_the_clinic_rule(
    nurse: Any, course: Any
) -> None:
    common = {"instrument": "gad7", "phase": "induction", "window_days": 2, "reason": "local"}
    add_rule(nurse, scope="clinic", offsets_days=[1], **common)
    assert effective_rules(course).origin == "clinic"
    add_rule(
        nurse,
        scope="protocol",
        protocol_code=course.protocol_version.code,
        offsets_days=[2],
        **common,
    )
    assert effective_rules(course).origin == "protocol"
    add_rule(nurse, scope="course", course=course, offsets_days=[3], **common)
    rules = effective_rules(course)
    assert rules.origin == "course" and rules.rules[0].offsets_days == (3,)


def test_rules_for_licensed_scales_or_nonsense_days_are_refused(nurse: Any) -> None:
    common = {"scope": "clinic", "phase": "induction", "window_days": 2, "reason": "x"}
    with pytest.raises(ValidationError, match="cannot be offered"):
        add_rule(nurse, instrument="cssrs", offsets_days=[1], **common)
    with pytest.raises(ValidationError) as caught:
        add_rule(nurse, instrument="gad7", offsets_days=[0], **common)
    assert "offsets_days" in caught.value.message_dict


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "researcher"])
def test_only_send_questionnaires_roles_edit_rules(persona: str, personas: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        add_rule(
            personas[persona],
            scope="clinic",
            instrument="gad7",
            phase="induction",
            offsets_days=[1],
            window_days=2,
            reason="x",
        )


def test_the_due_list_is_per_clinic(
    outsider: Any, course: Any, give_session: Any, today: Any
) -> None:
    give_session(course, today - timedelta(days=1))
    assert due_forms(outsider) == []


def test_the_patient_link_shows_what_is_due_now(
    issue: Any, patient: Any, course: Any, give_session: Any, today: Any, portal_client: Client
) -> None:
    give_session(course, today - timedelta(days=1))
    issued = issue(patient, instruments=())
    home = portal_client.get(path(issued)).content.decode()
    assert "Fill in the GAD-7" in home and "Due since" in home
    portal_client.post(path(issued, "form", "gad7"), answers([0] * 7))
    from ketaflow.questionnaires.models import InstrumentResponse

    response = InstrumentResponse.objects.get()
    due_on = (today).isoformat()
    assert response.context_ref == f"schedule:{course.pk}:{due_on}"
    assert [r.instrument for r in due_forms(issued.link.created_by)] == ["phq9"]


def test_sessions_charted_in_the_sessions_app_anchor_once_signed_or_discharged(
    nurse: Any, patient: Any, course: Any, give_session: Any, today: Any, clinic: Any
) -> None:
    from ketaflow.courses.models import AppointmentStatus
    from ketaflow.treatments.models import SessionStatus, TreatmentSession

    appt = give_session(course, today - timedelta(days=1), status=AppointmentStatus.IN_SESSION)
    session = TreatmentSession.objects.create(
        clinic=clinic,
        appointment=appt,
        course=course,
        patient=patient,
        chair=appt.chair,
        protocol_version=course.protocol_version,
        route="iv",
        session_number=1,
        status=SessionStatus.OBSERVING,
    )
    assert due_forms(nurse) == []
    session.status = SessionStatus.SIGNED
    session.signed_at = at_clinic(today - timedelta(days=1), appt.starts_at.timetz(), clinic)
    session.save()
    assert len(due_forms(nurse)) == 2
