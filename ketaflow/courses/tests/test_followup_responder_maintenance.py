"""A responder at the end of induction: the protocol proposes maintenance, a prescriber moves."""

from __future__ import annotations

import pytest

from ketaflow.clinical.outcomes import FindingStatus, OutcomeState
from ketaflow.clinical.protocols import NextAction
from ketaflow.courses.derive.followup import follow_up
from ketaflow.courses.tests.test_followup_world import responder_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(prescriber, nurse, patient, protocols, chairs):
    return responder_world(prescriber, nurse, patient, protocols["iv-racemic"], chairs[0])


def test_the_core_reads_a_responder_from_the_recorded_scores_and_sessions(course):
    fu = follow_up(course)
    assert fu.instrument.code == "gad7"
    assert len(fu.sessions) == 6 and fu.sessions_from == "completed appointments"
    assert fu.report is not None and fu.message == ""
    assert fu.report.baseline.value == 18
    assert fu.state is OutcomeState.RESPONDER
    assert fu.latest_change_pct == pytest.approx(-66.7, abs=0.1)
    assert fu.report.early_improvement.status is FindingStatus.MET
    assert fu.report.non_response_signal.status is FindingStatus.NOT_MET
    assert [row.state for row in fu.trajectory][:1] == ["baseline"]


def test_after_the_series_the_protocol_proposes_maintenance(course):
    fu = follow_up(course)
    assert fu.step is not None and fu.step.action is NextAction.SCHEDULE
    assert fu.step.phase_change == ("induction", "taper_weekly")
    (move,) = fu.moves
    assert move.kind == "maintenance" and move.to_phase == "maintenance"
    assert move.reason == "Induction done (6); GAD-7 responder: 18 → 6 (67% better) [S40]"
    assert len(move.reason) <= 100  # the course history's change-reason field
    assert "Induction series finished (6 sessions)" in move.detail
    taper = fu.protocol.phase_name("taper_weekly")
    assert f"The protocol proposes session 7 ({taper})" in move.detail
    assert "taper_weekly" not in move.detail
    assert "S40" in {s.key for s in move.sources}  # GAD-7's response criterion


def test_the_prescriber_sees_a_one_click_move_and_it_uses_the_phase_service(
    client, login, prescriber, course
):
    login(client, prescriber)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert 'id="outcomes"' in page and 'id="trajectory"' in page
    assert "Move to maintenance" in page and "Induction series finished" in page
    reason = follow_up(course).moves[0].reason
    response = client.post(
        f"/courses/{course.pk}/phase/", {"to_phase": "maintenance", "reason": reason}
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.phase == "maintenance"
    change = course.phase_changes.order_by("-at", "-pk").first()
    assert change.to_phase == "maintenance" and change.reason == reason
    assert change.by == prescriber


def test_nothing_moves_until_a_person_confirms(client, login, prescriber, course):
    login(client, prescriber)
    client.get(f"/courses/{course.pk}/")
    course.refresh_from_db()
    assert course.phase == "induction"
    assert follow_up(course).moves[0].kind == "maintenance"


def test_once_in_maintenance_no_move_is_proposed(prescriber, course):
    from ketaflow.courses.services import change_phase

    moved = change_phase(prescriber, course, "maintenance", reason="Responder")
    assert follow_up(moved).moves == ()
