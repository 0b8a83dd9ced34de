"""The outcome instrument is the first candidate scale the course measured at baseline.

A GAD course charted with GAD-7 and PHQ-9 but no clinician HAM-A used to stay "no outcome
yet" forever. The rule lives in the core (`clinical.outcome_instrument`); the course page
(`followup.choose_instrument`) and the bulk summary rebuild (`services.choose_instrument_code`)
must agree on the same data, which these tests check (the rule itself:
`clinical/tests/test_outcome_instrument.py`).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest

from ketaflow.clinical.protocols.builtin import builtin

IV = builtin("iv-racemic")  # entry instruments: HAM-A, LSAS (S11)
NO_ENTRY = builtin("esketamine-label")


# ---------------------------------------------------------------------------- both paths


def _score(nurse: Any, patient: Any, code: str, day: date, total: int, context: str) -> None:
    """A response to an item instrument adding up to `total` (scored items filled in order)."""
    from ketaflow.clinical.instruments import get_instrument
    from ketaflow.lib.clock import at_clinic
    from ketaflow.questionnaires.services import record_response

    answers: list[int | None] = []
    left = total
    for item in get_instrument(code).items:  # type: ignore[attr-defined]
        if not item.scored:
            answers.append(None)
            continue
        answers.append(min(item.maximum, left))
        left -= answers[-1]
    record_response(
        nurse,
        patient,
        code,
        answers=answers,
        context=context,
        administered_at=at_clinic(day, time(8), patient.clinic),
        rater="clinician" if code == "hama" else "self",
    )


def _world(prescriber, nurse, clinic, protocol, chair, dx, scores, mrn="IC-0001"):
    """A patient with diagnosis `dx`, four sessions and `scores`: (code, session index, total).

    Session index -1 is a screening score the day before the first session.
    """
    from ketaflow.courses.models import Appointment
    from ketaflow.courses.services import change_phase, start_course
    from ketaflow.lib.clock import at_clinic
    from ketaflow.outcomes.tests.conftest import make_patient, past_sessions
    from ketaflow.patients.models import Diagnosis

    patient = make_patient(clinic, prescriber, mrn)
    if dx:
        Diagnosis.objects.create(patient=patient, code=dx, is_primary=True, recorded_by=prescriber)
    days = past_sessions(4)
    course = start_course(prescriber, patient, protocol, started_on=days[0])
    course = change_phase(prescriber, course, "induction", reason="Eligible and consented")
    for n, day in enumerate(days, start=1):
        start = at_clinic(day, time(9), clinic)
        Appointment.objects.create(
            course=course,
            chair=chair,
            starts_at=start,
            ends_at=start + timedelta(minutes=130),
            session_number=n,
            phase="induction",
            status="completed",
            created_by=prescriber,
        )
    for code, index, total in scores:
        day = days[0] - timedelta(days=1) if index < 0 else days[index]
        _score(nurse, patient, code, day, total, "screening" if index < 0 else "pre_session")
    return course


GAD7 = [("gad7", -1, 16), ("gad7", 1, 12), ("gad7", 2, 9), ("gad7", 3, 7)]
PHQ9 = [("phq9", -1, 18), ("phq9", 2, 8)]
HAMA = [("hama", -1, 26), ("hama", 3, 12)]
PCL5 = [("pcl5", -1, 52), ("pcl5", 3, 40)]
CASES = {
    "gad_on_gad7_and_phq9": ("F41.1", GAD7 + PHQ9, "gad7"),
    "gad_on_hama_and_gad7": ("F41.1", GAD7 + HAMA, "hama"),
    "gad_hama_only_after_the_first_session": ("F41.1", [*GAD7, ("hama", 2, 20)], "gad7"),
    "gad_without_scores": ("F41.1", [], "hama"),
    "social_anxiety_on_phq9": ("F40.10", PHQ9, "phq9"),
    "ptsd_on_gad7": ("F43.10", GAD7, "gad7"),
    "ptsd_on_pcl5": ("F43.10", GAD7 + PCL5, "pcl5"),
    "ocd_on_gad7": ("F42.2", GAD7, "gad7"),
    "no_diagnosis_on_phq9": ("", PHQ9, "gad7"),
}


@pytest.mark.django_db
def test_the_course_page_and_the_bulk_rebuild_choose_the_same_scale(
    prescriber, nurse, clinic, protocols, chair
):
    from ketaflow.courses.derive.followup import choose_instrument, follow_up
    from ketaflow.outcomes.models import CourseOutcome
    from ketaflow.outcomes.services import rebuild_course_outcomes, refresh_course_outcome

    courses = {
        name: _world(
            prescriber, nurse, clinic, protocols["iv-racemic"], chair, dx, scores, f"IC-{i:04d}"
        )
        for i, (name, (dx, scores, _)) in enumerate(CASES.items())
    }
    assert rebuild_course_outcomes() == len(CASES)  # one batch: the in-memory bulk path
    bulk = dict(CourseOutcome.objects.values_list("course_id", "instrument"))
    for name, course in courses.items():
        expected = CASES[name][2]
        page = follow_up(course)
        assert page.instrument.code == bulk[course.pk] == expected, name
        assert choose_instrument(course) == page.instrument, name
        refresh_course_outcome(course.pk)  # one course is a batch of one: same answer
        assert CourseOutcome.objects.get(course=course).instrument == expected, name
    measured = follow_up(courses["gad_on_gad7_and_phq9"])
    assert measured.report is not None and measured.state is not None
    assert measured.instrument.reason == (
        "HAM-A not recorded at baseline; GAD-7 is the scale measured for F41.1"
    )
    row = CourseOutcome.objects.get(course=courses["gad_on_gad7_and_phq9"])
    assert row.state == measured.state.value and row.baseline_score == 16


@pytest.mark.django_db
def test_the_course_page_shows_why_the_measured_scale_was_chosen(
    client, login, prescriber, nurse, clinic, protocols, chair
):
    course = _world(prescriber, nurse, clinic, protocols["iv-racemic"], chair, "F41.1", GAD7)
    login(client, nurse)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "GAD-7 is the scale measured for F41.1" in page
    asked = client.get(f"/courses/{course.pk}/?instrument=phq9").content.decode()
    assert "Outcome: PHQ-9" in asked
