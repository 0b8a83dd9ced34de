"""Depression-derived thresholds on an anxiety scale are flagged wherever the state shows.

S17's "< 20% better after infusion 4" and S18's early improvement were derived on MADRS
and QIDS-SR16. On GAD-7 they are an analogy the clinic must sign off: the course page,
the patient outcome page, the dashboard list and both APIs say so.
"""

from __future__ import annotations

import pytest

from ketaflow.outcomes.models import CourseOutcome
from ketaflow.outcomes.services import refresh_course_outcome
from ketaflow.outcomes.tests.conftest import course_with

pytestmark = pytest.mark.django_db

FLAG = "UNVERIFIED: needs local sign-off"


@pytest.fixture
def non_responder(prescriber, nurse, patient, protocols, chair):  # type: ignore[no-untyped-def]
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
    return course


def test_the_summary_row_says_the_state_needs_signoff(non_responder) -> None:  # type: ignore[no-untyped-def]
    row = CourseOutcome.objects.get(course=non_responder)
    assert row.state == "non_responder"
    assert row.state_needs_signoff is True


def test_the_course_page_flags_the_state_and_the_signal(
    client, login, nurse, non_responder
) -> None:  # type: ignore[no-untyped-def]
    login(client, nurse)
    page = client.get(f"/courses/{non_responder.pk}/").content.decode()
    assert 'id="outcome-state-signoff"' in page
    assert "UNVERIFIED on GAD-7: a depression-scale threshold" in page


def test_the_patient_page_and_dashboard_flag_the_state(client, login, nurse, non_responder) -> None:  # type: ignore[no-untyped-def]
    login(client, nurse)
    page = client.get(f"/outcomes/patient/{non_responder.patient_id}/").content.decode()
    assert 'id="state-signoff"' in page and FLAG in page
    board = client.get("/outcomes/").content.decode()
    assert 'title="The state rests on a threshold' in board


def test_the_apis_carry_the_flag(client, login, nurse, non_responder) -> None:  # type: ignore[no-untyped-def]
    login(client, nurse)
    body = client.get(f"/api/v1/outcomes/patients/{non_responder.patient_id}").json()
    states = body["courses"][0]["trajectories"][0]["states"]
    assert states[-1]["state"] == "non_responder" and states[-1]["needs_local_signoff"] is True
    board = client.get("/api/v1/outcomes/dashboard").json()
    assert board["patients"][0]["state_needs_signoff"] is True


def test_the_course_api_carries_the_flag_on_findings_and_states(
    client, login, nurse, non_responder
) -> None:  # type: ignore[no-untyped-def]
    login(client, nurse)
    body = client.get(f"/api/v1/courses/{non_responder.pk}/outcomes").json()
    assert body["states"][-1]["needs_local_signoff"] is True
    assert body["non_response_signal"]["needs_local_signoff"] is True
    assert body["early_improvement"]["needs_local_signoff"] is True
