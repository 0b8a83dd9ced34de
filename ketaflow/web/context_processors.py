"""Role-aware navigation: each role sees only the places it may go."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from ketaflow.accounts.roles import Capability

NAV: tuple[tuple[str, str, str], ...] = (
    ("Home", "web:home", ""),
    ("Patients", "patients:list", Capability.VIEW_PATIENT_LIST),
    ("Audit log", "audit:log", Capability.VIEW_AUDIT),
    ("Users", "web:users", Capability.MANAGE_USERS),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"label": label, "url": reverse(name), "active": request.path == reverse(name)}
        for label, name, cap in NAV
        if not cap or user.can(cap)
    ]
    clinic = getattr(user, "clinic", None)
    return {"nav_items": items, "current_clinic": clinic}
