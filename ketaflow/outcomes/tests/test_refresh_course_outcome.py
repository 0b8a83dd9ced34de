"""The per-course summary row: states, dates, Kaplan-Meier inputs, sessions, dose, AE and BP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaflow.courses.derive.followup import follow_up
from ketaflow.outcomes.models import CourseOutcome
from ketaflow.outcomes.services import rebuild_course_outcomes, refresh_course_outcome
from ketaflow.outcomes.tests.conftest import course_with, past_sessions

pytestmark = pytest.mark.django_db


def test_a_responders_row_matches_the_course_page(prescriber, nurse, patient, protocols, chair):
    course = course_with(
        prescriber,
        nurse,
        patient,
        protocols["iv-racemic"],
        chair,
        (18, 15, 12, 9, 8, 7),
        follow_up=(6,),
        side_effects=(2,),
        high_bp=(3, 4),
    )
    refresh_course_outcome(course.pk)
    row = CourseOutcome.objects.get(course=course)
    page = follow_up(course)
    assert row.instrument == page.instrument.code == "gad7"
    assert row.state == page.state.value == "responder"  # 67% better; 6 is not remission
    assert row.baseline_score == 18 and row.latest_score == 6
    assert row.first_response_on == page.report.first_response.when
    days = past_sessions(6)
    assert row.first_session_on == days[0] and row.sessions == 6 and row.signed_sessions == 6
    assert row.days_to_response == (row.first_response_on - days[0]).days
    assert row.response_event is True
    assert row.days_relapse_free == (row.latest_on - row.first_response_on).days
    assert row.relapse_event is False
    assert row.total_mg == pytest.approx(6 * 35.0)
    assert row.mean_mg_per_session == pytest.approx(35.0) and row.mean_mg_per_kg == 0.5
    assert row.sessions_with_adverse_events == 1 and row.sessions_with_bp_excursion == 2
    assert row.induction_planned == 6 and row.induction_complete is True
    assert row.induction_response is True
    assert row.early_change_pct == pytest.approx((18 - 12) / 18 * 100)
    assert row.age_at_start is not None and row.clinic_id == patient.clinic_id


def test_a_non_responder_has_the_s17_signal_and_is_censored(
    prescriber, nurse, patient, protocols, chair
):
    course = course_with(
        prescriber,
        nurse,
        patient,
        protocols["iv-racemic"],
        chair,
        (18, 18, 17, 17),
        follow_up=(16,),
    )
    refresh_course_outcome(course.pk)
    row = CourseOutcome.objects.get(course=course)
    assert row.state == "non_responder" and row.non_response_signal_on is not None
    assert row.first_response_on is None and row.response_event is False
    assert row.days_to_response == (row.latest_on - row.first_session_on).days
    assert row.days_relapse_free is None
    assert row.induction_complete is False and row.induction_response is None


def test_completed_appointments_without_session_records_count_as_sessions_without_dose(
    prescriber, nurse, patient, protocols, chair
):
    course = course_with(
        prescriber, nurse, patient, protocols["iv-racemic"], chair, (18, 14), signed=False
    )
    refresh_course_outcome(course.pk)
    row = CourseOutcome.objects.get(course=course)
    assert row.sessions == 2 and row.signed_sessions == 0
    assert row.sessions_with_dose == 0 and row.total_mg == 0 and row.mean_mg_per_session is None


def test_a_course_without_a_baseline_has_a_row_without_outcome(prescriber, patient, protocols):
    from ketaflow.courses.services import start_course

    course = start_course(
        prescriber, patient, protocols["iv-racemic"], started_on=past_sessions(1)[0]
    )
    refresh_course_outcome(course.pk)
    row = CourseOutcome.objects.get(course=course)
    assert row.state == "" and row.baseline_score is None and row.sessions == 0


def test_rebuild_writes_every_course_and_updates_in_place(
    prescriber, nurse, patient, protocols, chair, clinic, front_desk
):
    from ketaflow.outcomes.tests.conftest import make_patient

    course_with(prescriber, nurse, patient, protocols["iv-racemic"], chair, (18, 15, 12))
    other = make_patient(clinic, front_desk, "KF-000777")
    course_with(prescriber, nurse, other, protocols["iv-racemic"], chair, (16, 16, 15))
    assert rebuild_course_outcomes(batch_size=1) == 2
    assert rebuild_course_outcomes(clinic_id=clinic.pk) == 2
    assert CourseOutcome.objects.count() == 2


def test_rebuild_and_refresh_give_identical_rows(prescriber, nurse, patient, protocols, chair):
    course = course_with(
        prescriber,
        nurse,
        patient,
        protocols["iv-racemic"],
        chair,
        (18, 15, 12, 9, 8, 7),
        follow_up=(6,),
        side_effects=(1,),
    )
    refresh_course_outcome(course.pk)
    one = CourseOutcome.objects.values().get(course=course)
    rebuild_course_outcomes()
    two = CourseOutcome.objects.values().get(course=course)
    one.pop("refreshed_at"), two.pop("refreshed_at")
    assert one == two


def test_the_services_changes_refresh_the_row_after_commit(
    prescriber, nurse, patient, protocols, chair, django_capture_on_commit_callbacks
):
    from ketaflow.outcomes.tests.conftest import gad7

    with django_capture_on_commit_callbacks(execute=True):
        course = course_with(
            prescriber, nurse, patient, protocols["iv-racemic"], chair, (18, 15, 12)
        )
    row = CourseOutcome.objects.get(course=course)
    assert row.sessions == 3 and row.latest_score == 12
    with django_capture_on_commit_callbacks(execute=True):
        gad7(nurse, patient, past_sessions(3)[-1] + timedelta(days=1), 8, context="follow_up")
    row.refresh_from_db()
    assert row.latest_score == 8 and row.first_response_on is not None


def test_a_failing_refresh_never_breaks_the_write(
    prescriber, patient, protocols, monkeypatch, django_capture_on_commit_callbacks
):
    from ketaflow.courses.services import start_course
    from ketaflow.outcomes import services

    def broken(course_id: int) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "refresh_course_outcome", broken)
    with django_capture_on_commit_callbacks(execute=True):
        course = start_course(
            prescriber, patient, protocols["iv-racemic"], started_on=past_sessions(1)[0]
        )
    assert course.pk is not None
