"""Continuing the series after a session: recorded with who, when, why and the core's states."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketaflow.audit.history import RecordDeletionError
from ketaflow.audit.models import AccessEvent
from ketaflow.courses.models import SeriesDecision
from ketaflow.courses.services import change_phase, record_series_decision, sessions_given
from ketaflow.courses.tests.test_followup_world import non_responder_world, responder_world

pytestmark = pytest.mark.django_db

PERSONAS = ("front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider")
WRITE = {**dict.fromkeys(PERSONAS, 403), "prescriber": 201, "outsider": 404}
READ = {**WRITE, "prescriber": 200, "nurse": 200}


@pytest.fixture
def responder(prescriber, nurse, patient, protocols, chairs):
    return responder_world(prescriber, nurse, patient, protocols["iv-racemic"], chairs[0])


@pytest.fixture
def non_responder(prescriber, nurse, patient, protocols, chairs):
    return non_responder_world(prescriber, nurse, patient, protocols["iv-racemic"], chairs[0])


def post_api(client: Any, course: Any, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/courses/{course.pk}/decisions",
        data=json.dumps(body),
        content_type="application/json",
    )


# ---------------------------------------------------------------------------- the service


def test_continuing_records_the_session_it_followed_and_the_states_shown(prescriber, responder):
    row = record_series_decision(prescriber, responder, note="Booked as planned")
    assert row.decision == "continue" and row.by == prescriber and row.note == "Booked as planned"
    assert row.after_session == sessions_given(responder)[-1]
    assert row.after_session.session_number == 6
    snap = row.snapshot
    assert snap["instrument"] == "gad7" and snap["state"] == "responder"
    assert snap["latest"]["score"] == 6 and snap["baseline"]["score"] == 18
    assert snap["change_pct"] == pytest.approx(-66.7, abs=0.1)
    assert snap["state_sources"] and snap["response"]["first_on"]
    assert snap["response"]["threshold_pct"] == 50 and snap["response"]["sources"]
    assert snap["early_improvement"]["status"] == "met"
    assert snap["non_response_signal"]["met"] is False and snap["non_response"] is False


def test_non_response_after_infusion_four_requires_a_note(prescriber, non_responder):
    with pytest.raises(ValidationError) as caught:
        record_series_decision(prescriber, non_responder, note="   ")
    assert "non-response" in caught.value.message_dict["note"][0]
    assert not SeriesDecision.objects.exists()
    row = record_series_decision(
        prescriber, non_responder, note="Patient reports better sleep; review after session 6"
    )
    signal = row.snapshot["non_response_signal"]
    assert row.snapshot["non_response"] is True and signal["met"] is True
    assert "S17" in signal["sources"] and "after session 4" in signal["explanation"]
    assert row.snapshot["state"] == "non_responder"
    assert row.after_session.session_number == 4


def test_a_nurse_may_not_decide(nurse, responder):
    with pytest.raises(PermissionDenied):
        record_series_decision(nurse, responder)


def test_a_decision_on_a_stale_proposal_is_refused(prescriber, responder):
    given = sessions_given(responder)
    with pytest.raises(ValidationError) as caught:
        record_series_decision(prescriber, responder, after_session_id=given[-2].pk)
    assert "Session 6 has been given since" in caught.value.message_dict["after_session_id"][0]
    row = record_series_decision(prescriber, responder, after_session_id=given[-1].pk)
    assert row.after_session_id == given[-1].pk


def test_one_decision_per_session_and_none_before_a_session_or_after_the_end(
    prescriber, responder, second_course
):
    record_series_decision(prescriber, responder)
    with pytest.raises(ValidationError, match="Already decided after session 6"):
        record_series_decision(prescriber, responder)
    with pytest.raises(ValidationError, match="No session has been given yet"):
        record_series_decision(prescriber, second_course)  # nothing given yet
    change_phase(prescriber, responder, "ended", ended_reason="completed")
    with pytest.raises(ValidationError, match="has ended"):
        record_series_decision(prescriber, responder)


def test_decisions_are_audited_and_never_deleted(prescriber, responder):
    row = record_series_decision(prescriber, responder)
    event = AccessEvent.objects.get(object_type="courses.SeriesDecision", object_id=str(row.pk))
    assert event.patient_id == responder.patient_id and event.detail["decision"] == "continue"
    with pytest.raises(RecordDeletionError):
        row.delete()
    with pytest.raises(RecordDeletionError):
        SeriesDecision.objects.all().delete()


# ---------------------------------------------------------------------------- the page


def test_the_prescriber_continues_from_the_follow_up_panel_with_htmx(
    client, login, prescriber, non_responder
):
    login(client, prescriber)
    page = client.get(f"/courses/{non_responder.pk}/").content.decode()
    panel = page.split('id="series-decision"')[1]
    assert 'hx-post="/courses/' in panel and 'id="decision-note-required"' in panel
    after = sessions_given(non_responder)[-1].pk
    url = f"/courses/{non_responder.pk}/decisions/"
    refused = client.post(url, {"after_session_id": after, "note": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert "say why the series continues" in refused.content.decode()
    assert not SeriesDecision.objects.exists()
    done = client.post(
        url, {"after_session_id": after, "note": "Wants two more"}, HTTP_HX_REQUEST="true"
    )
    body = done.content.decode()
    assert 'id="decision-recorded"' in body and "Wants two more" in body
    assert 'id="phase-history" hx-swap-oob="true"' in body  # the history is redrawn too
    assert SeriesDecision.objects.get().note == "Wants two more"


def test_the_history_shows_decisions_and_phase_changes_in_date_order(
    client, login, prescriber, responder
):
    record_series_decision(prescriber, responder, note="On to session 7 as planned")
    change_phase(prescriber, responder, "maintenance", reason="Responder")
    login(client, prescriber)
    history = client.get(f"/courses/{responder.pk}/").content.decode()
    history = history.split('id="phase-history"')[1].split("</section>")[0]
    order = [history.index(t) for t in ("Induction</strong>", "Continue the series", "Maintenance")]
    assert order == sorted(order)
    assert "On to session 7 as planned" in history and "responder" in history


def test_front_desk_sees_the_decision_but_not_its_note_or_states(
    client, login, prescriber, front_desk, responder
):
    record_series_decision(prescriber, responder, note="Anxiety down, sleeping well")
    login(client, front_desk)
    page = client.get(f"/courses/{responder.pk}/").content.decode()
    history = page.split('id="phase-history"')[1]
    assert "Continue the series" in history
    assert "sleeping well" not in page and "GAD-7" not in page
    assert 'id="series-decision"' not in page


def test_a_nurse_sees_no_continue_button(client, login, nurse, responder):
    login(client, nurse)
    page = client.get(f"/courses/{responder.pk}/").content.decode()
    assert 'id="series-decision"' not in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_may_or_may_not_continue_from_the_page(
    client, login, personas, responder, persona
):
    login(client, personas[persona])
    response = client.post(f"/courses/{responder.pk}/decisions/", {"note": "ok"})
    expected = {**WRITE, "prescriber": 302}[persona]
    assert response.status_code == expected
    assert SeriesDecision.objects.count() == (1 if persona == "prescriber" else 0)


# ---------------------------------------------------------------------------- the API


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_decisions_api_a_201_a_403_or_a_404(
    client, login, personas, responder, persona
):
    login(client, personas[persona])
    response = post_api(client, responder, {"decision": "continue", "note": "as planned"})
    assert response.status_code == WRITE[persona], response.content
    listed = client.get(f"/api/v1/courses/{responder.pk}/decisions")
    assert listed.status_code == READ[persona]


def test_the_api_records_the_decision_with_its_snapshot(client, login, prescriber, responder):
    login(client, prescriber)
    after = sessions_given(responder)[-1]
    response = post_api(client, responder, {"after_session_id": after.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision"] == "continue" and body["after_session_number"] == 6
    assert body["snapshot"]["state"] == "responder"
    (listed,) = client.get(f"/api/v1/courses/{responder.pk}/decisions").json()
    assert listed["id"] == body["id"]


def test_the_api_says_a_note_is_required_on_non_response(client, login, prescriber, non_responder):
    login(client, prescriber)
    response = post_api(client, non_responder, {"decision": "continue"})
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["body", "note"] and "non-response" in detail["msg"]
    assert post_api(client, non_responder, {"note": "Patient's choice"}).status_code == 201


def test_the_api_refuses_an_unknown_decision(client, login, prescriber, responder):
    login(client, prescriber)
    response = post_api(client, responder, {"decision": "pause"})
    assert response.status_code == 422
