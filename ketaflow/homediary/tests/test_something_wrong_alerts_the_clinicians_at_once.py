""" "Something is wrong": on the portal home and the diary, it alerts and emails at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaflow.homediary.alerts import EMAIL_KIND
from ketaflow.homediary.models import HomeAlert, HomeAlertKind
from ketaflow.homediary.tests.conftest import diary_path
from ketaflow.mail.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_the_button_is_on_the_portal_home_and_the_diary(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    for url in (f"/p/q/{issued.token}/", diary_path(issued)):
        page = portal_client.get(url).content.decode()
        assert 'id="something-wrong"' in page, url
        assert f'action="/p/q/{issued.token}/something-wrong/"' in page, url


def test_pressing_it_alerts_emails_and_shows_the_clinics_number_and_emergency_advice(
    issue: Any, patient: Any, clinic: Any, portal_client: Client, staff_emails: list[str]
) -> None:
    clinic.phone = "020 7946 0000"
    clinic.save()
    issued = issue(patient)
    page = portal_client.post(diary_path(issued, "something-wrong"), {"note": "chest feels tight"})
    body = page.content.decode()
    assert page.status_code == 200
    alert = HomeAlert.objects.get()
    assert alert.kind == HomeAlertKind.SOMETHING_WRONG and alert.patient == patient
    assert alert.link_id == issued.link.pk and "chest feels tight" in alert.message
    message = OutboxMessage.objects.get(kind=EMAIL_KIND)
    assert sorted(message.recipients) == sorted(staff_emails)
    assert "chest feels tight" not in message.body  # email is not secure: the link only
    assert 'id="clinic-alerted"' in body
    assert 'href="tel:02079460000"' in body
    assert "Call an ambulance now if" in body


def test_the_page_itself_alerts_nobody_until_pressed(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    page = portal_client.get(diary_path(issued, "something-wrong"))
    assert page.status_code == 200 and "Call an ambulance now if" in page.content.decode()
    assert not HomeAlert.objects.exists()


def test_a_note_too_long_is_cut_and_never_stops_the_alert(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    page = portal_client.post(diary_path(issued, "something-wrong"), {"note": "x" * 5000})
    assert page.status_code == 200 and 'id="clinic-alerted"' in page.content.decode()
    assert HomeAlert.objects.get().message.count("x") == 1000


def test_an_unsaved_entry_about_breathing_points_at_the_button(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    page = portal_client.post(diary_path(issued), {"dose_mg": "50", "breathing_trouble": "on"})
    assert page.status_code == 422  # the self-check was not answered
    assert 'id="unsaved-warning"' in page.content.decode()
    assert not HomeAlert.objects.exists()
