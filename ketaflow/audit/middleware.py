"""Captures the client address and a request id for every audit event of a request."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ipware import get_client_ip

from ketaflow.audit import context


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, honouring X-Forwarded-For only behind the configured proxies."""
    ip, _routable = get_client_ip(
        request,
        proxy_count=settings.AXES_IPWARE_PROXY_COUNT,
        request_header_order=settings.AXES_IPWARE_META_PRECEDENCE_ORDER,
    )
    return str(ip) if ip else request.META.get("REMOTE_ADDR")


# A request id a proxy or client may send: letters, digits, dash, underscore, dot, colon; 8-64.
# Anything else (log injection, HTML, a megabyte) is replaced by one of ours, never stored.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def request_id_of(request: HttpRequest) -> str:
    """The client's request id if it is of a safe form, else a new one."""
    offered = request.headers.get("X-Request-Id", "")
    return offered if SAFE_REQUEST_ID.fullmatch(offered) else context.new_request_id()


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        ctx = context.RequestContext(
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
            request_id=request_id,
            path=request.path[:300],
            channel="api" if request.path.startswith("/api/") else "web",
        )
        token = context.activate(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-Id"] = ctx.request_id
        return response
