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
from django.urls import reverse
from django.utils import timezone
from ninja import Router

from ketaflow.accounts.requests import staff_user
from ketaflow.fhir import bulk, selectors
from ketaflow.fhir.bundle import EXPORTED_TYPES
from ketaflow.fhir.importing import parse_json
from ketaflow.fhir.models import JobStatus
from ketaflow.fhir.outcome import (
    FhirProblem,
    Issue,
    fhir_response,
    forbidden,
    not_found,
    outcome,
    problem_response,
)
from ketaflow.fhir.resources_common import to_json
from ketaflow.fhir.resources_scales import questionnaire_response
from ketaflow.fhir.services import import_questionnaire_response

router = Router(tags=["fhir"])

READ_TYPES = tuple(sorted({*EXPORTED_TYPES, "Questionnaire"}))

NDJSON = "application/fhir+ndjson"
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


# ------------------------------------------------------------------ Bulk Data export (IG v2)
# Registered before the generic read, whose `/{resource_type}/{resource_id}` would otherwise
# take `/$export-status/{job_id}`.

_BULK_PARAMS = [
    {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "Must be `respond-async` (else 400).",
    },
    {
        "name": "_type",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Comma-separated resource types to export (default: all).",
    },
    {
        "name": "_outputFormat",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "application/fhir+ndjson (the default and only format).",
    },
    {
        "name": "_since",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "A FHIR instant (e.g. 2026-01-31T09:30:00Z): only the patients whose "
        "record changed after it are exported; malformed or future: 400.",
    },
]
_ACCEPTED = ("application/fhir+json", "application/json", "*/*", "application/*")


def _answers(ok: int, description: str, errors: dict[int, str], **extra: Any) -> dict[str, Any]:
    answers = {ok: {"description": description, "content": _FHIR_JSON}}
    answers |= {e: {"description": d, "content": _FHIR_JSON} for e, d in errors.items()}
    return {"responses": answers, **extra}


def _status_url(request: HttpRequest, job_id: int) -> str:
    return request.build_absolute_uri(reverse("api:fhir_export_status", args=[job_id]))


@router.get(
    "/$export",
    summary="Bulk Data kick-off: export the whole clinic as NDJSON (asynchronous)",
    url_name="fhir_export",
    openapi_extra=_answers(
        202,
        "Accepted; Content-Location names the status URL to poll (OperationOutcome).",
        {
            400: "Prefer: respond-async missing, an unknown _type, a malformed _since, "
            "another _outputFormat or Accept (OperationOutcome).",
            403: "Your role may not export the clinic (OperationOutcome).",
            429: "An export of this clinic is already running (OperationOutcome).",
        },
        parameters=_BULK_PARAMS,
    ),
)
@fhir_errors
def export_kick_off(request: HttpRequest) -> HttpResponse:
    """The FHIR Bulk Data system-level kick-off (clinic admins): the clinic's export is queued
    and runs in the background; poll the Content-Location for its progress and manifest."""
    actor = staff_user(request)
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise FhirProblem(400, [Issue("required", "Send Prefer: respond-async.", "Prefer")])
    accept = request.headers.get("Accept", "")
    if accept and not any(kind in accept for kind in _ACCEPTED):
        raise FhirProblem(400, [Issue("not-supported", "Accept application/fhir+json.")])
    params = {key: request.GET.get(key, "") for key in request.GET}
    job = bulk.kick_off(actor, params, request.build_absolute_uri())
    response = fhir_response(
        outcome([Issue("informational", f"Export {job.pk} queued.", "", "information")]), 202
    )
    response["Content-Location"] = _status_url(request, job.pk)
    return response


@router.get(
    "/$export-status/{job_id}",
    summary="Bulk Data status: progress while running, the manifest when done",
    url_name="fhir_export_status",
    openapi_extra=_answers(
        200,
        "Done: the completion manifest (transactionTime, request, output[type, url, count]).",
        {
            202: "Still queued or running: X-Progress and Retry-After (OperationOutcome).",
            403: "Your role may not export the clinic (OperationOutcome).",
            404: "No such export in your clinic, or its files expired (OperationOutcome).",
            500: "The export failed; the issue says why (OperationOutcome).",
        },
    ),
)
@fhir_errors
def export_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """Poll a kick-off's job (a cancelled one is 404); its files are deleted when it expires."""
    actor = staff_user(request)
    job = bulk.job_of(actor, job_id)
    if job.is_active:
        message = f"Export {job.pk}: {bulk.progress(job)}."
        response = fhir_response(outcome([Issue("informational", message, "", "information")]), 202)
        response["X-Progress"] = bulk.progress(job)
        response["Retry-After"] = str(bulk.RETRY_AFTER)
        return response
    if job.status == JobStatus.FAILED:
        raise FhirProblem(500, [Issue("processing", job.error or "The export failed.")])

    def file_url(kind: str) -> str:
        path = reverse("api:fhir_export_file", args=[job.pk, kind])
        return request.build_absolute_uri(path)

    return fhir_response(bulk.manifest(job, file_url))


@router.delete(
    "/$export-status/{job_id}",
    summary="Bulk Data cancel: stop a queued or running export, or delete a finished one's files",
    url_name="fhir_export_cancel",
    openapi_extra=_answers(
        202,
        "Cancelled: a running export stops at its next patient; its files are deleted and "
        "later polls are 404 (OperationOutcome).",
        {
            403: "Your role may not export the clinic (OperationOutcome).",
            404: "No such export in your clinic, or it already ended (OperationOutcome).",
        },
    ),
)
@fhir_errors
def export_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    """DELETE on the status URL (Bulk Data IG): cancel the export and delete its files."""
    actor = staff_user(request)
    job = bulk.job_of(actor, job_id)
    bulk.cancel(actor, job)
    message = f"Export {job.pk} cancelled; its files are deleted."
    return fhir_response(outcome([Issue("informational", message, "", "information")]), 202)


@router.get(
    "/$export-file/{job_id}/{resource_type}.ndjson",
    summary="Bulk Data file: one resource type's NDJSON from a finished export",
    url_name="fhir_export_file",
    openapi_extra={
        "responses": {
            200: {
                "description": "One resource per line (application/fhir+ndjson).",
                "content": {NDJSON: {"schema": {"type": "string"}}},
            },
            403: {"description": _OUTCOMES[403], "content": _FHIR_JSON},
            404: {
                "description": "No such export or type, or its files expired (OperationOutcome).",
                "content": _FHIR_JSON,
            },
        }
    },
)
@fhir_errors
def export_file(request: HttpRequest, job_id: int, resource_type: str) -> HttpResponse:
    """An output file of the manifest; each read is audited as an export."""
    actor = staff_user(request)
    job = bulk.job_of(actor, job_id)
    return HttpResponse(bulk.read_file(actor, job, resource_type), content_type=NDJSON)


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
