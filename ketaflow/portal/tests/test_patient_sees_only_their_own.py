"""A link shows only its own patient's forms and nothing else: no other names, no staff pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from ketaflow.portal.tests.conftest import path

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/",
    "/patients/",
    "/p/staff/",
    "/p/staff/alerts/",
    "/p/staff/rules/",
    "/audit/",
]


def test_no_other_patient_appears_anywhere_on_the_link(
    issue: Any,
    patient: Any,
    second_patient: Any,
    outsider_patient: Any,
    portal_client: Client,
) -> None:
    issue(second_patient)  # another patient's link exists in the same clinic
    issued = issue(patient)
    pages = [
        path(issued),
        path(issued, "form", "gad7"),
        path(issued, "help"),
        path(issued, "learn"),
        path(issued, "learn", "side-effects"),
    ]
    for url in pages:
        text = portal_client.get(url).content.decode()
        for other in (second_patient, outsider_patient):
            assert other.family_name not in text and other.given_name not in text
        assert patient.family_name not in text  # first name only, no MRN or surname
        assert patient.mrn not in text


def test_every_link_on_the_patient_pages_stays_inside_the_link(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    for url in (path(issued), path(issued, "form", "phq9"), path(issued, "learn")):
        text = portal_client.get(url).content.decode()
        hrefs = re.findall(r'(?:href|action)="([^"]*)"', text)
        assert hrefs
        for href in hrefs:
            assert href.startswith((path(issued), "#", "/static/")) or href == "", href


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_are_not_reachable_from_a_patient_link(
    url: str, issue: Any, patient: Any, portal_client: Client
) -> None:
    portal_client.get(path(issue(patient)))
    response = portal_client.get(url)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login")


def test_the_api_is_not_reachable_from_a_patient_link(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    portal_client.get(path(issue(patient)))
    assert portal_client.get("/api/v1/portal/alerts").status_code == 401
    assert portal_client.get(f"/api/v1/portal/patients/{patient.pk}/links").status_code == 401


def test_a_signed_in_prescriber_without_two_factor_can_still_open_a_patient_link(
    issue: Any, patient: Any, prescriber: Any, client: Client
) -> None:
    """The staff sign-in middleware (2FA, idle sign-out) leaves patient pages alone."""
    client.force_login(prescriber)  # no second factor passed
    assert client.get("/p/staff/").status_code == 302  # staff pages still demand 2FA
    page = client.get(path(issue(patient)))
    assert page.status_code == 200


def test_idle_sign_out_does_not_redirect_a_patient_page(
    issue: Any, patient: Any, nurse: Any, client: Client, login: Any
) -> None:
    from ketaflow.accounts.middleware import LAST_SEEN_KEY

    login(client, nurse)
    session = client.session
    session[LAST_SEEN_KEY] = 0.0
    session.save()
    assert client.get(path(issue(patient))).status_code == 200
