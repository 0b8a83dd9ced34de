"""A PHQ-9 item 9 answer above 0 alerts the clinic at once and shows the patient crisis help."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from ketaflow.mail.models import OutboxMessage, OutboxStatus
from ketaflow.portal.models import CrisisResources
from ketaflow.portal.selectors import open_alert_count, risk_alerts
from ketaflow.portal.services import acknowledge_alert, update_crisis_resources
from ketaflow.portal.tests.conftest import answers, path
from ketaflow.questionnaires.models import AlertSource, RiskAlert

pytestmark = pytest.mark.django_db

PHQ9_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 1]
PHQ9_CLEAN = [1, 1, 1, 1, 1, 1, 1, 1, 0]


def _submit(client: Client, issued: Any, values: list[int]) -> str:
    return client.post(path(issued, "form", "phq9"), answers(values)).content.decode()


def test_item_9_raises_an_alert_emails_the_team_and_shows_crisis_help(
    issue: Any,
    patient: Any,
    portal_client: Client,
    staff_emails: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    issued = issue(patient)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = _submit(portal_client, issued, PHQ9_ITEM9)
    alert = RiskAlert.objects.get()
    assert alert.patient == patient and alert.is_open
    assert alert.flag_code == "phq9_item9_positive"
    assert alert.source is AlertSource.PATIENT_LINK and alert.entered_by is None
    assert alert.response.answers[8] == 1
    assert sorted(alert.emailed_to) == sorted(staff_emails)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert sorted(email.to) == sorted(staff_emails)
    assert f"/p/staff/alerts/{alert.pk}/" in email.body
    assert patient.family_name not in email.body and patient.given_name not in email.body
    # The patient sees crisis resources at once, with the defaults labelled to check locally.
    assert "If you feel unsafe or might harm yourself" in page
    assert 'Samaritans <a href="tel:116123">116 123</a>' in page
    assert '<a href="tel:911">911</a>' in page
    assert "not yet checked" in page


def test_no_alert_when_item_9_is_zero(
    issue: Any, patient: Any, portal_client: Client, staff_emails: list[str]
) -> None:
    mail.outbox.clear()
    page = _submit(portal_client, issue(patient), PHQ9_CLEAN)
    assert RiskAlert.objects.count() == 0
    assert mail.outbox == []
    assert "If you feel unsafe" not in page


def test_the_alert_survives_a_failed_email(
    issue: Any,
    patient: Any,
    portal_client: Client,
    staff_emails: list[str],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.EMAIL_BACKEND = "ketaflow.portal.tests.test_risk_alerts.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        _submit(portal_client, issue(patient), PHQ9_ITEM9)
    assert "SMTP down" in caplog.text  # tried after the answers were committed
    alert = RiskAlert.objects.get()
    assert alert.emailed_to == []
    message = OutboxMessage.objects.get()  # kept, to be tried again
    assert message.status == OutboxStatus.PENDING and message.refs == [alert.pk]


class BrokenBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("SMTP down")


def test_the_clinics_own_crisis_text_is_shown_once_checked(
    issue: Any, patient: Any, nurse: Any, portal_client: Client
) -> None:
    update_crisis_resources(
        nurse,
        {
            "clinic_phone": "01632 960000",
            "emergency": "Call 999.",
            "crisis_line": "Samaritans 116 123.",
            "extra": "Riverside crisis team: 01632 960001",
            "checked_locally": True,
        },
    )
    page = _submit(portal_client, issue(patient), PHQ9_ITEM9)
    assert "01632 960000" in page and "Riverside crisis team" in page
    assert "not yet checked" not in page
    assert CrisisResources.objects.get().updated_by == nurse
    # Every number dials on a tap; the clinic's number is the clinic's own (Clinic.phone).
    for number, dial in (
        ("01632 960000", "01632960000"),
        ("999", "999"),
        ("116 123", "116123"),
        ("01632 960001", "01632960001"),
    ):
        assert f'<a href="tel:{dial}">{number}</a>' in page
    nurse.clinic.refresh_from_db()
    assert nurse.clinic.phone == "01632 960000"


def test_staff_see_the_open_alert_count_and_acknowledge_with_a_note(
    issue: Any, patient: Any, portal_client: Client, nurse: Any, prescriber: Any
) -> None:
    _submit(portal_client, issue(patient), PHQ9_ITEM9)
    assert open_alert_count(nurse) == 1
    alert = risk_alerts(nurse)[0]
    with pytest.raises(ValidationError):
        acknowledge_alert(nurse, alert, "   ")
    acknowledge_alert(prescriber, alert, "Called her; C-SSRS screen done, plan agreed.")
    alert.refresh_from_db()
    assert alert.acknowledged_by == prescriber and not alert.is_open
    assert open_alert_count(nurse) == 0
    with pytest.raises(ValidationError, match="already"):
        acknowledge_alert(nurse, alert, "again")


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "researcher"])
def test_roles_without_send_questionnaires_cannot_acknowledge(
    persona: str, personas: dict[str, Any], issue: Any, patient: Any, portal_client: Client
) -> None:
    _submit(portal_client, issue(patient), PHQ9_ITEM9)
    with pytest.raises(PermissionDenied):
        acknowledge_alert(personas[persona], RiskAlert.objects.get(), "note")


def test_another_clinic_cannot_see_or_acknowledge(
    issue: Any, patient: Any, portal_client: Client, outsider: Any
) -> None:
    _submit(portal_client, issue(patient), PHQ9_ITEM9)
    assert open_alert_count(outsider) == 0
    assert risk_alerts(outsider) == []
    with pytest.raises(PermissionDenied):
        acknowledge_alert(outsider, RiskAlert.objects.get(), "note")


def test_alert_pages_show_the_count_and_take_the_action_note(
    issue: Any, patient: Any, portal_client: Client, nurse: Any, client: Client, login: Any
) -> None:
    _submit(portal_client, issue(patient), PHQ9_ITEM9)
    alert = RiskAlert.objects.get()
    login(client, nurse)
    page = client.get("/p/staff/alerts/").content.decode()
    assert 'id="open-alert-count">1<' in page
    assert "Doe, Jane" in page
    assert "1 risk alert waiting" in client.get("/p/staff/").content.decode()
    refused = client.post(f"/p/staff/alerts/{alert.pk}/", {"action_note": ""})
    assert refused.status_code == 200 and "Say what was done" in refused.content.decode()
    done = client.post(f"/p/staff/alerts/{alert.pk}/", {"action_note": "Phoned, safe."})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.action_note == "Phoned, safe." and alert.acknowledged_by == nurse


def test_the_alert_badge_for_staff_pages_shows_the_open_count(
    issue: Any, patient: Any, portal_client: Client, nurse: Any, researcher: Any, rf: Any
) -> None:
    from django.template import Context, Template

    template = Template("{% load portal_tags %}{% open_risk_alerts %}")
    request = rf.get("/")
    request.user = nurse
    assert template.render(Context({"request": request})).strip() == ""
    _submit(portal_client, issue(patient), PHQ9_ITEM9)
    shown = template.render(Context({"request": request}))
    assert "<strong>1</strong> patient risk alert waiting" in shown
    request.user = researcher
    assert template.render(Context({"request": request})).strip() == ""
