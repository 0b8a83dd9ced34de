"""Without a baseline score the course page asks for one; nothing fails."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaflow.courses.derive.followup import follow_up
from ketaflow.courses.tests.test_followup_world import gad7, give, induction_course, past_sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def days():
    return past_sessions(3)


@pytest.fixture
def course(prescriber, patient, protocols, chairs, days):
    course = induction_course(prescriber, patient, protocols["iv-racemic"], days[0])
    give(course, chairs[0], days, prescriber)
    return course


def test_scores_only_after_the_first_session_ask_for_a_baseline(nurse, patient, course, days):
    gad7(nurse, patient, days[1], 12)
    fu = follow_up(course)
    assert fu.report is None
    assert "record a baseline GAD-7 on or before the first session" in fu.message
    assert fu.step is not None  # the protocol still proposes the next session
    assert fu.step.session is not None and fu.step.session.number == 4


def test_no_score_at_all_is_a_message_on_the_page_not_an_error(client, login, prescriber, course):
    login(client, prescriber)
    response = client.get(f"/courses/{course.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "No baseline GAD-7 yet: record a baseline GAD-7" in page
    assert 'id="trajectory"' not in page


def test_the_api_says_the_same(client, login, nurse, course):
    login(client, nurse)
    body = client.get(f"/api/v1/courses/{course.pk}/outcomes").json()
    assert body["state"] is None and body["baseline"] is None
    assert body["message"].startswith("No baseline GAD-7 yet")


def test_a_baseline_before_any_session_is_shown_and_waits_for_the_first_session(
    nurse, patient, prescriber, protocols, days
):
    course = induction_course(prescriber, patient, protocols["iv-racemic"], days[-1])
    gad7(nurse, patient, days[0] - timedelta(days=1), 16, context="baseline")
    fu = follow_up(course)
    assert fu.report is None and fu.baseline is not None and fu.baseline.value == 16
    assert fu.message == "Baseline recorded. Outcomes are measured from the first session."
