"""KETAFLOW_PUBLIC_URL and KETAFLOW_PORTAL_LINK_DAYS: read from the environment, checked at
start-up, and used by the portal's links, reminders and alert emails (never os.environ)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client, TestCase

from ketaflow import settings as settings_module
from ketaflow.portal.forms import IssueLinkForm
from ketaflow.portal.models import PortalLink
from ketaflow.portal.services import issue_link


def test_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KETAFLOW_PUBLIC_URL", raising=False)
    monkeypatch.delenv("KETAFLOW_PORTAL_LINK_DAYS", raising=False)
    assert settings_module.env_public_url("KETAFLOW_PUBLIC_URL", "http://127.0.0.1:8000") == (
        "http://127.0.0.1:8000"
    )
    assert settings_module.env_int_between("KETAFLOW_PORTAL_LINK_DAYS", 7, 1, 30) == 7


def test_the_public_url_is_read_from_the_environment_without_its_final_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KETAFLOW_PUBLIC_URL", " https://ketaflow.example.org/ ")
    assert settings_module.env_public_url("KETAFLOW_PUBLIC_URL", "x") == (
        "https://ketaflow.example.org"
    )


@pytest.mark.parametrize("raw", ["ketaflow.example.org", "ftp://host", "https://", "http://a b"])
def test_a_public_url_that_is_not_an_http_address_is_refused(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETAFLOW_PUBLIC_URL", raw)
    with pytest.raises(ImproperlyConfigured, match="KETAFLOW_PUBLIC_URL"):
        settings_module.env_public_url("KETAFLOW_PUBLIC_URL", "http://127.0.0.1:8000")


@pytest.mark.parametrize(("raw", "days"), [("1", 1), ("14", 14), ("30", 30)])
def test_link_days_within_1_to_30_are_taken(
    raw: str, days: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETAFLOW_PORTAL_LINK_DAYS", raw)
    assert settings_module.env_int_between("KETAFLOW_PORTAL_LINK_DAYS", 7, 1, 30) == days


@pytest.mark.parametrize("raw", ["0", "31", "-2", "seven"])
def test_link_days_outside_1_to_30_stop_the_start(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETAFLOW_PORTAL_LINK_DAYS", raw)
    with pytest.raises(ImproperlyConfigured, match="KETAFLOW_PORTAL_LINK_DAYS"):
        settings_module.env_int_between("KETAFLOW_PORTAL_LINK_DAYS", 7, 1, 30)


@pytest.mark.django_db
def test_a_link_lasts_the_configured_days_and_points_at_the_public_url(
    nurse: Any, patient: Any, settings: Any
) -> None:
    settings.KETAFLOW_PORTAL_LINK_DAYS = 3
    settings.KETAFLOW_PUBLIC_URL = "https://ketaflow.example.org"
    issued = issue_link(nurse, patient, instruments=("gad7",))
    assert issued.link.expires_at - issued.link.created_at == timedelta(days=3)
    assert issued.url == f"https://ketaflow.example.org/p/q/{issued.token}/"
    assert IssueLinkForm().initial["expires_in_days"] == 3


@pytest.mark.django_db
def test_the_staff_links_page_shows_the_public_url_not_the_request_host(
    nurse: Any, patient: Any, settings: Any, client: Client, login: Any
) -> None:
    settings.KETAFLOW_PUBLIC_URL = "https://ketaflow.example.org"
    login(client, nurse)
    page = client.post(
        f"/p/staff/patients/{patient.pk}/links/",
        {"instruments": ["gad7"], "expires_in_days": "7"},
    ).content.decode()
    assert "https://ketaflow.example.org/p/q/" in page
    assert "http://testserver/p/q/" not in page


@pytest.mark.django_db
def test_reminders_default_to_the_public_url(
    patient: Any, course: Any, give_session: Any, today: Any, settings: Any
) -> None:
    settings.KETAFLOW_PUBLIC_URL = "https://ketaflow.example.org"
    settings.KETAFLOW_PORTAL_LINK_DAYS = 2
    give_session(course, today - timedelta(days=1))
    patient.email = "jane@example.org"
    patient.save()
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the outbox sends after commit
        call_command("send-questionnaire-reminders", stdout=StringIO())
    assert "https://ketaflow.example.org/p/q/" in mail.outbox[0].body
    link = PortalLink.objects.get()
    assert link.expires_at - link.created_at == timedelta(days=2)
