"""Uniform API errors: field-level 422s, 401, 403, 404 and 409 — never a 500 for bad input.

The body always has `detail`: a list of {loc, msg, type}. `loc` is where the problem is:
`["body", field]` for a field of the request body (whether pydantic or a service found it),
`["query", name]` / `["path", name]` for parameters, `[]` for the request as a whole. So a
client handles schema errors and service errors the same way.

Routes name their body parameter `payload`; ninja puts that name in `loc`
(`["body", "payload", field]`) and it is dropped here so schema and service errors match.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

from ketaflow.audit.history import RecordDeletionError
from ketaflow.clinical.errors import ClinicalInputError

BODY_PARAM = "payload"


def problem(msg: str, loc: Iterable[str | int] = (), kind: str = "invalid") -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """A Django ValidationError as field-level details (`__all__` errors have loc ["body"])."""
    if hasattr(exc, "error_dict"):
        return [
            problem(msg, ["body"] if field == "__all__" else ["body", field])
            for field, errors in exc.message_dict.items()
            for msg in errors
        ]
    return [problem(msg, ["body"]) for msg in exc.messages]


def _schema_detail(error: dict[str, Any]) -> dict[str, Any]:
    loc = list(error.get("loc", ()))
    if len(loc) >= 2 and loc[0] == "body" and loc[1] == BODY_PARAM:
        del loc[1]
    kind = str(error.get("type", "invalid"))
    msg = str(error.get("msg", "Invalid value."))
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        msg = f"Unknown field {name!r}: it is not accepted here (see /api/v1/docs)."
    elif kind == "missing":
        msg = "This field is required."
    return problem(msg, loc, kind)


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, *details: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, {"detail": list(details)}, status=status)

    @api.exception_handler(SchemaError)
    def _schema(request: HttpRequest, exc: SchemaError) -> HttpResponse:
        return respond(request, 422, *(_schema_detail(e) for e in exc.errors))

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return respond(request, 422, *validation_details(exc))

    @api.exception_handler(ClinicalInputError)
    def _clinical(request: HttpRequest, exc: ClinicalInputError) -> HttpResponse:
        loc = ["body", exc.field] if exc.field else ["body"]
        return respond(request, 422, problem(exc.message, loc))

    @api.exception_handler(DataError)
    def _unstorable(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A last line of defence: schemas should have caught this; the write was rolled back.
        msg = "A value is out of range or cannot be stored; check the numbers and text sent."
        return respond(request, 422, problem(msg, ["body"]))

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        msg = "Sign in, or send a valid token as `Authorization: Bearer <token>`."
        response = respond(request, 401, problem(msg, kind="unauthenticated"))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            return respond(request, 422, problem("The body is not valid JSON.", ["body"]))
        return respond(request, exc.status_code, problem(str(exc), kind="error"))

    @api.exception_handler(PermissionDenied)
    def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        msg = str(exc) or "You do not have permission to do this."
        return respond(request, 403, problem(msg, kind="forbidden"))

    @api.exception_handler(Http404)
    def _missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        msg = str(exc) or "Not found."
        return respond(request, 404, problem(msg, kind="not_found"))

    @api.exception_handler(RecordDeletionError)
    def _no_delete(request: HttpRequest, exc: RecordDeletionError) -> HttpResponse:
        return respond(request, 409, problem(str(exc), kind="conflict"))


#: The errors every operation may answer with, as `install_error_handlers` shapes them.
ERROR_STATUSES = {
    "401": "Not authenticated: no valid token or session.",
    "403": "Your role may not do this (or a token limited to reading tried to write).",
    "404": "Not found in your clinic.",
    "409": "Conflict: the record changed since you read it, or the action does not fit its state.",
    "422": "Invalid input: `detail[].loc` names the field.",
}
PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        }
    },
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Every operation's documented answers include the uniform errors (one `Problem` body),
    so a client (and the schema-driven tests) know them from the document, not only from prose.
    An operation's own documentation of a status is kept."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                if status in responses or int(status) in responses:  # ninja keys by int
                    continue
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": ref}},
                }
    return schema


@csrf_exempt  # it changes nothing; a POST there is told "no such address", not "CSRF"
def no_such_address(request: HttpRequest, rest: str = "") -> JsonResponse:
    """An address under /api/ that no operation answers (e.g. `/api/v1/courses/abc`, where the
    id is not a number): the API's own 404 body, not Django's HTML page."""
    body = {"detail": [problem("No API operation at this address.", ["path"], "not_found")]}
    return JsonResponse(body, status=404)
