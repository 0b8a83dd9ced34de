"""The FHIR R4B API at /api/v1/fhir: $everything, resource reads, QuestionnaireResponse import.

Bodies are FHIR JSON (`application/fhir+json`), errors OperationOutcomes: 403 your role may
not (reads need view_clinical, imports edit_clinical), 404 not in your clinic, 400 not a
parsable QuestionnaireResponse, 422 one that cannot be accepted (each issue's `expression`
names the element), 409 already imported. Authentication is the API's usual (bearer token or
session + CSRF); without it the answer is the API's usual 401.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from ketaflow.accounts.requests import staff_user
from ketaflow.fhir import selectors
from ketaflow.fhir.bundle import EXPORTED_TYPES
from ketaflow.fhir.importing import parse_json
from ketaflow.fhir.outcome import (
    FhirProblem,
    fhir_response,
    forbidden,
    not_found,
    problem_response,
)
from ketaflow.fhir.resources_common import to_json
from ketaflow.fhir.resources_scales import questionnaire_response
from ketaflow.fhir.services import import_questionnaire_response

router = Router(tags=["fhir"])

READ_TYPES = tuple(sorted({*EXPORTED_TYPES, "Questionnaire"}))

_FHIR_JSON = {"application/fhir+json": {"schema": {"type": "object"}}}
_OUTCOMES = {
    400: "Not a parsable resource (OperationOutcome).",
    403: "Your role may not do this (OperationOutcome).",
    404: "Not found in your clinic (OperationOutcome).",
    409: "Already imported (OperationOutcome).",
    422: "Cannot be accepted; each issue's expression names the element (OperationOutcome).",
}


def _documented(ok: int, description: str, *errors: int) -> dict[str, Any]:
    """The operation's answers as they are sent: FHIR JSON, errors as OperationOutcomes (the
    API's other errors, 401 among them, are added to every operation by `api.errors`)."""
    answers = {ok: {"description": description, "content": _FHIR_JSON}}
    answers |= {e: {"description": _OUTCOMES[e], "content": _FHIR_JSON} for e in errors}
    return {"responses": answers}


def fhir_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn the app's exceptions into OperationOutcome responses."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except FhirProblem as problem:
            return problem_response(problem)
        except PermissionDenied as exc:
            return problem_response(forbidden(str(exc) or "Your role may not do this."))
        except Http404 as exc:
            return problem_response(not_found(str(exc) or "Not found."))

    return wrapper


@router.get(
    "/Patient/{patient_id}/$everything",
    summary="A patient's whole record (searchset Bundle)",
    url_name="fhir_everything",
    openapi_extra=_documented(200, "A searchset Bundle.", 403, 404),
)
@fhir_errors
def everything(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Patient, Conditions, medications, allergies, consents, questionnaires and scores,
    vitals, sessions (Encounter, Procedure) and every ketamine administration."""
    actor = staff_user(request)
    return fhir_response(selectors.everything(actor, patient_id, timezone.now()))


@router.post(
    "/QuestionnaireResponse",
    response={201: None},
    summary="Import a GAD-7 or PHQ-9 QuestionnaireResponse",
    url_name="fhir_import_qr",
    openapi_extra={
        "requestBody": {"content": _FHIR_JSON, "required": True},
        **_documented(201, "The stored QuestionnaireResponse.", 400, 403, 404, 409, 422),
    },
)
@fhir_errors
def import_response(request: HttpRequest) -> HttpResponse:
    """Scored by the clinical core and stored as a follow-up response with its provenance;
    201 with the stored QuestionnaireResponse and its Location."""
    actor = staff_user(request)
    data = parse_json(request.body)
    stored = import_questionnaire_response(actor, data, channel="api")
    body = to_json(questionnaire_response(stored))
    response = fhir_response(body, 201)
    response["Location"] = f"/api/v1/fhir/QuestionnaireResponse/{body['id']}"
    return response


@router.get(
    "/{resource_type}/{resource_id}",
    summary=f"Read one resource ({', '.join(READ_TYPES)})",
    url_name="fhir_read",
    openapi_extra=_documented(200, "The resource.", 403, 404),
)
@fhir_errors
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    """Ids are those of $everything (e.g. Patient/pat-12, Observation/vs-40-bp)."""
    actor = staff_user(request)
    if resource_type not in READ_TYPES:
        raise FhirProblem(404, [not_found(f"Ketaflow does not serve {resource_type}.").issues[0]])
    return fhir_response(selectors.read(actor, resource_type, resource_id, timezone.now()))
