"""One log line per request: method, path (never the query string), status, duration."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from ketaflow.audit import context

log = logging.getLogger("ketaflow.access")

#: The request's attribute holding its id, for lines logged after the audit middleware has
#: left (Django's "Not Found: /x", written with the request but outside every middleware).
REQUEST_ID_ATTRIBUTE = "ketaflow_request_id"

#: Probes and scrapes every few seconds would drown the log: not logged unless they fail.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class AccessLogMiddleware:
    """Placed inside `audit.middleware.RequestContextMiddleware`, so the line carries the
    request id (`logs.RequestIdFilter`). The query string is left out: a search box puts a
    patient's name there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        ctx = context.current()
        setattr(request, REQUEST_ID_ATTRIBUTE, ctx.request_id if ctx else "")
        response = self.get_response(request)
        if request.path in QUIET_PATHS and response.status_code < 400:
            return response
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path[:300],
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": _user_id(request),
            },
        )
        return response


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id if the request already looked the user up; never a lookup of
    its own (a patient's portal page or a probe has no reason to read the session)."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:  # type: ignore[attr-defined]
        return None
    pk = getattr(user, "pk", None)
    return int(pk) if pk is not None else None
