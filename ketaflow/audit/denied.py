"""Refused access to a record is audited: every 403 or 404 a signed-in person gets on a URL
or API call that names a record (a patient, a session, a course…).

Another clinic's record answers "not found", so a 404 on a record's URL is what probing looks
like; a clinic admin sees these events in the audit log ("Access denied"). The ids asked for
are kept in the event's detail, never as links to the records (which may be another clinic's,
or not exist). Rate limited per person, so a loop cannot flood the log: after
`LIMIT_PER_WINDOW` denials in `WINDOW`, the last event says further ones are not recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketaflow.audit.models import AccessEvent, Action
from ketaflow.audit.services import record_event

DENIED_STATUSES = {403, 404}
WINDOW = timedelta(minutes=10)
LIMIT_PER_WINDOW = 30


def _record_ids(request: HttpRequest) -> dict[str, str]:
    """The record ids the URL names (`pk`, `patient_id`, `session_id`…), if it names any."""
    match = request.resolver_match
    if match is None:
        return {}
    return {
        name: str(value)
        for name, value in match.kwargs.items()
        if name in {"pk", "id"} or name.endswith("_id") or name.endswith("_pk")
    }


def audit_denied(request: HttpRequest, response: HttpResponse) -> None:
    user = getattr(request, "user", None)
    if response.status_code not in DENIED_STATUSES or user is None or not user.is_authenticated:
        return
    ids = _record_ids(request)
    if not ids:
        return
    since = timezone.now() - WINDOW
    recent = AccessEvent.objects.filter(actor=user, action=Action.DENIED, at__gte=since).count()
    if recent >= LIMIT_PER_WINDOW:
        return
    detail: dict[str, object] = {
        "method": request.method,
        "path": request.path[:300],
        "status": response.status_code,
        "asked_for": ids,
    }
    if recent == LIMIT_PER_WINDOW - 1:
        detail["note"] = f"further denials in the next {WINDOW} are not recorded"
    record_event(actor=user, action=Action.DENIED, detail=detail)


class DeniedAccessMiddleware:
    """Inside `RequestContextMiddleware`, so the event carries the request's address and id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        audit_denied(request, response)
        return response
