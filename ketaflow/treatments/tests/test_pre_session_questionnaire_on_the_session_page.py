"""The checklist's questionnaire item links to a GAD-7 form on the session page; status follows."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.questionnaires.services import record_response
from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


def _all_but_questionnaire(nurse: Any, session: Any) -> Any:
    services.record_vitals(
        nurse, session, session.version, sbp=122, dbp=78, hr=70, spo2=98, rr=14, taken_at=ago(30)
    )
    services.save_checklist(
        nurse,
        session,
        fresh(session).version,
        last_food_at=ago(600),
        last_clear_liquid_at=ago(300),
        escort_name="Sam",
        escort_phone="1",
        medication_changes_reviewed=True,
        alcohol_today=False,
        drugs_today=False,
        intoxication_signs=False,
        weight_kg=70,
        pregnancy_test_positive=False,
    )
    session = fresh(session)
    assert session.status == "checked_in"
    return session


def test_the_gad7_recorded_on_the_session_page_passes_the_checklist(
    client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    session = _all_but_questionnaire(nurse, checked_in)
    c = login(client, nurse)
    page = c.get(reverse("treatments:session", args=[session.pk])).content.decode()
    assert 'href="#pre-session-questionnaire"' in page and "Fill in the GAD-7 now" in page
    data = {"version": session.version, **{f"pre-item_{i}": "1" for i in range(1, 9)}}
    r = c.post(reverse("treatments:pre_session_questionnaire", args=[session.pk]), data)
    assert r.status_code == 302 and r.url.endswith(f"/treatments/{session.pk}/#checklist")
    response = InstrumentResponse.objects.get(patient=session.patient, instrument="gad7")
    assert response.context == "pre_session" and response.rater == "self"
    assert fresh(session).status == "ready"


def test_a_questionnaire_recorded_elsewhere_shows_as_ready_on_read(
    client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    session = _all_but_questionnaire(nurse, checked_in)
    record_response(
        nurse,
        session.patient,
        "gad7",
        answers=[1] * 7,
        context="pre_session",
        administered_at=ago(1),
        rater="self",
    )
    page = login(client, nurse).get(reverse("treatments:session", args=[session.pk]))
    body = page.content.decode()
    assert "Ready (checklist passed)" in body
    # Start waits for the order (no order yet here), and says so.
    assert ">Start</button>" not in body
    assert "once a prescriber has confirmed the order" in body
