"""GET /api/v1/courses/{id}/outcomes: the summary, the trajectory and the next proposal."""

from __future__ import annotations

import pytest

from ketaflow.courses.tests.test_followup_world import responder_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(prescriber, nurse, patient, protocols, chairs):
    return responder_world(prescriber, nurse, patient, protocols["iv-racemic"], chairs[0])


def test_a_responders_summary_and_the_maintenance_proposal(client, login, prescriber, course):
    login(client, prescriber)
    body = client.get(f"/api/v1/courses/{course.pk}/outcomes").json()
    assert body["instrument"] == "gad7"
    assert body["baseline"] == 18 and body["latest"] == 6
    assert body["change_pct"] == pytest.approx(-66.67, abs=0.01)
    assert body["state"] == "responder"
    assert [s["state"] for s in body["states"]][-1] == "responder"
    assert body["early_improvement"]["status"] == "met"
    assert body["non_response_signal"]["status"] == "not_met"
    assert body["non_response_signal"]["sources"] == ["S17"]
    assert len(body["trajectory"]) == 7 and body["trajectory"][0]["state"] == "baseline"
    assert body["next"]["action"] == "schedule"
    assert body["next"]["phase_change"] == ["induction", "taper_weekly"]
    assert [m["kind"] for m in body["moves"]] == ["maintenance"]
    assert body["moves"][0]["to_phase"] == "maintenance"


def test_another_instrument_can_be_asked_for(client, login, nurse, course):
    login(client, nurse)
    body = client.get(f"/api/v1/courses/{course.pk}/outcomes?instrument=phq9").json()
    assert body["instrument"] == "phq9" and body["state"] is None
    assert "record a baseline PHQ-9" in body["message"]


def test_the_route_is_in_the_openapi_schema(client, login, nurse):
    login(client, nurse)
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/courses/{course_id}/outcomes" in schema["paths"]
