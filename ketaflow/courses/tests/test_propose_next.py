"""The next session and review flags, from the protocol's `next_step` (issue part 7)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaflow.clinical.outcomes import OutcomeState
from ketaflow.clinical.protocols import NextAction, ReviewReason
from ketaflow.courses.derive.planning import propose_next

pytestmark = pytest.mark.django_db


def test_after_session_four_the_prescriber_reviews(course, monday):
    done = [monday + timedelta(d) for d in (0, 2, 4, 7)]
    step = propose_next(course, done, OutcomeState.IMPROVING, as_of=done[-1])
    assert step.action is NextAction.REVIEW
    assert [r.reason for r in step.reviews] == [ReviewReason.REVIEW_POINT]
    assert step.session is not None and step.session.number == 5
    assert step.session.on == monday + timedelta(9)


def test_a_non_responder_is_flagged(course, monday):
    done = [monday + timedelta(d) for d in (0, 2, 4, 7)]
    step = propose_next(course, done, OutcomeState.NON_RESPONDER, as_of=done[-1])
    assert ReviewReason.NON_RESPONSE in {r.reason for r in step.reviews}


def test_the_end_of_induction_proposes_maintenance_for_responders_only(course, monday):
    done = [monday + timedelta(d) for d in (0, 2, 4, 7, 9, 11)]
    responder = propose_next(course, done, OutcomeState.RESPONDER, as_of=done[-1])
    assert responder.phase_change == ("induction", "taper_weekly")
    assert responder.action is NextAction.SCHEDULE
    unknown = propose_next(course, done, None, as_of=done[-1])
    assert ReviewReason.RESPONSE_REQUIRED in {r.reason for r in unknown.reviews}


def test_the_course_page_shows_the_next_proposal(client, login, nurse, course):
    login(client, nurse)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "Next per protocol" in page
    induction = course.protocol_version.load().phase_name("induction")
    assert f"Session 1 ({induction})" in page and "(induction)" not in page
