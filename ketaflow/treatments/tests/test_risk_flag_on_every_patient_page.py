"""An open suicide risk alert is a standing flag on the patient's pages and the chair board.

Issue #11 item 1: the patient banner (demographics, chart, courses, a course), the session
page and the board show it until a prescriber's assessment resolves the alert. Roles that do
not read the clinical chart (front desk) do not see it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaflow.portal import services as portal
from ketaflow.treatments.tests.conftest import fresh
from ketaflow.treatments.tests.test_suicide_risk_gates_the_start import raise_alert

pytestmark = pytest.mark.django_db

FLAG = "Suicide risk alert"


def pages(session: Any) -> list[str]:
    patient = session.patient_id
    return [
        f"/patients/{patient}/",
        f"/patients/{patient}/chart/",
        f"/courses/patient/{patient}/",
        f"/courses/{session.course_id}/",
        f"/treatments/{session.pk}/",
    ]


def test_the_flag_shows_on_every_patient_course_and_session_page_and_the_board(
    ordered: Any, nurse: Any, prescriber: Any, login: Any
) -> None:
    client = login(Client(), nurse)
    for url in pages(ordered):
        assert FLAG not in client.get(url).content.decode(), url
    raise_alert(nurse, ordered.patient)
    for url in pages(ordered):
        response = client.get(url)
        assert response.status_code == 200, url
        assert FLAG in response.content.decode(), url
    assert "Suicide risk: assess before dosing" in client.get("/treatments/board/").content.decode()
    portal.record_risk_assessment(
        prescriber,
        ordered,
        fresh(ordered).version,
        risk_level="low",
        plan="Reviewed.",
        decision="proceed",
    )
    for url in pages(ordered):
        assert FLAG not in client.get(url).content.decode(), url
    assert "Suicide risk: assess" not in client.get("/treatments/board/").content.decode()


def test_the_front_desk_does_not_see_the_flag(
    ordered: Any, nurse: Any, front_desk: Any, login: Any
) -> None:
    raise_alert(nurse, ordered.patient)
    client = login(Client(), front_desk)
    response = client.get(f"/patients/{ordered.patient_id}/")
    assert response.status_code == 200
    assert FLAG not in response.content.decode()


def test_the_session_page_offers_the_prescriber_the_assessment_form_not_the_nurse(
    ordered: Any, nurse: Any, prescriber: Any, login: Any
) -> None:
    raise_alert(nurse, ordered.patient)
    url = f"/treatments/{ordered.pk}/"
    assert 'id="risk-assessment"' not in login(Client(), nurse).get(url).content.decode()
    page = login(Client(), prescriber).get(url).content.decode()
    assert 'id="risk-assessment"' in page
    assert "Dosing cannot start yet." in page
