"""A scale entered by staff with a safety answer alerts the clinic's prescribers (issue #6).

PHQ-9 item 9 above 0 and the C-SSRS risk levels the core flags as SAFETY (moderate, high)
raise a `RiskAlert` (source "staff entry", entered by the recorder) on the same path as the
patient's own answers; "low" and "none" do not. Never twice for one response, never for a
response entered in error, and no email unless the response commits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.clinical.instruments import FlagKind, get_instrument
from ketaflow.questionnaires.alerts import raise_risk_alert_if_needed
from ketaflow.questionnaires.models import AlertSource, InstrumentResponse, RiskAlert
from ketaflow.questionnaires.services import mark_response_entered_in_error, record_response

pytestmark = pytest.mark.django_db

PHQ9_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 2]
PHQ9_CLEAN = [1, 1, 1, 1, 1, 1, 1, 1, 0]


def _phq9(actor: Any, patient: Any, answers: list[int] = PHQ9_ITEM9) -> InstrumentResponse:
    return record_response(
        actor,
        patient,
        "phq9",
        answers=answers,
        context="screening",
        administered_at=timezone.now() - timedelta(minutes=1),
        rater="self",
    )


def _cssrs(actor: Any, patient: Any, risk: str) -> InstrumentResponse:
    return record_response(
        actor,
        patient,
        "cssrs",
        risk=risk,
        context="screening",
        administered_at=timezone.now() - timedelta(minutes=1),
        rater="clinician",
    )


def test_a_phq9_with_item_9_entered_by_a_nurse_alerts_the_prescribers_on_commit(
    nurse: Any,
    prescriber: Any,
    patient: Any,
    staff_emails: list[str],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.KETAFLOW_PUBLIC_URL = "https://ketaflow.example.org"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        response = _phq9(nurse, patient)
    alert = RiskAlert.objects.get()
    assert mail.outbox == []  # nothing is emailed before the response commits
    for callback in pending:
        callback()
    alert.refresh_from_db()
    assert alert.response == response and alert.patient == patient and alert.is_open
    assert alert.flag_code == "phq9_item9_positive" and alert.link is None
    assert alert.source is AlertSource.STAFF_ENTRY and alert.entered_by == nurse
    # Prescribers only: the nurse who entered it has seen it; a prescriber must assess.
    assert alert.emailed_to == [prescriber.email]
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [prescriber.email]
    assert f"https://ketaflow.example.org/p/staff/alerts/{alert.pk}/" in email.body
    assert "entered by staff" in email.body
    assert patient.family_name not in email.body and patient.given_name not in email.body
    event = AccessEvent.objects.get(object_type="questionnaires.RiskAlert")
    assert event.actor == nurse and event.detail["source"] == "staff_entry"


@pytest.mark.parametrize("risk", ["moderate", "high"])
def test_a_cssrs_risk_level_the_core_marks_as_safety_alerts(
    risk: str,
    prescriber: Any,
    patient: Any,
    staff_emails: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _cssrs(prescriber, patient, risk)
    alert = RiskAlert.objects.get()
    assert alert.flag_code == f"cssrs_risk_{risk}"
    assert alert.entered_by == prescriber and alert.emailed_to == [prescriber.email]


@pytest.mark.parametrize("risk", ["none", "low"])
def test_a_cssrs_level_the_core_does_not_mark_as_safety_raises_no_alert(
    risk: str,
    nurse: Any,
    patient: Any,
    staff_emails: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The rule is the core's: "low" carries a clinical flag, not a safety one.
    flags = get_instrument("cssrs").score_risk(risk).flags
    assert all(f.kind is not FlagKind.SAFETY for f in flags)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _cssrs(nurse, patient, risk)
    assert RiskAlert.objects.count() == 0 and mail.outbox == []
    assert response.risk_level == risk


def test_a_phq9_without_item_9_raises_no_alert(
    nurse: Any, patient: Any, staff_emails: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _phq9(nurse, patient, PHQ9_CLEAN)
    assert RiskAlert.objects.count() == 0 and mail.outbox == []


def test_an_alert_is_never_raised_twice_for_the_same_response(
    nurse: Any, patient: Any, staff_emails: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _phq9(nurse, patient)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as again:
        assert raise_risk_alert_if_needed(response) == []
    assert again == [] and mail.outbox == []
    assert RiskAlert.objects.filter(response=response).count() == 1


def test_a_response_entered_in_error_raises_no_alert(
    nurse: Any, patient: Any, staff_emails: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    with mock.patch("ketaflow.questionnaires.services.raise_risk_alert_if_needed"):
        response = _phq9(nurse, patient)
    response = mark_response_entered_in_error(nurse, response, "Wrong patient's form.")
    with django_capture_on_commit_callbacks(execute=True) as sent:
        assert raise_risk_alert_if_needed(response) == []
    assert sent == [] and RiskAlert.objects.count() == 0


def test_marking_the_response_in_error_later_keeps_the_alert_and_raises_no_other(
    nurse: Any, patient: Any, client: Client, login: Any
) -> None:
    response = _phq9(nurse, patient)
    mark_response_entered_in_error(nurse, response, "Item 9 was misread.")
    alert = RiskAlert.objects.get()
    assert alert.is_open  # someone still closes it, saying it was an error
    login(client, nurse)
    page = client.get(f"/p/staff/alerts/{alert.pk}/").content.decode()
    assert "since marked entered in error" in page


def test_no_alert_and_no_email_when_the_recording_is_rolled_back(
    nurse: Any, patient: Any, staff_emails: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as sent,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _phq9(nurse, patient)
        raise RuntimeError("a later step of the same write failed")
    assert sent == [] and mail.outbox == []
    assert RiskAlert.objects.count() == 0
    assert InstrumentResponse.objects.count() == 0


def test_with_no_prescriber_email_the_alert_is_still_on_the_list(
    nurse: Any, patient: Any, django_capture_on_commit_callbacks: Any
) -> None:
    nurse.email = "nina@riverside.example"
    nurse.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _phq9(nurse, patient)
    alert = RiskAlert.objects.get()
    assert alert.emailed_to == [] and mail.outbox == []


def test_staff_pages_and_api_show_the_source_and_who_entered_it(
    nurse: Any, prescriber: Any, patient: Any, client: Client, login: Any
) -> None:
    _phq9(nurse, patient)
    alert = RiskAlert.objects.get()
    login(client, prescriber)
    listing = client.get("/p/staff/alerts/").content.decode()
    assert 'id="open-alert-count">1<' in listing
    assert "Staff entry" in listing and nurse.display_name in listing
    page = client.get(f"/p/staff/alerts/{alert.pk}/").content.decode()
    assert f"staff entry by {nurse.display_name}" in page
    assert "crisis information at once" not in page  # the patient saw no portal page
    api = client.get("/api/v1/portal/alerts").json()
    row = next(a for a in api if a["id"] == alert.pk)
    assert row["source"] == "staff_entry" and row["entered_by"] == nurse.display_name


def test_the_patient_link_path_uses_the_same_function(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    from ketaflow.portal.tests.conftest import answers, path

    issued = issue(patient)
    with mock.patch(
        "ketaflow.portal.services.raise_risk_alert_if_needed", return_value=[]
    ) as raised:
        portal_client.post(path(issued, "form", "phq9"), answers(PHQ9_ITEM9))
    response = InstrumentResponse.objects.get()
    raised.assert_called_once()
    assert raised.call_args.args == (response,)
    assert raised.call_args.kwargs["link"] == issued.link
