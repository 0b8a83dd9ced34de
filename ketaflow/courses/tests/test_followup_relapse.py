"""A relapse after response in maintenance: flagged with its rule, a new induction proposed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaflow.clinical.outcomes import OutcomeState
from ketaflow.clinical.protocols import ReviewReason
from ketaflow.courses.derive.followup import follow_up
from ketaflow.courses.tests.test_followup_world import gad7, past_sessions, responder_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(prescriber, nurse, patient, protocols, chairs):
    from ketaflow.courses.services import change_phase

    course = responder_world(prescriber, nurse, patient, protocols["iv-racemic"], chairs[0])
    last = past_sessions(6)[-1]
    gad7(nurse, patient, last + timedelta(days=8), 14, context="follow_up")
    gad7(nurse, patient, last + timedelta(days=16), 15, context="follow_up")
    return change_phase(prescriber, course, "maintenance", reason="Responder")


def test_two_assessments_without_response_confirm_a_relapse(course):
    fu = follow_up(course)
    assert fu.state is OutcomeState.RELAPSED
    assert fu.report is not None and len(fu.report.relapses) == 1
    assert "S19" in {s.key for s in fu.report.relapses[0].sources}
    assert fu.step is not None
    assert ReviewReason.RELAPSE in {r.reason for r in fu.step.reviews}


def test_a_new_induction_is_proposed_to_the_prescriber(client, login, prescriber, course):
    (move,) = follow_up(course).moves
    assert move.kind == "reinduction" and move.to_phase == "induction"
    onset = past_sessions(6)[-1] + timedelta(days=8)
    confirmed = onset + timedelta(days=8)
    # Dated at its onset, with the confirmation beside it.
    assert move.reason.startswith(
        f"GAD-7 relapse from {onset:%d %b %Y} (confirmed {confirmed:%d %b %Y})"
    )
    assert move.reason.endswith("[S19]")
    assert "Relapse confirmed: review the maintenance spacing" in move.detail
    login(client, prescriber)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "Start a new induction" in page
    assert "confirmed" in page.split('id="relapse"')[1].split("</dd>")[0]
