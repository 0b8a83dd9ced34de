"""The patient outcome page and JSON: states with dates, charts, sessions, misuse, prediction."""

from __future__ import annotations

import io
from datetime import time, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from ketaflow.audit.models import AccessEvent
from ketaflow.outcomes.models import ReportFile
from ketaflow.outcomes.tests.conftest import course_with, gad7, past_sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def responder(prescriber, nurse, patient, protocols, chair):
    return course_with(
        prescriber,
        nurse,
        patient,
        protocols["iv-racemic"],
        chair,
        (18, 15, 12, 9, 8, 7),
        follow_up=(6,),
        side_effects=(2,),
        high_bp=(3,),
    )


def test_the_page_shows_states_chart_sessions_misuse_and_base_rates(
    client, login, nurse, patient, responder
):
    login(client, nurse)
    page = client.get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert 'id="state">Responder' in page
    assert "<svg" in page and "GAD-7 trajectory" in page
    assert "Non-responder after session 4" in page and "[S17]" in page
    assert "35.0 mg" in page  # delivered dose from the administration record
    assert 'id="no-indicator"' in page and "No validated cumulative-dose threshold" in page
    assert 'id="prediction-none"' in page and "Glue 2017" in page and "UNVERIFIED" in page
    assert "Informs; never decides." in page


def test_reading_the_page_is_audited_with_the_scores_read(client, login, nurse, patient, responder):
    login(client, nurse)
    client.get(f"/outcomes/patient/{patient.pk}/")
    event = AccessEvent.objects.filter(patient_id=patient.pk, detail__part="outcomes").latest("at")
    assert event.action == "view" and event.actor == nurse
    assert event.detail["course_ids"] == [responder.pk] and len(event.detail["response_ids"]) == 7


def test_the_json_has_states_with_dates_sessions_and_misuse(
    client, login, prescriber, patient, responder
):
    login(client, prescriber)
    body = client.get(f"/api/v1/outcomes/patients/{patient.pk}").json()
    primary = body["courses"][0]["trajectories"][0]
    assert primary["instrument"] == "gad7" and primary["primary"] is True
    assert primary["state"] == "responder" and primary["first_response_on"] is not None
    assert primary["states"][0]["state"] == "baseline"
    assert primary["response_at_or_below"] == pytest.approx(9.0)
    assert len(body["sessions"]) == 6 and body["sessions"][0]["delivered_mg"] == pytest.approx(35)
    assert body["sessions"][1]["adverse_event"] is True and body["sessions"][2]["bp_excursion"]
    assert body["misuse"]["windows"][0]["days"] == 30
    assert {"S1", "S4"} <= set(body["misuse"]["sources"])


def test_a_booked_session_too_soon_after_the_last_is_an_early_request(
    client, login, prescriber, nurse, patient, protocols, chair
):
    from ketaflow.courses.models import Appointment

    course = course_with(prescriber, nurse, patient, protocols["iv-racemic"], chair, (18, 15))
    start = timezone.now() + timedelta(days=1)
    last = Appointment.objects.filter(course=course).latest("starts_at")
    # Two bookings on consecutive days in maintenance (at least 7 days apart per protocol).
    for n, when in ((3, start), (4, start + timedelta(days=1))):
        Appointment.objects.create(
            course=course,
            chair=chair,
            starts_at=when,
            ends_at=when + timedelta(hours=2),
            session_number=n,
            phase="maintenance",
            created_by=prescriber,
        )
    assert last.starts_at < start
    login(client, prescriber)
    body = client.get(f"/api/v1/outcomes/patients/{patient.pk}").json()
    early = body["misuse"]["early"]
    assert len(early) == 1 and early[0]["held"] is False and early[0]["min_days"] == 7
    assert [i["code"] for i in body["misuse"]["indicators"]] == ["early_sessions"]


def test_a_second_instrument_gets_its_own_trajectory(client, login, nurse, patient, responder):
    from ketaflow.lib.clock import at_clinic
    from ketaflow.questionnaires.services import record_response

    day = past_sessions(6)[0]
    record_response(
        nurse,
        patient,
        "phq9",
        answers=[2, 2, 2, 2, 1, 1, 2, 0, 0],
        context="baseline",
        administered_at=at_clinic(day, time(7), patient.clinic),
        rater="self",
    )
    gad7(nurse, patient, day + timedelta(days=50), 5, context="follow_up")
    login(client, nurse)
    body = client.get(f"/api/v1/outcomes/patients/{patient.pk}").json()
    codes = [t["instrument"] for t in body["courses"][0]["trajectories"]]
    assert codes == ["gad7", "phq9"]
    page = client.get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert "PHQ-9 trajectory" in page


def test_the_pdf_report_is_a_pdf_with_an_audited_export(
    client, login, nurse, patient, responder, django_capture_on_commit_callbacks
):
    login(client, nurse)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/outcomes/patient/{patient.pk}/report/")
    report = ReportFile.objects.get()
    response = client.get(f"/outcomes/reports/{report.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AccessEvent.objects.filter(
        patient_id=patient.pk, action="export", detail__part="outcomes_pdf"
    ).exists()


def test_the_pdf_report_text_has_states_sessions_and_plan(nurse, patient, responder):
    from ketaflow.outcomes.report import patient_report

    pdf = patient_report(nurse, patient.pk)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Ketamine treatment progress report" in text and patient.mrn in text
    assert "Responder" in text or "responder" in text
    assert "6 session(s) given" in text and "Current plan" in text


def test_the_pdf_report_of_made_up_data_says_so_on_every_page(nurse, patient, responder):
    from ketaflow.lib.pdf_style import SYNTHETIC_MARK
    from ketaflow.outcomes.report import patient_report

    def pages() -> list[str]:
        pdf = PdfReader(io.BytesIO(patient_report(nurse, patient.pk)))
        return [p.extract_text() or "" for p in pdf.pages]

    assert not any(SYNTHETIC_MARK in page for page in pages())
    type(patient.clinic).objects.filter(pk=patient.clinic_id).update(is_synthetic=True)
    patient.clinic.refresh_from_db()
    assert all(SYNTHETIC_MARK in page for page in pages())


def test_a_patient_without_a_course_has_a_page_json_and_report(client, login, nurse, patient):
    login(client, nurse)
    page = client.get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert "No treatment course yet" in page and 'id="prediction-none"' in page
    body = client.get(f"/api/v1/outcomes/patients/{patient.pk}").json()
    assert body["courses"] == [] and body["misuse"]["total_mg"] == 0
    from ketaflow.outcomes.report import patient_report

    assert patient_report(nurse, patient.pk).startswith(b"%PDF")


def test_a_course_without_a_baseline_explains_what_is_missing(
    client, login, prescriber, nurse, patient, protocols
):
    from ketaflow.courses.services import start_course

    start_course(prescriber, patient, protocols["iv-racemic"], started_on=past_sessions(1)[0])
    login(client, nurse)
    page = client.get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert "No baseline GAD-7 yet" in page
