"""Typed access to django-htmx's request details (the middleware adds `request.htmx`)."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True for a request made by htmx (not a history restore, which needs the full page)."""
    details = getattr(request, "htmx", None)
    return bool(details) and not getattr(details, "history_restore_request", False)
