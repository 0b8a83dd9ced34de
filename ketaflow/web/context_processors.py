"""Role-aware navigation: each role sees only the places it may go."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from ketaflow.accounts.roles import Capability

# (label, URL name, capabilities: any one of them shows the item; empty = every staff member)
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Home", "web:home", ()),
    ("Patients", "patients:list", (Capability.VIEW_PATIENT_LIST,)),
    ("Chair board", "treatments:board", (Capability.CHART_SESSION,)),
    # Signed esketamine sessions whose official SPRAVATO REMS form is still to be submitted:
    # the same capability as the record itself (`treatments.rems`).
    ("REMS forms due", "treatments:rems_due", (Capability.CHART_SESSION,)),
    ("Schedule", "courses:schedule", (Capability.BOOK_APPOINTMENTS, Capability.VIEW_CLINICAL)),
    ("Protocols", "courses:protocols", (Capability.VIEW_CLINICAL, Capability.MANAGE_PROTOCOLS)),
    (
        "Consent forms",
        "screening:documents",
        (Capability.RECORD_CONSENT, Capability.MANAGE_CONSENT_DOCUMENTS),
    ),
    ("Outcomes", "outcomes:dashboard", (Capability.VIEW_CLINICAL, Capability.VIEW_DEIDENTIFIED)),
    ("Questionnaires", "portal:overview", (Capability.VIEW_CLINICAL,)),
    ("Risk alerts", "portal:alerts", (Capability.VIEW_CLINICAL,)),
    ("Safety checks", "safety:due", (Capability.VIEW_CLINICAL,)),
    ("Monitor messages", "devices:queue", (Capability.CHART_SESSION,)),
    ("PK explorer", "pk_explorer:explorer", ()),
    ("Clinic set-up", "courses:setup", (Capability.MANAGE_CHAIRS,)),
    ("Bedside monitors", "devices:setup", (Capability.MANAGE_DEVICES,)),
    ("Clinic export", "fhir:exports", (Capability.EXPORT_CLINIC_DATA,)),
    ("Audit log", "audit:log", (Capability.VIEW_AUDIT,)),
    ("Users", "web:users", (Capability.MANAGE_USERS,)),
)


def _url(name: str) -> str | None:
    """A page's address, or None while the app that serves it has not been built yet."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Nav items, the clinic, and `user_can` (capability → bool) for showing/hiding buttons.

    `user_can` only decides what is drawn; the services and selectors enforce permissions.
    """
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": [], "user_can": {}}
    items = []
    for label, name, caps in NAV:
        url = _url(name)
        if url is None or (caps and not any(user.can(c) for c in caps)):
            continue
        home = url == "/"
        active = request.path == url if home else request.path.startswith(url)
        items.append({"label": label, "url": url, "active": active})
    clinic = getattr(user, "clinic", None)
    can = {c.value: bool(user.can(c.value)) for c in Capability}
    return {"nav_items": items, "current_clinic": clinic, "user_can": can}
