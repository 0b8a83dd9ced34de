"""The screening pages at work: findings with facts and sources, the stale banner, safety
flags, scales scored from their forms, sign-off, consent signing and withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.questionnaires.services import record_response
from ketaflow.screening.models import ConsentSignature, EligibilityReview
from ketaflow.screening.services import open_review, publish_document, sign_review
from ketaflow.screening.tests.conftest import a_medication

pytestmark = pytest.mark.django_db


def page(client, patient):
    return client.get(f"/screening/patients/{patient.pk}/").content.decode()


def test_findings_show_their_message_facts_and_linked_sources(client, login, nurse, patient):
    open_review(nurse, patient)
    html = page(login(client, nurse), patient)
    assert "Unmet requirements" in html
    assert "no resting blood pressure recorded" in html
    assert "resting BP none recorded" in html
    assert 'href="https://' in html


def test_a_stale_review_shows_the_banner_with_why(
    client, login, nurse, prescriber, eligible_patient
):
    sign_review(prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="ok")
    a_medication(nurse, eligible_patient, "Phentermine", ["stimulant"])
    html = page(login(client, prescriber), eligible_patient)
    assert 'id="stale-banner"' in html
    assert "new medication: Phentermine" in html


def test_a_safety_flag_is_shown_at_the_top(client, login, nurse, patient):
    record_response(
        nurse,
        patient,
        "phq9",
        answers=[0] * 8 + [2],
        context="screening",
        administered_at=timezone.now() - timedelta(minutes=1),
        rater="self",
    )
    html = page(login(client, nurse), patient)
    assert 'id="safety-flags"' in html
    assert "PHQ-9 item 9" in html


def test_a_scale_form_is_scored_on_save(client, login, nurse, patient):
    login(client, nurse)
    data = {f"item_{n}": "2" for n in range(1, 8)}
    data.update(
        context="baseline",
        rater="self",
        administered_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    )
    response = client.post(f"/screening/patients/{patient.pk}/scales/gad7/", data)
    assert response.status_code == 302
    assert InstrumentResponse.objects.get().total == 14


def test_a_missing_item_is_shown_on_the_form_not_a_500(client, login, nurse, patient):
    login(client, nurse)
    data = {
        "item_1": "2",
        "context": "baseline",
        "rater": "self",
        "administered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post(f"/screening/patients/{patient.pk}/scales/gad7/", data)
    assert response.status_code == 200
    assert "error-text" in response.content.decode()


def test_the_licensed_form_asks_for_the_total_only(client, login, nurse, patient):
    html = (
        login(client, nurse).get(f"/screening/patients/{patient.pk}/scales/ybocs/").content.decode()
    )
    assert 'name="total"' in html
    assert 'name="item_1"' not in html


def test_a_prescriber_signs_from_the_page(client, login, nurse, prescriber, eligible_patient):
    review = open_review(nurse, eligible_patient)
    login(client, prescriber)
    url = f"/screening/patients/{eligible_patient.pk}/reviews/{review.pk}/sign/"
    response = client.post(url, {"decision": "eligible", "reason": "All clear"})
    assert response.status_code == 302
    assert EligibilityReview.objects.get(pk=review.pk).decision == "eligible"


def test_signing_an_excluded_patient_eligible_is_a_form_error(
    client, login, nurse, prescriber, patient
):
    review = open_review(nurse, patient)
    login(client, prescriber)
    url = f"/screening/patients/{patient.pk}/reviews/{review.pk}/sign/"
    response = client.post(url, {"decision": "eligible", "reason": "sure"})
    assert response.status_code == 200
    assert "can only be" in response.content.decode()


def test_consent_is_signed_and_withdrawn_from_the_page(client, login, nurse, clinic_admin, patient):
    publish_document(clinic_admin, title="Consent", body="y" * 80, requires_reconsent=True)
    login(client, nurse)
    url = f"/screening/patients/{patient.pk}/consent/"
    response = client.post(url, {"typed_name": "Jane Doe", "method": "in_person", "confirm": "on"})
    assert response.status_code == 302
    signature = ConsentSignature.objects.get()
    response = client.post(f"{url}{signature.pk}/withdraw/", {"reason": "Changed her mind"})
    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.withdrawal_reason == "Changed her mind"


def test_an_admin_publishes_the_default_text(client, login, clinic_admin):
    login(client, clinic_admin)
    form = client.get("/screening/consent-documents/publish/").content.decode()
    assert "off-label" in form
    from ketaflow.screening.consent_text import DEFAULT_BODY, DEFAULT_TITLE

    response = client.post(
        "/screening/consent-documents/publish/",
        {"title": DEFAULT_TITLE, "body": DEFAULT_BODY, "requires_reconsent": "on"},
    )
    assert response.status_code == 302
