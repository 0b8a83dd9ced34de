"""Reads of screening: scoped to the actor's clinic (another clinic's patient is a 404),
audited when patient data is read. The gates for a treatment session take a patient already
scoped by the caller:

- `eligibility_gate(patient, at)`: the latest signed review says eligible (± cautions) and
  the chart has not changed since it was opened;
- `consent_gate(patient, at)`: a signature valid at `at` (see `current_consent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.eligibility import Need, protocol_needs
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.protocols import Protocol
from ketaflow.patients.models import Patient
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.questionnaires.selectors import SafetyFlag, open_safety_flags
from ketaflow.screening.derive import chart_facts, stale_reasons
from ketaflow.screening.models import (
    ELIGIBLE_DECISIONS,
    ConsentDocument,
    ConsentSignature,
    EligibilityReview,
    ScreeningObservation,
)
from ketaflow.screening.protocols import criteria_for, get_protocol


def screening_patient(actor: User, patient_id: int) -> Patient:
    """The patient, for roles that may read screening (403), in the actor's clinic (404)."""
    if not actor.can(Capability.VIEW_CLINICAL):
        raise PermissionDenied("Your role cannot see screening.")
    try:
        return Patient.objects.get(pk=patient_id, clinic_id=actor.clinic_pk)
    except Patient.DoesNotExist:
        raise Http404("No such patient in your clinic.") from None


# ---------------------------------------------------------------- reviews


@dataclass(frozen=True)
class ReviewState:
    """A review with whether it still matches the chart, and why not."""

    review: EligibilityReview
    stale_reasons: tuple[str, ...]

    @property
    def is_stale(self) -> bool:
        return bool(self.stale_reasons)


def review_changes(review: EligibilityReview, at: datetime | None = None) -> list[str]:
    """Why the review no longer matches the chart (empty when it still does).

    A read, so here; `services.sign_review` asks it too (services read through selectors).
    """
    try:
        protocol = get_protocol(review.protocol_code)
    except ClinicalInputError:
        return [f"protocol {review.protocol_code} is no longer available"]
    try:
        current = chart_facts(review.patient, at or timezone.now(), protocol)
    except ClinicalInputError as exc:
        return [f"the chart cannot be assessed now: {exc.message}"]
    if current.fingerprint == review.fingerprint:
        return []
    return stale_reasons(review.facts, current.snapshot) or ["the chart has changed"]


def state_of(review: EligibilityReview, at: datetime | None = None) -> ReviewState:
    return ReviewState(review, tuple(review_changes(review, at)))


def _live_reviews(patient: Patient, at: datetime | None = None) -> list[EligibilityReview]:
    qs = EligibilityReview.objects.filter(patient=patient).exclude(
        status=RecordStatus.ENTERED_IN_ERROR
    )
    if at is not None:
        qs = qs.filter(recorded_at__lte=at)
    return list(qs.select_related("recorded_by", "signed_by", "patient"))


def current_review(patient: Patient, at: datetime | None = None) -> ReviewState | None:
    """The patient's latest review (signed or not), with `.is_stale` and `.stale_reasons`."""
    reviews = [r for r in _live_reviews(patient, at) if r.status == RecordStatus.ACTIVE]
    return state_of(reviews[0], at) if reviews else None


def latest_signed_review(patient: Patient, at: datetime | None = None) -> ReviewState | None:
    signed = [
        r
        for r in _live_reviews(patient, at)
        if r.signed_at is not None and (at is None or r.signed_at <= at)
    ]
    signed.sort(key=lambda r: (r.signed_at, r.pk), reverse=True)
    return state_of(signed[0], at) if signed else None


def eligibility_gate(patient: Patient, at: datetime | None = None) -> tuple[bool, list[str]]:
    """May a session start at `at` as far as eligibility goes? (ok, reasons why not)."""
    when = at or timezone.now()
    state = latest_signed_review(patient, when)
    if state is None:
        return False, ["No signed eligibility review: a prescriber must sign one off."]
    review = state.review
    reasons = []
    if review.decision not in ELIGIBLE_DECISIONS:
        reasons.append(
            f"The signed eligibility decision is '{review.get_decision_display()}' "
            f"({review.decision_reason})."
        )
    if state.is_stale:
        reasons.append(
            "The signed eligibility review is out of date: " + "; ".join(state.stale_reasons) + "."
        )
    return not reasons, reasons


def reviews_for(actor: User, patient_id: int) -> list[EligibilityReview]:
    patient = screening_patient(actor, patient_id)
    reviews = _live_reviews(patient)
    record_event(actor=actor, action=Action.VIEW, obj=patient, detail={"part": "eligibility"})
    return reviews


def get_review(actor: User, patient_id: int, review_id: int) -> EligibilityReview:
    patient = screening_patient(actor, patient_id)
    try:
        review = EligibilityReview.objects.select_related("recorded_by", "signed_by").get(
            pk=review_id, patient=patient
        )
    except EligibilityReview.DoesNotExist:
        raise Http404("No such review for this patient.") from None
    record_event(actor=actor, action=Action.VIEW, obj=review)
    return review


def observations_for(actor: User, patient_id: int) -> list[ScreeningObservation]:
    patient = screening_patient(actor, patient_id)
    rows = list(ScreeningObservation.objects.filter(patient=patient).select_related("recorded_by"))
    record_event(actor=actor, action=Action.VIEW, obj=patient, detail={"part": "clearance"})
    return rows


def get_observation(actor: User, patient_id: int, observation_id: int) -> ScreeningObservation:
    patient = screening_patient(actor, patient_id)
    try:
        return ScreeningObservation.objects.get(pk=observation_id, patient=patient)
    except ScreeningObservation.DoesNotExist:
        raise Http404("No such clearance item for this patient.") from None


# ---------------------------------------------------------------- consent


def document_in_force(clinic_id: int, at: datetime | None = None) -> ConsentDocument | None:
    """The clinic's consent version in force at `at` (default now)."""
    when = at or timezone.now()
    docs = ConsentDocument.objects.filter(clinic_id=clinic_id, effective_from__lte=when).exclude(
        retired_at__lte=when
    )
    return docs.order_by("-version").first()


def _reconsent_needed_since(signature: ConsentSignature, at: datetime) -> ConsentDocument | None:
    """The first later version in force by `at` that requires patients to sign again."""
    return (
        ConsentDocument.objects.filter(
            clinic_id=signature.document.clinic_id,
            version__gt=signature.document.version,
            effective_from__lte=at,
            requires_reconsent=True,
        )
        .order_by("version")
        .first()
    )


def _signatures(patient: Patient, at: datetime) -> list[ConsentSignature]:
    qs = (
        ConsentSignature.objects.filter(patient=patient, signed_at__lte=at)
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .select_related("document", "witness", "withdrawn_by")
    )
    return list(qs.order_by("-signed_at", "-id"))


def current_consent(patient: Patient, at: datetime | None = None) -> ConsentSignature | None:
    """The signature valid at `at`: the latest one, not withdrawn by then, with no version
    requiring re-consent come into force since the one signed."""
    when = at or timezone.now()
    signatures = _signatures(patient, when)
    if not signatures:
        return None
    latest = signatures[0]  # a withdrawal withdraws consent, not just one signature
    if latest.withdrawn_at is not None and latest.withdrawn_at <= when:
        return None
    return latest if _reconsent_needed_since(latest, when) is None else None


def consent_gate(patient: Patient, at: datetime | None = None) -> tuple[bool, list[str]]:
    """May a session start at `at` as far as consent goes? (ok, reasons why not)."""
    when = at or timezone.now()
    if current_consent(patient, when) is not None:
        return True, []
    if document_in_force(patient.clinic_id, when) is None:
        return False, ["The clinic has no consent document in force."]
    signatures = _signatures(patient, when)
    if not signatures:
        return False, ["The patient has not signed the consent document."]
    latest = signatures[0]
    if latest.withdrawn_at is not None and latest.withdrawn_at <= when:
        day = timezone.localtime(latest.withdrawn_at).date()
        return False, [
            f"The patient withdrew consent on {day:%d %b %Y}: {latest.withdrawal_reason}"
        ]
    newer = _reconsent_needed_since(latest, when)
    version = newer.version if newer is not None else "?"
    return False, [
        f"Consent version {version} requires the patient to sign again "
        f"(they signed version {latest.document.version})."
    ]


def consent_history(actor: User, patient_id: int) -> list[ConsentSignature]:
    patient = screening_patient(actor, patient_id)
    rows = list(
        ConsentSignature.objects.filter(patient=patient).select_related(
            "document", "witness", "withdrawn_by"
        )
    )
    record_event(actor=actor, action=Action.VIEW, obj=patient, detail={"part": "consent"})
    return rows


def get_signature(actor: User, patient_id: int, signature_id: int) -> ConsentSignature:
    patient = screening_patient(actor, patient_id)
    try:
        return ConsentSignature.objects.select_related("document", "patient").get(
            pk=signature_id, patient=patient
        )
    except ConsentSignature.DoesNotExist:
        raise Http404("No such consent for this patient.") from None


def _documents_reader(actor: User) -> None:
    if not (actor.can(Capability.VIEW_CLINICAL) or actor.can(Capability.MANAGE_CONSENT_DOCUMENTS)):
        raise PermissionDenied("Your role cannot see consent documents.")


def consent_documents(actor: User) -> list[ConsentDocument]:
    """Every version of the actor's clinic's consent document, newest first."""
    _documents_reader(actor)
    return list(
        ConsentDocument.objects.filter(clinic_id=actor.clinic_pk).select_related("created_by")
    )


def get_consent_document(actor: User, document_id: int) -> ConsentDocument:
    _documents_reader(actor)
    try:
        return ConsentDocument.objects.get(pk=document_id, clinic_id=actor.clinic_pk)
    except ConsentDocument.DoesNotExist:
        raise Http404("No such consent document in your clinic.") from None


# ---------------------------------------------------------------- the screening page


@dataclass(frozen=True)
class Overview:
    """Everything the screening page shows, read once and audited once."""

    patient: Patient
    current: ReviewState | None
    reviews: list[EligibilityReview]
    observations: list[ScreeningObservation]
    responses: list[InstrumentResponse]
    safety_flags: list[SafetyFlag]
    eligibility: tuple[bool, list[str]]
    consent: tuple[bool, list[str]]
    signature: ConsentSignature | None


def screening_overview(actor: User, patient_id: int) -> Overview:
    patient = screening_patient(actor, patient_id)
    now = timezone.now()
    current = current_review(patient)
    overview = Overview(
        patient=patient,
        current=current,
        reviews=_live_reviews(patient),
        observations=list(
            ScreeningObservation.objects.filter(patient=patient).select_related("recorded_by")
        ),
        responses=list(
            InstrumentResponse.objects.filter(patient=patient).select_related("recorded_by")
        ),
        safety_flags=open_safety_flags(patient, now),
        eligibility=eligibility_gate(patient, now),
        consent=consent_gate(patient, now),
        signature=current_consent(patient, now),
    )
    detail: dict[str, object] = {"part": "screening"}
    if overview.safety_flags:
        detail["safety_flags_shown"] = sorted({f.code for f in overview.safety_flags})
    record_event(actor=actor, action=Action.VIEW, obj=patient, detail=detail)
    return overview


# ---------------------------------------------------------------- what the protocol needs


@dataclass(frozen=True)
class NeedsList:
    """What a protocol needs before a review, for a patient already scoped by the caller.

    `needs` comes from the core (`protocol_needs`) under the protocol's criteria, with the
    patient's state; when the chart cannot be read, `chart_problem` says why and every state
    is unknown. `pregnancy` is the chart's pregnancy status and where it came from.
    """

    protocol: Protocol
    needs: tuple[Need, ...]
    chart_problem: str
    pregnancy: str
    pregnancy_source: dict[str, object]


def needs_for(patient: Patient, protocol: Protocol, at: datetime | None = None) -> NeedsList:
    criteria = criteria_for(protocol)
    try:
        read = chart_facts(patient, at or timezone.now(), protocol)
    except ClinicalInputError as exc:
        return NeedsList(protocol, protocol_needs(criteria), exc.message, "", {})
    return NeedsList(
        protocol,
        protocol_needs(criteria, read.facts),
        "",
        read.facts.pregnancy.value,
        dict(read.provenance.get("pregnancy") or {}),
    )


# ---------------------------------------------------------------- worklist


def _reviews_to_sign(actor: User) -> QuerySet[EligibilityReview]:
    """Each patient's latest live review, when it is not signed yet (an older unsigned one,
    replaced by a newer review, waits for nobody)."""
    newer = EligibilityReview.objects.filter(
        patient_id=OuterRef("patient_id"), status=RecordStatus.ACTIVE, pk__gt=OuterRef("pk")
    )
    return EligibilityReview.objects.filter(
        patient__clinic_id=actor.clinic_pk, status=RecordStatus.ACTIVE, signed_at__isnull=True
    ).exclude(Exists(newer))


def reviews_to_sign(actor: User, *, limit: int = 50) -> list[EligibilityReview]:
    """Eligibility reviews waiting for a prescriber's decision, oldest first; audited."""
    if not actor.can(Capability.VIEW_CLINICAL):
        raise PermissionDenied("Your role cannot see screening.")
    rows = list(
        _reviews_to_sign(actor).select_related("patient").order_by("recorded_at", "pk")[:limit]
    )
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={"part": "reviews_to_sign", "patient_ids": sorted({r.patient_id for r in rows})},
    )
    return rows


def reviews_to_sign_count(actor: User) -> int:
    """How many reviews wait for a signature (a number only: not audited)."""
    if not actor.can(Capability.VIEW_CLINICAL):
        return 0
    return _reviews_to_sign(actor).count()
