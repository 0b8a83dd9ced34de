"""Every screening page for every persona: 200, 403 (role), 404 (another clinic), or sign in.

Nurses and prescribers see screening; only prescribers sign; clinic admins publish consent
documents but never see a patient's screening; front desk and researchers see none of it;
the outsider (a prescriber at another clinic) finds nothing of ours.
"""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.lib.tests.persona_rows import Row, request
from ketaflow.screening.services import (
    open_review,
    publish_document,
    record_observation,
    record_signature,
)
from ketaflow.screening.tests.conftest import a_bp

PERSONAS = ("front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider")


def expect(fd: int, nu: int, pr: int, ad: int, re: int, out: int) -> dict[str, int]:
    return dict(zip(PERSONAS, (fd, nu, pr, ad, re, out), strict=True))


CLINICAL = expect(403, 200, 200, 403, 403, 404)
SIGNING = expect(403, 403, 200, 403, 403, 404)
DOCUMENTS = expect(403, 200, 200, 200, 403, 200)
PUBLISHING = expect(403, 403, 403, 200, 403, 403)
DOCUMENT = expect(403, 200, 200, 200, 403, 404)

PAGES = [
    ("screening", "/screening/patients/{p}/", CLINICAL),
    ("review", "/screening/patients/{p}/reviews/{r}/", CLINICAL),
    ("sign", "/screening/patients/{p}/reviews/{r}/sign/", SIGNING),
    ("gad7 form", "/screening/patients/{p}/scales/gad7/", CLINICAL),
    ("ybocs form", "/screening/patients/{p}/scales/ybocs/", CLINICAL),
    ("clearance form", "/screening/patients/{p}/clearance/add/", CLINICAL),
    ("clearance in error", "/screening/patients/{p}/clearance/{o}/entered-in-error/", CLINICAL),
    ("consent", "/screening/patients/{p}/consent/", CLINICAL),
    ("withdraw", "/screening/patients/{p}/consent/{s}/withdraw/", CLINICAL),
    ("documents", "/screening/consent-documents/", DOCUMENTS),
    ("document", "/screening/consent-documents/{d}/", DOCUMENT),
    ("publish", "/screening/consent-documents/publish/", PUBLISHING),
]

OPEN_REVIEW = Row(
    "POST",
    "/screening/patients/{p}/reviews/open/",
    expect(403, 302, 302, 403, 403, 404),
    {"protocol": "iv-racemic"},
)

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [Row("GET", url, expected) for _name, url, expected in PAGES] + [OPEN_REVIEW]


@pytest.fixture
def urls(patient: Any, nurse: Any, clinic_admin: Any) -> dict[str, int]:
    observation = record_observation(
        nurse,
        patient,
        kind="ecg",
        observed_at=a_bp(nurse, patient, 120, 80).observed_at,
        result="normal",
    )
    document = publish_document(
        clinic_admin, title="Consent", body="x" * 80, requires_reconsent=True
    )
    signature = record_signature(nurse, patient, typed_name="Jane Doe", method="in_person")
    review = open_review(nurse, patient)
    return {
        "p": patient.pk,
        "r": review.pk,
        "o": observation.pk,
        "s": signature.pk,
        "d": document.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_its_role_allows(
    client, login, personas, urls, name, url, expected, persona
):
    login(client, personas[persona])
    assert client.get(url.format(**urls)).status_code == expected[persona]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_anonymous_visitors_are_sent_to_sign_in(client, urls, name, url, expected):
    response = client.get(url.format(**urls))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_opening_a_review_by_post_follows_the_same_rules(client, login, personas, patient, persona):
    login(client, personas[persona])
    response = request(client, OPEN_REVIEW, {"p": patient.pk})
    assert response.status_code == OPEN_REVIEW.expect[persona]
