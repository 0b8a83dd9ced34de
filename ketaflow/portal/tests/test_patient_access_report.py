"""Through the link, a patient sees who in the clinic read or changed their record, and when
(names and roles), and nothing of any other patient (§170.315(d), accounting of access)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.patients.selectors import get_chart
from ketaflow.portal.tests.conftest import path


def report(portal_client: Client, issued: Any) -> str:
    page = portal_client.get(path(issued, "who-saw-my-record"))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    return page.content.decode()


def test_the_patient_sees_each_staff_member_who_opened_the_chart(
    issue: Any, patient: Any, portal_client: Client, nurse: Any, prescriber: Any
) -> None:
    get_chart(prescriber, patient.pk)
    body = report(portal_client, issue(patient))
    assert "Paul, MD" in body and "Prescriber" in body
    assert "Nina, RN" in body and "Nurse" in body  # the nurse issued the link: a change
    assert "Viewed" in body


def test_another_patients_accesses_and_the_patients_own_visits_are_not_shown(
    issue: Any,
    patient: Any,
    second_patient: Any,
    portal_client: Client,
    outsider: Any,
    clinic_admin: Any,
    prescriber: Any,
) -> None:
    issued = issue(patient)
    portal_client.get(path(issued))  # the patient's own visit
    get_chart(prescriber, second_patient.pk)  # someone else's record
    body = report(portal_client, issued)
    assert second_patient.family_name not in body
    assert body.count("Paul, MD") == 0
    assert "via portal link" not in body


def test_only_the_last_year_is_listed(
    issue: Any, patient: Any, portal_client: Client, prescriber: Any, clock: Any
) -> None:
    now = timezone.now()
    clock(now - timedelta(days=400))
    get_chart(prescriber, patient.pk)
    clock(now)
    body = report(portal_client, issue(patient))
    assert "Paul, MD" not in body


def test_reading_the_report_is_itself_audited_for_the_patient(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    report(portal_client, issue(patient))
    event = AccessEvent.objects.filter(patient_id=patient.pk, actor__isnull=True).latest("pk")
    assert event.detail["page"] == "access_report"


def test_a_bad_link_shows_no_report(db: Any, portal_client: Client) -> None:
    page = portal_client.get("/p/q/not-a-real-token/who-saw-my-record/")
    assert page.status_code == 404
    assert "Who saw my record" not in page.content.decode()


def test_events_about_risk_alerts_from_before_they_moved_apps_still_name_the_record() -> None:
    """Old events say "portal.RiskAlert"; the model is now questionnaires.RiskAlert."""
    from ketaflow.portal.views import _what

    assert _what("portal.RiskAlert") == _what("questionnaires.RiskAlert") == "risk alert"
    assert _what("portal.RiskAssessment") == "risk assessment"
    assert _what("portal.NoSuchThing") == "your record"
