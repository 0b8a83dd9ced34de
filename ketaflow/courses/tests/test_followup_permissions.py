"""Who sees the outcomes and who may act on them: per persona, page and API."""

from __future__ import annotations

import pytest

from ketaflow.audit.models import AccessEvent
from ketaflow.courses.tests.test_followup_world import responder_world
from ketaflow.lib.tests.persona_rows import Row, request

pytestmark = pytest.mark.django_db

PERSONAS = ("front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider")
API = {
    "front_desk": 403,
    "nurse": 200,
    "prescriber": 200,
    "clinic_admin": 403,
    "researcher": 403,
    "outsider": 404,
}

# What the route census reads (`test_every_route_has_a_persona_row.py`): the row run below.
OUTCOMES = Row("GET", "/api/v1/courses/{course}/outcomes", API)
PERSONA_ROWS = [OUTCOMES]


@pytest.fixture
def course(prescriber, nurse, patient, protocols, chairs):
    return responder_world(prescriber, nurse, patient, protocols["iv-racemic"], chairs[0])


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_outcomes_api_a_403_or_a_404(
    client, login, personas, course, persona
):
    login(client, personas[persona])
    response = request(client, OUTCOMES, {"course": course.pk})
    assert response.status_code == OUTCOMES.expect[persona]


def test_a_nurse_sees_the_outcomes_and_the_proposal_but_no_move_button(
    client, login, nurse, course
):
    login(client, nurse)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert 'id="outcomes"' in page and 'id="trajectory"' in page
    moves = page.split('id="phase-moves"')[1]
    assert "Move to maintenance</strong> proposed" in moves
    assert "A prescriber confirms phase changes." in moves
    assert f'action="/courses/{course.pk}/phase/"' not in moves


def test_a_nurse_cannot_move_the_phase(client, login, nurse, course):
    login(client, nurse)
    response = client.post(
        f"/courses/{course.pk}/phase/", {"to_phase": "maintenance", "reason": "Responder"}
    )
    assert response.status_code == 403
    course.refresh_from_db()
    assert course.phase == "induction"


def test_front_desk_sees_the_course_but_no_scores(client, login, front_desk, course):
    login(client, front_desk)
    response = client.get(f"/courses/{course.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="outcomes"' not in page and 'id="trajectory"' not in page
    assert "GAD-7" not in page and "Responder" not in page and "Baseline" not in page
    assert "planned dose" not in page and "mg/kg" not in page
    assert 'id="phase-moves"' not in page


def test_the_outsider_gets_a_404(client, login, outsider, course):
    login(client, outsider)
    assert client.get(f"/courses/{course.pk}/").status_code == 404
    assert client.get(f"/api/v1/courses/{course.pk}/outcomes").status_code == 404


def test_reading_the_outcomes_is_audited_with_the_responses_read(client, login, nurse, course):
    login(client, nurse)
    client.get(f"/api/v1/courses/{course.pk}/outcomes")
    event = AccessEvent.objects.filter(detail__part="outcomes").get()
    assert event.patient_id == course.patient_id
    assert event.detail["instrument"] == "gad7" and len(event.detail["response_ids"]) == 7
