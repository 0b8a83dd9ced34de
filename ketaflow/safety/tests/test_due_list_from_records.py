"""The patient's due list follows the recorded results and the course's sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ketaflow.courses.models import ProtocolVersion
from ketaflow.safety import selectors, services
from ketaflow.safety.tests.conftest import NO_SYMPTOMS, full_panel


def _due(panel: Any, check: str) -> Any:
    return next(i for i in panel.due if i.check.value == check)


def test_a_course_without_any_results_owes_baseline_liver_tests_since_its_first_dose(
    nurse: Any, patient: Any, course: Any, held: Any, today: Any
) -> None:
    held(today - timedelta(days=50))
    panel = selectors.patient_panel(nurse, patient.pk)
    liver = _due(panel, "liver")
    assert liver.status.value == "overdue"
    assert liver.due_on == today - timedelta(days=50)


def test_a_complete_panel_resets_the_liver_clock_but_a_partial_one_does_not(
    nurse: Any, patient: Any, course: Any, today: Any
) -> None:
    day = today - timedelta(days=10)
    services.record_lab_panel(nurse, patient, collected_on=day, values=full_panel()[:2])
    assert _due(selectors.patient_panel(nurse, patient.pk), "liver").last_on is None
    services.record_lab_panel(
        nurse, patient, collected_on=today - timedelta(days=5), values=full_panel()
    )
    liver = _due(selectors.patient_panel(nurse, patient.pk), "liver")
    assert liver.due_on == today - timedelta(days=5) + timedelta(days=90)


def test_a_maintenance_visit_without_a_screen_is_overdue_until_screened(
    nurse: Any, patient: Any, course: Any, held: Any, today: Any
) -> None:
    visit = today - timedelta(days=3)
    held(visit, phase="maintenance", number=7)
    assert _due(selectors.patient_panel(nurse, patient.pk), "luts").status.value == "overdue"
    services.record_luts_screen(nurse, patient, screened_on=visit, answers=NO_SYMPTOMS)
    assert _due(selectors.patient_panel(nurse, patient.pk), "luts").status.value == "not_required"


def test_a_positive_screen_puts_a_stop_and_refer_flag_on_the_panel(
    nurse: Any, patient: Any, course: Any, today: Any
) -> None:
    services.record_luts_screen(
        nurse, patient, screened_on=today, answers={**NO_SYMPTOMS, "dysuria": True}
    )
    panel = selectors.patient_panel(nurse, patient.pk)
    assert [f.check.value for f in panel.flags] == ["luts"]
    assert "urology" in panel.flags[0].message
    assert panel.screens[0].positive


def test_a_record_entered_in_error_no_longer_counts(
    nurse: Any, patient: Any, course: Any, today: Any
) -> None:
    review = services.record_review(
        nurse, patient, kind="cognition", reviewed_on=today, outcome="no_concern"
    )
    assert _due(selectors.patient_panel(nurse, patient.pk), "cognition").last_on == today
    services.mark_entered_in_error(nurse, review, "Wrong patient")
    assert _due(selectors.patient_panel(nurse, patient.pk), "cognition").last_on is None


def test_the_protocol_may_set_its_own_interval(
    nurse: Any, patient: Any, course: Any, today: Any
) -> None:
    version = course.protocol_version
    ProtocolVersion.objects.filter(pk=version.pk).update(
        data={**version.data, "long_term_safety": {"substance_use_interval_days": 30}}
    )
    services.record_review(
        nurse, patient, kind="substance_use", reviewed_on=today, outcome="no_concern"
    )
    item = _due(selectors.patient_panel(nurse, patient.pk), "substance_use")
    assert item.due_on == today + timedelta(days=30)
    assert not item.needs_local_signoff


def test_the_clinic_list_shows_overdue_checks_first(
    nurse: Any, patient: Any, course: Any, held: Any, today: Any
) -> None:
    held(today - timedelta(days=40))
    rows = selectors.clinic_due_list(nurse)
    assert rows and rows[0].item.status.value == "overdue"
    assert {r.patient.pk for r in rows} == {patient.pk}


def test_an_ended_course_is_not_on_the_clinic_list(
    nurse: Any, patient: Any, course: Any, held: Any, today: Any
) -> None:
    from ketaflow.courses.models import Course

    held(today - timedelta(days=40))
    Course.objects.filter(pk=course.pk).update(phase="ended")
    assert selectors.clinic_due_list(nurse) == []
