"""Screening as JSON: eligibility reviews and sign-off, clearance and resting BP, consent
documents and signatures, the two gates — and (mounted here for now) rating-scale responses.
The same selectors and services as the pages; nothing is decided here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from ketaflow.accounts.requests import staff_user
from ketaflow.lib.api_schemas import Bool, InputSchema, IsoDateTime, PathId, Text, text
from ketaflow.questionnaires import api as questionnaires_api
from ketaflow.questionnaires.selectors import responses_for
from ketaflow.questionnaires.services import record_response
from ketaflow.screening import selectors, services
from ketaflow.screening.models import ConsentMethod, Decision, ObservationKind, ObservationResult
from ketaflow.screening.protocols import DEFAULT_PROTOCOL

router = Router(tags=["screening"])
router.add_router("", questionnaires_api.router)
ERRORS = (
    "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 409 locked, "
    "422 bad input."
)


def _name(user: Any) -> str | None:
    return user.display_name if user is not None else None


# ---------------------------------------------------------------- reviews


class EligibilityFindingOut(Schema):
    kind: str
    code: str
    message: str
    facts: list[str]
    sources: list[str]
    needs_local_signoff: bool


class EligibilityReviewOut(Schema):
    id: int
    patient_id: int
    protocol_code: str
    protocol_version: int
    protocol_name: str
    criteria: dict[str, Any]
    facts_at: datetime
    facts: dict[str, Any]
    fingerprint: str
    findings: list[EligibilityFindingOut]
    suggested_outcome: str
    decision: str
    decision_reason: str
    signed_by: str | None
    signed_at: datetime | None
    status: str
    status_reason: str
    opened_at: datetime
    opened_by: str | None

    @staticmethod
    def resolve_signed_by(obj: Any) -> str | None:
        return _name(obj.signed_by)

    @staticmethod
    def resolve_opened_by(obj: Any) -> str | None:
        return _name(obj.recorded_by)

    @staticmethod
    def resolve_opened_at(obj: Any) -> datetime:
        return obj.recorded_at


class CurrentReviewOut(Schema):
    review: EligibilityReviewOut
    is_stale: bool
    stale_reasons: list[str]


class OpenReviewIn(InputSchema):
    protocol: Text = Field(DEFAULT_PROTOCOL, max_length=60, description="Built-in protocol code")


class SignIn(InputSchema):
    decision: Decision
    reason: Text = text(2000, "Why (kept with the locked review)", min_length=1)


class GateOut(Schema):
    ok: bool
    reasons: list[str]


class AtParams(Schema):
    at: IsoDateTime | None = Field(None, description="When (default now)")


@router.get(
    "/patients/{patient_id}/reviews",
    response=list[EligibilityReviewOut],
    summary="Eligibility reviews",
)
def list_reviews(request: HttpRequest, patient_id: PathId) -> Any:
    return selectors.reviews_for(staff_user(request), patient_id)


@router.post(
    "/patients/{patient_id}/reviews",
    response={201: EligibilityReviewOut},
    summary="Open a review (the core assesses the chart now)",
    description=ERRORS,
)
def open_review(request: HttpRequest, patient_id: PathId, payload: OpenReviewIn) -> Any:
    actor = staff_user(request)
    patient = selectors.screening_patient(actor, patient_id)
    return Status(201, services.open_review(actor, patient, protocol=payload.protocol))


@router.get(
    "/patients/{patient_id}/reviews/current",
    response=CurrentReviewOut,
    summary="The latest review, and whether the chart has changed since",
    description=ERRORS,
)
def current(request: HttpRequest, patient_id: PathId) -> Any:
    actor = staff_user(request)
    state = selectors.current_review(selectors.screening_patient(actor, patient_id))
    if state is None:
        raise HttpError(404, "No eligibility review for this patient yet.")
    selectors.get_review(actor, patient_id, state.review.pk)  # audited as a view
    return {
        "review": state.review,
        "is_stale": state.is_stale,
        "stale_reasons": state.stale_reasons,
    }


@router.get(
    "/patients/{patient_id}/reviews/{review_id}",
    response=EligibilityReviewOut,
    summary="One review",
)
def get_review(request: HttpRequest, patient_id: PathId, review_id: PathId) -> Any:
    return selectors.get_review(staff_user(request), patient_id, review_id)


@router.post(
    "/patients/{patient_id}/reviews/{review_id}/sign",
    response=EligibilityReviewOut,
    summary="Sign off (prescribers); the review is then locked",
    description=ERRORS,
)
def sign(request: HttpRequest, patient_id: PathId, review_id: PathId, payload: SignIn) -> Any:
    actor = staff_user(request)
    review = selectors.get_review(actor, patient_id, review_id)
    try:
        return services.sign_review(
            actor, review, decision=payload.decision.value, reason=payload.reason
        )
    except services.ReviewLocked as exc:
        raise HttpError(409, exc.messages[0]) from exc


@router.get(
    "/patients/{patient_id}/eligibility-gate",
    response=GateOut,
    summary="May a session start, as far as eligibility goes?",
)
def eligibility_gate(request: HttpRequest, patient_id: PathId, params: Query[AtParams]) -> Any:
    patient = selectors.screening_patient(staff_user(request), patient_id)
    ok, reasons = selectors.eligibility_gate(patient, params.at)
    return {"ok": ok, "reasons": reasons}


# ---------------------------------------------------------------- clearance and resting BP


class ObservationIn(InputSchema):
    kind: ObservationKind
    observed_at: IsoDateTime
    result: ObservationResult | None = None
    systolic: int | None = Field(None, ge=0, le=400, description="mmHg, resting BP only")
    diastolic: int | None = Field(None, ge=0, le=400, description="mmHg, resting BP only")
    score: int | None = Field(None, ge=0, le=100, description="STOP-BANG 0–8")
    notes: Text = text(5000, "Notes", default="")


class ObservationOut(Schema):
    id: int
    patient_id: int
    kind: str
    observed_at: datetime
    result: str
    systolic: int | None
    diastolic: int | None
    score: int | None
    notes: str
    status: str
    status_reason: str
    recorded_at: datetime
    recorded_by: str | None

    @staticmethod
    def resolve_recorded_by(obj: Any) -> str | None:
        return _name(obj.recorded_by)


class ScreeningReasonIn(InputSchema):
    reason: Text = text(500, "Why (kept in the record)", min_length=1)


@router.get(
    "/patients/{patient_id}/clearance",
    response=list[ObservationOut],
    summary="Clearance items and resting BPs",
)
def list_clearance(request: HttpRequest, patient_id: PathId) -> Any:
    return selectors.observations_for(staff_user(request), patient_id)


@router.post(
    "/patients/{patient_id}/clearance",
    response={201: ObservationOut},
    summary="Record a clearance item or resting BP",
    description=ERRORS,
)
def add_clearance(request: HttpRequest, patient_id: PathId, payload: ObservationIn) -> Any:
    actor = staff_user(request)
    patient = selectors.screening_patient(actor, patient_id)
    return Status(
        201,
        services.record_observation(
            actor,
            patient,
            kind=payload.kind.value,
            observed_at=payload.observed_at,
            result=payload.result.value if payload.result else "",
            systolic=payload.systolic,
            diastolic=payload.diastolic,
            score=payload.score,
            notes=payload.notes,
        ),
    )


@router.post(
    "/patients/{patient_id}/clearance/{observation_id}/entered-in-error",
    response=ObservationOut,
    summary="Mark a clearance item entered in error",
    description=ERRORS,
)
def withdraw_clearance(
    request: HttpRequest, patient_id: PathId, observation_id: PathId, payload: ScreeningReasonIn
) -> Any:
    actor = staff_user(request)
    observation = selectors.get_observation(actor, patient_id, observation_id)
    return services.mark_observation_entered_in_error(actor, observation, payload.reason)


# ---------------------------------------------------------------- consent


class DocumentOut(Schema):
    id: int
    version: int
    title: str
    body: str
    effective_from: datetime
    retired_at: datetime | None
    requires_reconsent: bool
    change_summary: str


class DocumentIn(InputSchema):
    title: Text = text(200, "Title", min_length=1)
    body: Text = text(50000, "The text patients read", min_length=1)
    requires_reconsent: Bool = True
    change_summary: Text = text(500, "What changed", default="")


class SignatureIn(InputSchema):
    typed_name: Text = text(200, "The patient's name, typed by the patient", min_length=1)
    method: ConsentMethod


class SignatureOut(Schema):
    id: int
    patient_id: int
    document_id: int
    document_version: int
    signed_at: datetime
    typed_name: str
    method: str
    witness: str | None
    withdrawn_at: datetime | None
    withdrawal_reason: str

    @staticmethod
    def resolve_witness(obj: Any) -> str | None:
        return _name(obj.witness)

    @staticmethod
    def resolve_document_version(obj: Any) -> int:
        return int(obj.document.version)


@router.get("/consent-documents", response=list[DocumentOut], summary="Consent versions")
def list_documents(request: HttpRequest) -> Any:
    return selectors.consent_documents(staff_user(request))


@router.post(
    "/consent-documents",
    response={201: DocumentOut},
    summary="Publish a new consent version (clinic admins)",
    description=ERRORS,
)
def publish(request: HttpRequest, payload: DocumentIn) -> Any:
    return Status(
        201,
        services.publish_document(
            staff_user(request),
            title=payload.title,
            body=payload.body,
            requires_reconsent=payload.requires_reconsent,
            change_summary=payload.change_summary,
        ),
    )


@router.get(
    "/patients/{patient_id}/consent",
    response=list[SignatureOut],
    summary="The patient's consent signatures",
)
def list_signatures(request: HttpRequest, patient_id: PathId) -> Any:
    return selectors.consent_history(staff_user(request), patient_id)


@router.post(
    "/patients/{patient_id}/consent",
    response={201: SignatureOut},
    summary="Record the patient's signature on the version in force",
    description=ERRORS,
)
def add_signature(request: HttpRequest, patient_id: PathId, payload: SignatureIn) -> Any:
    actor = staff_user(request)
    patient = selectors.screening_patient(actor, patient_id)
    return Status(
        201,
        services.record_signature(
            actor, patient, typed_name=payload.typed_name, method=payload.method.value
        ),
    )


@router.post(
    "/patients/{patient_id}/consent/{signature_id}/withdraw",
    response=SignatureOut,
    summary="Record withdrawal of consent (the signature is kept)",
    description=ERRORS,
)
def withdraw(
    request: HttpRequest, patient_id: PathId, signature_id: PathId, payload: ScreeningReasonIn
) -> Any:
    actor = staff_user(request)
    signature = selectors.get_signature(actor, patient_id, signature_id)
    return services.withdraw_consent(actor, signature, reason=payload.reason)


@router.get(
    "/patients/{patient_id}/consent-gate",
    response=GateOut,
    summary="May a session start, as far as consent goes?",
)
def consent_gate(request: HttpRequest, patient_id: PathId, params: Query[AtParams]) -> Any:
    patient = selectors.screening_patient(staff_user(request), patient_id)
    ok, reasons = selectors.consent_gate(patient, params.at)
    return {"ok": ok, "reasons": reasons}


# ------------------------------------------------- a patient's rating-scale responses
# The questionnaires app's routes that need the screening patient; same URLs, tags and
# operation ids as when `questionnaires.api` served them. Both methods of the path live here:
# one URL served by two routers would answer 405 to the second router's method.


@router.get(
    "/patients/{patient_id}/responses",
    response=list[questionnaires_api.ResponseOut],
    summary="A patient's responses",
    tags=["screening", "questionnaires"],
    operation_id="ketaflow_questionnaires_api_list_responses",
    description=questionnaires_api.ERRORS,
)
def list_responses(
    request: HttpRequest, patient_id: PathId, params: Query[questionnaires_api.ListParams]
) -> Any:
    return responses_for(staff_user(request), patient_id, params.instrument)


@router.post(
    "/patients/{patient_id}/responses",
    response={201: questionnaires_api.ResponseOut},
    summary="Record a response (scored by Ketaflow)",
    tags=["screening", "questionnaires"],
    operation_id="ketaflow_questionnaires_api_add_response",
    description=questionnaires_api.ERRORS,
)
def add_response(
    request: HttpRequest, patient_id: PathId, payload: questionnaires_api.ResponseIn
) -> Any:
    actor = staff_user(request)
    patient = selectors.screening_patient(actor, patient_id)
    return Status(
        201,
        record_response(
            actor,
            patient,
            payload.instrument,
            answers=payload.answers,
            total=payload.total,
            risk=payload.risk,
            agoraphobia=payload.agoraphobia,
            context=payload.context.value,
            rater=payload.rater.value,
            administered_at=payload.administered_at,
            context_ref=payload.context_ref,
        ),
    )
