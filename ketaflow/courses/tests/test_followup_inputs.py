"""What goes into the core: which instrument, which scores, which session dates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.courses.derive.followup import choose_instrument, follow_up
from ketaflow.courses.tests.test_followup_world import (
    gad7,
    give,
    induction_course,
    past_sessions,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def days():
    return past_sessions(4)


@pytest.fixture
def course(prescriber, patient, protocols, chairs, days):
    course = induction_course(prescriber, patient, protocols["iv-racemic"], days[0])
    give(course, chairs[0], days, prescriber)
    return course


def diagnose(patient, code, prescriber, primary=True):
    from ketaflow.patients.models import Diagnosis

    return Diagnosis.objects.create(
        patient=patient, code=code, is_primary=primary, recorded_by=prescriber
    )


# ---------------------------------------------------------------------------- instrument


def test_gad_takes_the_protocols_entry_instrument_ham_a(course, patient, prescriber):
    diagnose(patient, "F41.1", prescriber)
    choice = choose_instrument(course)
    assert choice.code == "hama"
    assert choice.reason == "the protocol's entry instrument for F41.1"


def test_social_anxiety_takes_lsas(course, patient, prescriber):
    diagnose(patient, "F40.10", prescriber)
    assert choose_instrument(course).code == "lsas"


def test_without_a_diagnosis_gad7_is_the_fallback(course):
    choice = choose_instrument(course)
    assert choice.code == "gad7" and "GAD-7 by default" in choice.reason


def test_a_diagnosis_entered_in_error_is_ignored(course, patient, prescriber):
    from ketaflow.audit.history import RecordStatus

    wrong = diagnose(patient, "F40.10", prescriber)
    wrong.status = RecordStatus.ENTERED_IN_ERROR
    wrong.save()
    assert choose_instrument(course).code == "gad7"


def test_the_clinic_may_set_the_instrument_per_diagnosis(course, patient, prescriber, settings):
    settings.KETAFLOW_OUTCOME_INSTRUMENTS = {"F41.1": "gad7"}
    diagnose(patient, "F41.1", prescriber)
    choice = choose_instrument(course)
    assert choice.code == "gad7" and choice.reason == "the clinic's choice for F41.1"


def test_a_page_may_ask_for_another_instrument_but_not_one_without_criteria(course):
    assert choose_instrument(course, "PHQ9").code == "phq9"
    with pytest.raises(ClinicalInputError, match="no response criteria"):
        choose_instrument(course, "cadss")
    with pytest.raises(ClinicalInputError, match="unknown instrument"):
        choose_instrument(course, "madrs")


def test_the_api_refuses_an_unusable_instrument_with_a_422(client, login, nurse, course):
    login(client, nurse)
    response = client.get(f"/api/v1/courses/{course.pk}/outcomes?instrument=cadss")
    assert response.status_code == 422


def test_the_page_falls_back_and_says_why(client, login, nurse, course):
    login(client, nurse)
    page = client.get(f"/courses/{course.pk}/?instrument=cadss").content.decode()
    assert "CADSS has no response criteria" in page and "Outcome: GAD-7" in page


# ---------------------------------------------------------------------------- scores


def test_scores_entered_in_error_and_in_session_scales_are_left_out(nurse, patient, course, days):
    from ketaflow.questionnaires.services import mark_response_entered_in_error

    gad7(nurse, patient, days[0], 18)
    wrong = gad7(nurse, patient, days[1], 2)
    mark_response_entered_in_error(nurse, wrong, "Another patient's form")
    gad7(nurse, patient, days[2], 1, context="in_session", hour=10)
    gad7(nurse, patient, days[2], 15)
    fu = follow_up(course)
    assert [(s.on, s.value) for s in fu.scores] == [(days[0], 18), (days[2], 15)]


def test_of_two_scores_on_a_session_day_the_pre_dose_one_counts(nurse, patient, course, days):
    gad7(nurse, patient, days[0], 18)
    gad7(nurse, patient, days[1], 14)  # 08:00, before the dose
    gad7(nurse, patient, days[1], 9, context="follow_up", hour=14)  # same day, after it
    fu = follow_up(course)
    assert [s.value for s in fu.scores] == [18, 14]
    assert any("kept the before a session one (14)" in n for n in fu.notes)


def test_a_previous_courses_scores_are_not_this_courses_baseline(
    prescriber, nurse, patient, protocols, chairs
):
    from ketaflow.courses.services import change_phase

    early = past_sessions(3, weeks_ago=20)
    old = induction_course(prescriber, patient, protocols["iv-racemic"], early[0])
    gad7(nurse, patient, early[0], 20)
    change_phase(prescriber, old, "ended", ended_reason="completed")
    days = past_sessions(2)
    course = induction_course(prescriber, patient, protocols["iv-racemic"], days[0])
    give(course, chairs[0], days, prescriber)
    fu = follow_up(course)
    assert fu.scores == () and "record a baseline" in fu.message


# ---------------------------------------------------------------------------- sessions


def test_signed_sessions_count_and_unsigned_ones_do_not(prescriber, nurse, patient, course, days):
    from ketaflow.courses.models import AppointmentStatus
    from ketaflow.treatments.models import SessionStatus, TreatmentSession

    appts = list(course.appointments.order_by("starts_at"))
    statuses = (SessionStatus.SIGNED, SessionStatus.DISCHARGED)
    for appt, status in zip(appts[:2], statuses, strict=True):
        TreatmentSession.objects.create(
            clinic=patient.clinic,
            appointment=appt,
            course=course,
            patient=patient,
            chair=appt.chair,
            protocol_version=course.protocol_version,
            route="iv",
            session_number=appt.session_number,
            status=status,
        )
    fu = follow_up(course)
    # session 1 signed; session 2 not yet signed; sessions 3-4 were charted without a record
    assert fu.sessions == (days[0], days[2], days[3])
    assert fu.sessions_from.startswith("signed treatment sessions and completed appointments")
    appts[2].status = AppointmentStatus.CANCELLED
    appts[2].save()
    assert follow_up(course).sessions == (days[0], days[3])


def test_the_sessions_given_drive_the_protocols_next_session(nurse, patient, course, days):
    gad7(nurse, patient, days[0] - timedelta(days=2), 18, context="baseline")
    fu = follow_up(course)
    assert fu.step is not None and fu.step.session is not None
    assert fu.step.session.number == 5
