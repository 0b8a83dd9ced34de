"""Captures the client address and a request id for every audit event of a request."""

from __future__ import annotations

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


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-Id") or context.new_request_id()
        ctx = context.RequestContext(
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
            request_id=request_id[:64],
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
