"""Uniform API errors: field-level 422s, 403, 404 and 409 — never a 500 for bad input.

The body always has `detail`: a list of {loc, msg} like django-ninja's own validation errors,
so a client handles schema errors and service errors the same way.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI

from ketaflow.audit.history import RecordDeletionError
from ketaflow.clinical.errors import ClinicalInputError


def validation_details(exc: ValidationError) -> list[dict[str, object]]:
    if hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", field], "msg": msg}
            for field, errors in exc.message_dict.items()
            for msg in errors
        ]
    return [{"loc": ["body"], "msg": msg} for msg in exc.messages]


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": validation_details(exc)}, status=422)

    @api.exception_handler(ClinicalInputError)
    def _clinical(request: HttpRequest, exc: ClinicalInputError) -> HttpResponse:
        loc = ["body", exc.field] if exc.field else ["body"]
        return api.create_response(
            request, {"detail": [{"loc": loc, "msg": exc.message}]}, status=422
        )

    @api.exception_handler(PermissionDenied)
    def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        msg = str(exc) or "You do not have permission to do this."
        return api.create_response(request, {"detail": [{"loc": [], "msg": msg}]}, status=403)

    @api.exception_handler(Http404)
    def _missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        msg = str(exc) or "Not found."
        return api.create_response(request, {"detail": [{"loc": [], "msg": msg}]}, status=404)

    @api.exception_handler(RecordDeletionError)
    def _no_delete(request: HttpRequest, exc: RecordDeletionError) -> HttpResponse:
        return api.create_response(request, {"detail": [{"loc": [], "msg": str(exc)}]}, status=409)
