"""Writes of screening: clearance and resting BP, eligibility reviews and their sign-off,
consent documents and signatures. Each: permission → validation → one transaction → audit.

Sign-off rules (the core suggests, the prescriber decides within these bounds):
- an exclusion or an unmet requirement allows only "not eligible" (resolve it in the chart and
  open a new review to decide otherwise);
- "eligible" without cautions is refused while the core found cautions;
- a review whose facts have changed since it was opened cannot be signed (open a new one);
- a signed review is locked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.eligibility import BloodPressure, FindingKind, assess_eligibility
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.protocols import Protocol
from ketaflow.lib.clock import FUTURE_TOLERANCE
from ketaflow.patients.models import Patient
from ketaflow.screening.derive import chart_facts
from ketaflow.screening.models import (
    ConsentDocument,
    ConsentMethod,
    ConsentSignature,
    Decision,
    EligibilityReview,
    ObservationKind,
    ObservationResult,
    ScreeningObservation,
)
from ketaflow.screening.protocols import (
    DEFAULT_PROTOCOL,
    criteria_for,
    criteria_snapshot,
    get_protocol,
)
from ketaflow.screening.selectors import document_in_force, review_changes


class ReviewLocked(ValidationError):
    """The review is signed (409 in the API): changes need a new review."""


def _chart_error(exc: ClinicalInputError) -> ValidationError:
    return ValidationError(
        {
            exc.field or "__all__": [
                f"The chart cannot be assessed: {exc.message}. Correct it first."
            ]
        }
    )


def _not_future(name: str, when: datetime) -> None:
    if timezone.is_naive(when):
        raise ValidationError({name: ["Give a time with its time zone."]})
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({name: ["This is in the future."]})


def _reason(value: str, name: str = "reason") -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({name: ["Give a reason; it is kept with the record."]})
    return text


# ---------------------------------------------------------------- clearance and resting BP

TEST_RESULTS = {ObservationResult.NEGATIVE, ObservationResult.POSITIVE}
TESTS = {ObservationKind.PREGNANCY_TEST, ObservationKind.URINE_TOXICOLOGY}


@transaction.atomic
def record_observation(
    actor: User,
    patient: Patient,
    *,
    kind: str,
    observed_at: datetime,
    result: str = "",
    systolic: int | None = None,
    diastolic: int | None = None,
    score: int | None = None,
    notes: str = "",
) -> ScreeningObservation:
    """Record a clearance item's result or a resting BP (validated by the core)."""
    require(actor, Capability.RECORD_SCREENING, patient)
    if kind not in ObservationKind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(ObservationKind.values)}."]})
    _not_future("observed_at", observed_at)
    if observed_at.date() < patient.date_of_birth:
        raise ValidationError({"observed_at": ["This is before the patient was born."]})
    if kind == ObservationKind.RESTING_BP:
        if systolic is None or diastolic is None:
            missing = "systolic" if systolic is None else "diastolic"
            raise ValidationError({missing: ["Enter both systolic and diastolic (mmHg)."]})
        try:
            BloodPressure(systolic, diastolic)
        except ClinicalInputError as exc:
            raise ValidationError({"systolic": [exc.message]}) from exc
        if result or score is not None:
            raise ValidationError({"result": ["A blood pressure has no result or score."]})
    else:
        if systolic is not None or diastolic is not None:
            raise ValidationError({"systolic": ["Only a resting BP has systolic/diastolic."]})
        if result not in ObservationResult.values:
            raise ValidationError({"result": ["Choose the result."]})
        if kind in TESTS and result not in TEST_RESULTS:
            raise ValidationError({"result": ["A test is negative or positive."]})
        if score is not None:
            if kind != ObservationKind.SLEEP_APNOEA_SCREEN:
                raise ValidationError({"score": ["Only the sleep-apnoea screen has a score."]})
            if not 0 <= score <= 8:
                raise ValidationError({"score": ["A STOP-BANG score is 0–8."]})
    observation = ScreeningObservation(
        patient=patient,
        recorded_by=actor,
        kind=kind,
        observed_at=observed_at,
        result=result,
        systolic=systolic,
        diastolic=diastolic,
        score=score,
        notes=notes.strip(),
    )
    observation.full_clean(exclude=["patient", "recorded_by"])
    observation._history_user = actor  # type: ignore[attr-defined]
    observation.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=observation,
        detail={"kind": kind, "value": observation.value_display},
    )
    return observation


@transaction.atomic
def mark_observation_entered_in_error(
    actor: User, observation: ScreeningObservation, reason: str
) -> ScreeningObservation:
    require(actor, Capability.RECORD_SCREENING, observation.patient)
    text = _reason(reason)
    observation = ScreeningObservation.objects.select_for_update().get(pk=observation.pk)
    if observation.status == RecordStatus.ENTERED_IN_ERROR:
        raise ValidationError({"status": ["Already marked entered in error."]})
    observation.status = RecordStatus.ENTERED_IN_ERROR
    observation.status_reason = text[:300]
    observation._change_reason = text  # type: ignore[attr-defined]
    observation._history_user = actor  # type: ignore[attr-defined]
    observation.save()
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=observation,
        detail={"status": RecordStatus.ENTERED_IN_ERROR, "reason": text},
    )
    return observation


# ---------------------------------------------------------------- eligibility reviews


def _finding_json(finding: Any) -> dict[str, Any]:
    return {
        "kind": finding.kind.value,
        "code": finding.code,
        "message": finding.message,
        "facts": list(finding.facts),
        "sources": [s.key for s in finding.sources],
        "needs_local_signoff": finding.needs_local_signoff,
    }


@transaction.atomic
def open_review(
    actor: User, patient: Patient, *, protocol: str | Protocol = DEFAULT_PROTOCOL
) -> EligibilityReview:
    """Read the chart now, let the core assess it, and store the review for sign-off.

    Earlier unsigned reviews of the patient are marked superseded (never deleted).
    """
    require(actor, Capability.RECORD_SCREENING, patient)
    try:
        chosen = get_protocol(protocol)
    except ClinicalInputError as exc:
        raise ValidationError({"protocol": [exc.message]}) from exc
    at = timezone.now()
    try:
        chart = chart_facts(patient, at, chosen)
        criteria = criteria_for(chosen)
    except ClinicalInputError as exc:
        raise _chart_error(exc) from exc
    assessment = assess_eligibility(chart.facts, criteria)
    review = EligibilityReview(
        patient=patient,
        recorded_by=actor,
        protocol_code=chosen.code,
        protocol_version=chosen.version,
        protocol_name=chosen.name,
        criteria=criteria_snapshot(criteria, chosen),
        facts_at=at,
        facts=chart.snapshot,
        provenance=chart.provenance,
        fingerprint=chart.fingerprint,
        findings=[_finding_json(f) for f in assessment.findings],
        suggested_outcome=assessment.outcome.value,
    )
    review._history_user = actor  # type: ignore[attr-defined]
    review.save()
    superseded = EligibilityReview.objects.filter(
        patient=patient, signed_at__isnull=True, status=RecordStatus.ACTIVE
    ).exclude(pk=review.pk)
    for old in superseded.select_for_update():
        old.status = RecordStatus.INACTIVE
        old.status_reason = f"Superseded by review {review.pk}."
        old._change_reason = old.status_reason
        old._history_user = actor
        old.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=review,
        detail={
            "protocol": f"{chosen.code} v{chosen.version}",
            "suggested_outcome": assessment.outcome.value,
            "findings": list(assessment.codes),
        },
    )
    return review


@transaction.atomic
def sign_review(
    actor: User, review: EligibilityReview, *, decision: str, reason: str
) -> EligibilityReview:
    """The prescriber's decision on a review, with a reason; the review is then locked."""
    require(actor, Capability.SIGN_ELIGIBILITY, review.patient)
    review = EligibilityReview.objects.select_for_update().get(pk=review.pk)
    if review.is_signed:
        raise ReviewLocked(
            {"review": ["This review is already signed and locked; open a new review."]}
        )
    if review.status != RecordStatus.ACTIVE:
        raise ValidationError(
            {"review": [f"This review is not current ({review.status_reason}); sign the latest."]}
        )
    if decision not in Decision.values:
        raise ValidationError({"decision": [f"Choose one of: {', '.join(Decision.values)}."]})
    text = _reason(reason)
    kinds = {f["kind"] for f in review.findings}
    blocking = kinds & {FindingKind.EXCLUSION.value, FindingKind.UNMET_REQUIREMENT.value}
    if blocking and decision != Decision.NOT_ELIGIBLE:
        raise ValidationError(
            {
                "decision": [
                    "There are exclusions or unmet requirements: the decision can only be "
                    "'not eligible'. Resolve them in the chart and open a new review."
                ]
            }
        )
    if decision == Decision.ELIGIBLE and FindingKind.CAUTION.value in kinds:
        raise ValidationError(
            {"decision": ["The review has cautions: choose 'eligible with cautions'."]}
        )
    changes = review_changes(review)
    if changes:
        raise ValidationError(
            {
                "review": [
                    "The chart has changed since this review was opened ("
                    + "; ".join(changes)
                    + "). Open a new review."
                ]
            }
        )
    review.decision = decision
    review.decision_reason = text
    review.signed_by = actor
    review.signed_at = timezone.now()
    review._history_user = actor  # type: ignore[attr-defined]
    review._change_reason = "signed"  # type: ignore[attr-defined]
    review.save()
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=review,
        detail={
            "signed": True,
            "decision": decision,
            "suggested_outcome": review.suggested_outcome,
            "reason": text,
        },
    )
    return review


# ---------------------------------------------------------------- consent


@transaction.atomic
def publish_document(
    actor: User,
    *,
    title: str,
    body: str,
    requires_reconsent: bool,
    change_summary: str = "",
    effective_from: datetime | None = None,
) -> ConsentDocument:
    """Publish the clinic's next consent version; the version in force is retired from then."""
    require(actor, Capability.MANAGE_CONSENT_DOCUMENTS)
    clinic_id = actor.clinic_pk
    if not title.strip():
        raise ValidationError({"title": ["Give the document a title."]})
    if len(body.strip()) < 50:
        raise ValidationError({"body": ["The consent text is too short to inform anyone."]})
    now = timezone.now()
    start = effective_from or now
    if timezone.is_naive(start):
        raise ValidationError({"effective_from": ["Give a time with its time zone."]})
    if start < now - FUTURE_TOLERANCE:
        raise ValidationError({"effective_from": ["A new version cannot take effect in the past."]})
    documents = ConsentDocument.objects.select_for_update().filter(clinic_id=clinic_id)
    latest = documents.aggregate(top=Max("version"))["top"] or 0
    pending = documents.filter(effective_from__gt=now, retired_at__isnull=True).exists()
    if pending:
        raise ValidationError(
            {"effective_from": ["A version is already waiting to take effect; wait for it."]}
        )
    document = ConsentDocument(
        clinic_id=clinic_id,
        version=latest + 1,
        title=title.strip(),
        body=body.strip(),
        effective_from=start,
        requires_reconsent=requires_reconsent,
        change_summary=change_summary.strip(),
        created_by=actor,
    )
    document.full_clean(exclude=["clinic", "created_by"])
    document._history_user = actor  # type: ignore[attr-defined]
    document.save()
    for old in documents.filter(retired_at__isnull=True).exclude(pk=document.pk):
        old.retired_at = start
        old._history_user = actor
        old._change_reason = f"Retired by version {document.version}."
        old.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=document,
        detail={"version": document.version, "requires_reconsent": requires_reconsent},
    )
    return document


def _names_match(typed: str, patient: Patient) -> bool:
    """A typed signature must contain the patient's family name (case and spacing aside)."""
    family = " ".join(patient.family_name.casefold().split())
    return bool(family) and family in " ".join(typed.casefold().split())


@transaction.atomic
def record_signature(
    actor: User,
    patient: Patient,
    *,
    typed_name: str,
    method: str,
    document: ConsentDocument | None = None,
    signed_at: datetime | None = None,
) -> ConsentSignature:
    """The patient's consent to the document in force, witnessed by the actor."""
    require(actor, Capability.RECORD_CONSENT, patient)
    when = signed_at or timezone.now()
    _not_future("signed_at", when)
    in_force = document_in_force(patient.clinic_id, when)
    if in_force is None:
        raise ValidationError({"document": ["Your clinic has not published a consent document."]})
    if document is not None and document.pk != in_force.pk:
        raise ValidationError(
            {"document": [f"Only the version in force (version {in_force.version}) can be signed."]}
        )
    if method not in ConsentMethod.values:
        raise ValidationError({"method": [f"Choose one of: {', '.join(ConsentMethod.values)}."]})
    name = " ".join((typed_name or "").split())
    if not name:
        raise ValidationError({"typed_name": ["The patient types their name to sign."]})
    if not _names_match(name, patient):
        raise ValidationError(
            {"typed_name": [f"The typed name must be the patient's ({patient.full_name})."]}
        )
    signature = ConsentSignature(
        patient=patient,
        recorded_by=actor,
        document=in_force,
        signed_at=when,
        typed_name=name,
        witness=actor,
        method=method,
    )
    signature.full_clean(exclude=["patient", "recorded_by", "document", "witness"])
    signature._history_user = actor  # type: ignore[attr-defined]
    signature.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=signature,
        detail={"document_version": in_force.version, "method": method},
    )
    return signature


@transaction.atomic
def withdraw_consent(actor: User, signature: ConsentSignature, *, reason: str) -> ConsentSignature:
    """Record the patient's withdrawal of consent; the signature is kept."""
    require(actor, Capability.RECORD_CONSENT, signature.patient)
    text = _reason(reason)
    signature = ConsentSignature.objects.select_for_update().get(pk=signature.pk)
    if signature.is_withdrawn:
        raise ValidationError({"reason": ["This consent has already been withdrawn."]})
    signature.withdrawn_at = timezone.now()
    signature.withdrawal_reason = text
    signature.withdrawn_by = actor
    signature._change_reason = f"Withdrawn: {text}"  # type: ignore[attr-defined]
    signature._history_user = actor  # type: ignore[attr-defined]
    signature.save()
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=signature,
        detail={"withdrawn": True, "reason": text},
    )
    return signature
