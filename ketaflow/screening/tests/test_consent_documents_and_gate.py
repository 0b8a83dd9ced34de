"""Consent: versions published by admins, signatures witnessed by staff, withdrawal kept,
re-consent when a new version requires it — and the gate a session start will ask."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketaflow.screening.consent_text import DEFAULT_BODY, DEFAULT_TITLE
from ketaflow.screening.selectors import consent_gate, current_consent, document_in_force
from ketaflow.screening.services import publish_document, record_signature, withdraw_consent

pytestmark = pytest.mark.django_db


def publish(admin, requires_reconsent=True):
    return publish_document(
        admin, title=DEFAULT_TITLE, body=DEFAULT_BODY, requires_reconsent=requires_reconsent
    )


def sign(nurse, patient):
    return record_signature(nurse, patient, typed_name="Jane Doe", method="in_person")


def test_the_default_text_covers_what_a_patient_must_know():
    text = DEFAULT_BODY.lower()
    for topic in (
        "off-label",
        "dissociation",
        "blood pressure",
        "bladder",
        "dependent",
        "drive",
        "take you home",
        "eat or drink",
        "other treatments",
        "stop at any time",
        "esketamine",
        "your information",
    ):
        assert topic in text, topic


def test_publishing_a_new_version_retires_the_old_one(clinic_admin):
    first = publish(clinic_admin)
    second = publish(clinic_admin)
    first.refresh_from_db()
    assert second.version == 2
    assert first.retired_at == second.effective_from
    assert document_in_force(clinic_admin.clinic_id) == second


def test_only_clinic_admins_publish(nurse, prescriber):
    for user in (nurse, prescriber):
        with pytest.raises(PermissionDenied):
            publish(user)


def test_a_signature_opens_the_consent_gate(clinic_admin, nurse, patient):
    publish(clinic_admin)
    signature = sign(nurse, patient)
    assert signature.witness == nurse
    assert current_consent(patient) == signature
    assert consent_gate(patient) == (True, [])


def test_without_a_document_or_a_signature_the_gate_is_closed(clinic_admin, patient):
    assert consent_gate(patient)[1] == ["The clinic has no consent document in force."]
    publish(clinic_admin)
    assert consent_gate(patient)[1] == ["The patient has not signed the consent document."]


def test_withdrawn_consent_closes_the_gate_and_keeps_the_signature(clinic_admin, nurse, patient):
    publish(clinic_admin)
    signature = withdraw_consent(nurse, sign(nurse, patient), reason="Changed her mind")
    ok, reasons = consent_gate(patient)
    assert not ok
    assert "withdrew consent" in reasons[0]
    assert "Changed her mind" in reasons[0]
    signature.refresh_from_db()
    assert signature.withdrawn_by == nurse


def test_withdrawal_needs_a_reason(clinic_admin, nurse, patient):
    publish(clinic_admin)
    with pytest.raises(ValidationError):
        withdraw_consent(nurse, sign(nurse, patient), reason="")


def test_a_version_requiring_reconsent_closes_the_gate_until_re_signed(
    clinic_admin, nurse, patient
):
    publish(clinic_admin)
    sign(nurse, patient)
    publish(clinic_admin, requires_reconsent=True)
    ok, reasons = consent_gate(patient)
    assert not ok
    assert "version 2 requires the patient to sign again" in reasons[0]
    sign(nurse, patient)
    assert consent_gate(patient)[0]


def test_a_version_not_requiring_reconsent_keeps_the_old_signature_valid(
    clinic_admin, nurse, patient
):
    publish(clinic_admin)
    signature = sign(nurse, patient)
    publish(clinic_admin, requires_reconsent=False)
    assert current_consent(patient) == signature


def test_the_typed_name_must_be_the_patients(clinic_admin, nurse, patient):
    publish(clinic_admin)
    with pytest.raises(ValidationError) as caught:
        record_signature(nurse, patient, typed_name="Somebody Else", method="remote")
    assert "typed_name" in caught.value.message_dict


def test_front_desk_cannot_record_consent(clinic_admin, front_desk, patient):
    publish(clinic_admin)
    with pytest.raises(PermissionDenied):
        sign(front_desk, patient)


def test_another_clinics_document_is_never_in_force_for_us(clinic_admin, outsider_patient):
    publish(clinic_admin)
    assert document_in_force(outsider_patient.clinic_id) is None
