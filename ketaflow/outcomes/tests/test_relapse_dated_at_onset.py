"""Relapse-free durability ends at the relapse's onset, not at its confirmation.

Worked by hand (GAD-7, the default relapse rule: response lost on 2 assessments 5-15 days
apart): sessions Mon-Wed-Fri-Mon; baseline 20; 12 on session 2's day (40%: no response);
8 on Friday's session 3 (60%: the first response); 8 on Monday; then 14 a week later (30%:
response lost, the onset) and 15 a week after that (confirms). Relapse-free from the first
response (Friday) to the onset (Monday + 7): 3 + 7 = 10 days. Dated at the confirmation it
was 17 days, 7 too long.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaflow.courses.derive.followup import follow_up
from ketaflow.outcomes.models import CourseOutcome
from ketaflow.outcomes.services import refresh_course_outcome
from ketaflow.outcomes.tests.conftest import course_with, gad7, past_sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def relapsed(prescriber, nurse, patient, protocols, chair):  # type: ignore[no-untyped-def]
    course = course_with(prescriber, nurse, patient, protocols["iv-racemic"], chair, (20, 12, 8, 8))
    last = past_sessions(4)[-1]
    gad7(nurse, patient, last + timedelta(days=7), 14, context="follow_up", hour=10)
    gad7(nurse, patient, last + timedelta(days=14), 15, context="follow_up", hour=10)
    return course


def test_the_summary_row_dates_the_relapse_at_its_onset(relapsed) -> None:  # type: ignore[no-untyped-def]
    refresh_course_outcome(relapsed.pk)
    row = CourseOutcome.objects.get(course=relapsed)
    days = past_sessions(4)
    assert row.first_response_on == days[2]
    assert row.relapse_on == days[3] + timedelta(days=7)
    assert row.days_relapse_free == 10
    assert row.relapse_event is True
    assert row.state == "relapsed"


def test_the_course_page_and_the_row_agree_on_the_onset(relapsed) -> None:  # type: ignore[no-untyped-def]
    refresh_course_outcome(relapsed.pk)
    row = CourseOutcome.objects.get(course=relapsed)
    report = follow_up(relapsed).report
    assert report is not None
    (relapse,) = report.relapses
    assert relapse.onset == row.relapse_on
    assert relapse.confirmed == row.relapse_on + timedelta(days=7)
    assert report.state_on(relapse.onset).value == "relapsed"  # type: ignore[union-attr]


def test_the_patient_page_shows_the_relapsed_state_from_the_onset(
    client, login, nurse, relapsed
) -> None:  # type: ignore[no-untyped-def]
    login(client, nurse)
    page = client.get(f"/outcomes/patient/{relapsed.patient_id}/").content.decode()
    onset = past_sessions(4)[-1] + timedelta(days=7)
    confirmed = onset + timedelta(days=7)
    assert f"<strong>Relapsed</strong> from {onset.day} {onset:%b %Y}" in page
    assert f"from {onset.day} {onset:%b %Y}, confirmed {confirmed.day} {confirmed:%b %Y}" in page


def test_the_bulk_rebuild_and_the_dashboard_use_the_onset(relapsed, clinic) -> None:  # type: ignore[no-untyped-def]
    from ketaflow.outcomes.dashboard import DashboardFilters, dashboard_data
    from ketaflow.outcomes.services import rebuild_course_outcomes

    rebuild_course_outcomes()
    row = CourseOutcome.objects.get(course=relapsed)
    assert (row.days_relapse_free, row.relapse_event) == (10, True)
    km = dashboard_data(clinic.pk, DashboardFilters(), deidentified=False).relapse_free.km
    # One responder, relapsed 10 days after its first response: the curve drops to 0 at 10.
    assert km is not None and km.median_days == 10
