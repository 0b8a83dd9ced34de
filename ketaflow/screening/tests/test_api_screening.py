"""The screening API: the same services as the pages, every persona's access, field errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from ketaflow.screening.services import open_review, publish_document, sign_review

pytestmark = pytest.mark.django_db
API = "/api/v1/screening"
PERSONAS = ("front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider")


def call(client, method, path, body=None):
    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(f"{API}{path}", **kwargs)


def earlier():
    return (timezone.now() - timedelta(minutes=5)).isoformat()


@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_reviews_follows_the_roles(client, login, personas, patient, persona):
    login(client, personas[persona])
    status = call(client, "GET", f"/patients/{patient.pk}/reviews").status_code
    assert status == {"nurse": 200, "prescriber": 200, "outsider": 404}.get(persona, 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_opening_a_review_follows_the_roles(client, login, personas, patient, persona):
    login(client, personas[persona])
    status = call(client, "POST", f"/patients/{patient.pk}/reviews", {}).status_code
    assert status == {"nurse": 201, "prescriber": 201, "outsider": 404}.get(persona, 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_signing_follows_the_roles(client, login, personas, nurse, eligible_patient, persona):
    review = open_review(nurse, eligible_patient)
    login(client, personas[persona])
    body = {"decision": "eligible", "reason": "All clear"}
    path = f"/patients/{eligible_patient.pk}/reviews/{review.pk}/sign"
    status = call(client, "POST", path, body).status_code
    assert status == {"prescriber": 200, "outsider": 404}.get(persona, 403)


def test_a_signed_review_is_a_409_conflict(client, login, nurse, prescriber, eligible_patient):
    review = sign_review(
        prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="ok"
    )
    login(client, prescriber)
    path = f"/patients/{eligible_patient.pk}/reviews/{review.pk}/sign"
    response = call(client, "POST", path, {"decision": "not_eligible", "reason": "again"})
    assert response.status_code == 409


def test_the_current_review_says_whether_it_is_stale(client, login, nurse, eligible_patient):
    open_review(nurse, eligible_patient)
    login(client, nurse)
    call(
        client,
        "POST",
        f"/patients/{eligible_patient.pk}/clearance",
        {
            "kind": "resting_bp",
            "observed_at": timezone.now().isoformat(),
            "systolic": 150,
            "diastolic": 95,
        },
    )
    body = call(client, "GET", f"/patients/{eligible_patient.pk}/reviews/current").json()
    assert body["is_stale"] is True
    assert body["stale_reasons"] == ["resting BP is now 150/95 mmHg (was 120/80 mmHg)"]
    assert body["review"]["findings"] == []


def test_the_gates_answer_with_reasons(client, login, nurse, patient):
    login(client, nurse)
    eligibility = call(client, "GET", f"/patients/{patient.pk}/eligibility-gate").json()
    consent = call(client, "GET", f"/patients/{patient.pk}/consent-gate").json()
    assert eligibility["ok"] is False and eligibility["reasons"]
    assert consent == {"ok": False, "reasons": ["The clinic has no consent document in force."]}


def test_an_impossible_bp_is_a_field_error(client, login, nurse, patient):
    login(client, nurse)
    response = call(
        client,
        "POST",
        f"/patients/{patient.pk}/clearance",
        {"kind": "resting_bp", "observed_at": earlier(), "systolic": 80, "diastolic": 120},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "systolic"]


def test_a_response_is_scored_and_listed(client, login, nurse, patient):
    login(client, nurse)
    body = {
        "instrument": "gad7",
        "answers": [1, 1, 1, 1, 0, 1, 2],
        "context": "baseline",
        "rater": "self",
        "administered_at": earlier(),
    }
    created = call(client, "POST", f"/patients/{patient.pk}/responses", body)
    assert created.status_code == 201, created.content
    assert created.json()["total"] == 7
    listed = call(client, "GET", f"/patients/{patient.pk}/responses?instrument=gad7").json()
    assert [r["severity"] for r in listed] == ["mild"]


def test_a_bad_item_is_a_422_on_that_item(client, login, nurse, patient):
    login(client, nurse)
    body = {
        "instrument": "phq9",
        "answers": {"item_1": 1},
        "context": "baseline",
        "rater": "self",
        "administered_at": earlier(),
    }
    response = call(client, "POST", f"/patients/{patient.pk}/responses", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "item_2"]


def test_licensed_instruments_list_no_items(client, login, nurse):
    login(client, nurse)
    instruments = {i["code"]: i for i in call(client, "GET", "/instruments").json()}
    assert instruments["ybocs"]["items"] == [] and instruments["ybocs"]["entry"] == "total"
    assert instruments["cssrs"]["entry"] == "risk"
    assert instruments["hama"]["items"][0]["text"] is None
    assert instruments["gad7"]["items"][0]["text"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_publishing_consent_is_for_clinic_admins(client, login, personas, persona):
    login(client, personas[persona])
    body = {"title": "Consent", "body": "z" * 80, "requires_reconsent": True}
    status = call(client, "POST", "/consent-documents", body).status_code
    assert status == (201 if persona == "clinic_admin" else 403)


def test_consent_is_signed_withdrawn_and_the_gate_follows(
    client, login, nurse, clinic_admin, patient
):
    publish_document(clinic_admin, title="Consent", body="z" * 80, requires_reconsent=True)
    login(client, nurse)
    signed = call(
        client,
        "POST",
        f"/patients/{patient.pk}/consent",
        {"typed_name": "Jane Doe", "method": "remote"},
    )
    assert signed.status_code == 201, signed.content
    assert call(client, "GET", f"/patients/{patient.pk}/consent-gate").json()["ok"] is True
    path = f"/patients/{patient.pk}/consent/{signed.json()['id']}/withdraw"
    assert call(client, "POST", path, {"reason": "No longer wishes"}).status_code == 200
    gate = call(client, "GET", f"/patients/{patient.pk}/consent-gate").json()
    assert gate["ok"] is False and "No longer wishes" in gate["reasons"][0]


@pytest.mark.parametrize("persona", PERSONAS)
def test_recording_consent_follows_the_roles(
    client, login, personas, clinic_admin, patient, persona
):
    publish_document(clinic_admin, title="Consent", body="z" * 80, requires_reconsent=True)
    login(client, personas[persona])
    status = call(
        client,
        "POST",
        f"/patients/{patient.pk}/consent",
        {"typed_name": "Jane Doe", "method": "in_person"},
    ).status_code
    assert status == {"nurse": 201, "prescriber": 201, "outsider": 404}.get(persona, 403)
