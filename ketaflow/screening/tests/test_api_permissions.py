"""Every screening API operation × every persona: what each role may do, nothing more.

Nurses and prescribers read and record screening; only prescribers sign a review; clinic admins
publish consent documents; front desk and researchers get none of it (403); the outsider (a
prescriber at another clinic) finds none of our patients (404). Each allowed persona gets the
real success status: the world holds a review, a clearance observation, a consent signature and
a questionnaire response to act on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.screening.services import (
    open_review,
    publish_document,
    record_observation,
    record_signature,
)

pytestmark = pytest.mark.django_db

P = "/api/v1/screening/patients/{p}"
READ = expect(403, 200, 200, 403, 403, 404)
WRITE = expect(403, 201, 201, 403, 403, 404)
SIGN = expect(403, 403, 200, 403, 403, 404)


def _earlier(_ids: Any = None) -> str:
    return (timezone.now() - timedelta(minutes=5)).isoformat()


GAD7 = {"instrument": "gad7", "answers": [1, 1, 1, 1, 0, 1, 2], "context": "baseline"}

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [
    Row("GET", f"{P}/reviews", READ),
    Row("POST", f"{P}/reviews", WRITE, {}),
    Row("GET", f"{P}/reviews/current", READ),
    Row("GET", f"{P}/reviews/{{r}}", READ),
    Row("POST", f"{P}/reviews/{{r}}/sign", SIGN, {"decision": "eligible", "reason": "All clear"}),
    Row("GET", f"{P}/eligibility-gate", READ),
    Row("GET", f"{P}/clearance", READ),
    Row(
        "POST",
        f"{P}/clearance",
        WRITE,
        lambda ids: {
            "kind": "resting_bp",
            "observed_at": _earlier(),
            "systolic": 120,
            "diastolic": 80,
        },
    ),
    Row("POST", f"{P}/clearance/{{o}}/entered-in-error", READ, {"reason": "Wrong patient"}),
    Row("GET", "/api/v1/screening/consent-documents", expect(403, 200, 200, 200, 403, 200)),
    Row(
        "POST",
        "/api/v1/screening/consent-documents",
        expect(403, 403, 403, 201, 403, 403),
        {"title": "Consent v2", "body": "z" * 80, "requires_reconsent": False},
    ),
    Row("GET", f"{P}/consent", READ),
    Row("POST", f"{P}/consent", WRITE, {"typed_name": "Jane Doe", "method": "in_person"}),
    Row("POST", f"{P}/consent/{{s}}/withdraw", READ, {"reason": "No longer wishes"}),
    Row("GET", f"{P}/consent-gate", READ),
    Row("GET", "/api/v1/screening/instruments", dict.fromkeys(PERSONAS, 200)),
    Row("GET", f"{P}/responses", READ),
    Row(
        "POST",
        f"{P}/responses",
        WRITE,
        lambda ids: {**GAD7, "rater": "self", "administered_at": _earlier()},
    ),
    Row("POST", f"{P}/responses/{{resp}}/entered-in-error", READ, {"reason": "Wrong form"}),
]


@pytest.fixture
def ids(eligible_patient: Any, nurse: Any, clinic_admin: Any) -> dict[str, Any]:
    patient = eligible_patient
    observation = record_observation(
        nurse, patient, kind="ecg", observed_at=timezone.now() - timedelta(hours=2), result="normal"
    )
    publish_document(clinic_admin, title="Consent", body="x" * 80, requires_reconsent=True)
    signature = record_signature(nurse, patient, typed_name="Jane Doe", method="in_person")
    return {
        "p": patient.pk,
        "r": open_review(nurse, patient).pk,
        "o": observation.pk,
        "s": signature.pk,
        "resp": InstrumentResponse.objects.filter(patient=patient).first().pk,
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_each_persona_gets_exactly_what_their_role_allows(
    client: Any, login: Any, personas: dict[str, Any], ids: dict, row: Row, persona: str
) -> None:
    response = request(login(client, personas[persona]), row, ids)
    assert response.status_code == row.expect[persona], response.content


@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_anonymous_callers_get_401(client: Any, ids: dict, row: Row) -> None:
    assert request(client, row, ids).status_code == 401
