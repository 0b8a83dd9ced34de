"""A non-improver after session 4: the S17 signal with its source, and a review to decide."""

from __future__ import annotations

import pytest

from ketaflow.clinical.outcomes import FindingStatus, OutcomeState
from ketaflow.clinical.protocols import NextAction, ReviewReason
from ketaflow.courses.derive.followup import follow_up
from ketaflow.courses.tests.test_followup_world import non_responder_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(prescriber, nurse, patient, protocols, chairs):
    return non_responder_world(prescriber, nurse, patient, protocols["iv-racemic"], chairs[0])


def test_the_signal_after_session_four_is_shown_with_its_source(course):
    fu = follow_up(course)
    assert fu.report is not None
    signal = fu.report.non_response_signal
    assert signal.status is FindingStatus.MET
    assert "after session 4" in signal.explanation
    assert "S17" in {s.key for s in signal.sources}
    assert fu.state is OutcomeState.NON_RESPONDER


def test_the_next_step_is_a_review_for_non_response(course):
    fu = follow_up(course)
    assert fu.step is not None and fu.step.action is NextAction.REVIEW
    reasons = {r.reason for r in fu.step.reviews}
    assert {ReviewReason.NON_RESPONSE, ReviewReason.REVIEW_POINT} <= reasons
    assert fu.step.session is not None and fu.step.session.number == 5  # tentative


def test_ending_or_continuing_is_proposed_with_the_reason(course):
    kinds = {m.kind: m for m in follow_up(course).moves}
    assert set(kinds) == {"end", "continue"}
    end = kinds["end"]
    assert end.to_phase == "ended" and end.ended_reason == "non_response"
    assert end.reason == "GAD-7 11% better after session 4: non-response signal [S17]"
    assert "review whether to continue" in end.detail and "S17" in end.detail
    assert kinds["continue"].to_phase == ""


def test_the_page_shows_the_signal_the_source_and_the_review(client, login, prescriber, course):
    login(client, prescriber)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    signal = page.split('id="non-response-signal"')[1].split("</dd>")[0]
    assert "signal present" in signal and "S17" in signal
    assert "Non-response signal: little further improvement" in page  # the review flag
    assert "End the course (non-response)" in page
    assert "Continue the series" in page


def test_the_prescriber_ends_the_course_with_the_proposed_reason(client, login, prescriber, course):
    login(client, prescriber)
    end = next(m for m in follow_up(course).moves if m.kind == "end")
    response = client.post(
        f"/courses/{course.pk}/phase/",
        {
            "to_phase": "ended",
            "ended_reason": end.ended_reason,
            "ended_note": end.detail,
            "reason": end.reason,
        },
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.phase == "ended" and course.ended_reason == "non_response"
    assert course.ended_note == end.detail
    assert course.phase_changes.order_by("-at", "-pk").first().reason == end.reason
