"""Response headers every page and API answer carries.

Every dynamic response may carry patient data (a chart, a questionnaire, a PDF, an API
answer), so none may be kept by a browser's cache or a proxy: `Cache-Control: no-store`.
Static files (the API docs' scripts among them) are answered by WhiteNoise before this
middleware and stay cacheable, as does a response its view marks `public` on purpose.
`Permissions-Policy` turns off the browser features Ketaflow never uses, so an injected script
could not reach a camera, microphone or location either.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


class PrivateResponseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "public" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
