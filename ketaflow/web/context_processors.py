"""Role-aware navigation: each role sees only the places it may go, in a few groups, with
counts of the work waiting (`web.worklists.nav_counts`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.ops import freshness
from ketaflow.pk_explorer.views import may_use as may_use_pk_explorer
from ketaflow.web.worklists import nav_counts

TODAY, PATIENTS, CLINIC, ADMIN = "Today", "Patients", "Clinic", "Admin"
GROUPS = (TODAY, PATIENTS, CLINIC, ADMIN)

#: Who sees an item: capabilities (any one of them shows it; empty = every staff member), or
#: for a page with its own rule, that rule itself (one home: the view's check).
Shown = tuple[str, ...] | Callable[[User], bool]

# (group, label, URL name, who sees it, count key or "")
NAV: tuple[tuple[str, str, str, Shown, str], ...] = (
    (TODAY, "Home", "web:home", (), "todo"),
    (TODAY, "Chair board", "treatments:board", (Capability.CHART_SESSION,), "critical"),
    (
        TODAY,
        "Schedule",
        "courses:schedule",
        (Capability.BOOK_APPOINTMENTS, Capability.VIEW_CLINICAL),
        "",
    ),
    (TODAY, "Risk alerts", "portal:alerts", (Capability.VIEW_CLINICAL,), "risk"),
    (TODAY, "Monitor messages", "devices:queue", (Capability.CHART_SESSION,), "held"),
    # Signed esketamine sessions whose official SPRAVATO REMS form is still to be submitted:
    # the same capability as the record itself (`treatments.rems`).
    (TODAY, "REMS forms due", "treatments:rems_due", (Capability.CHART_SESSION,), ""),
    (PATIENTS, "Patients", "patients:list", (Capability.VIEW_PATIENT_LIST,), ""),
    (PATIENTS, "Questionnaires", "portal:overview", (Capability.VIEW_CLINICAL,), ""),
    (PATIENTS, "Safety checks", "safety:due", (Capability.VIEW_CLINICAL,), ""),
    # Break-glass (§170.315(d)(6)): only for the people a clinic admin designated.
    (PATIENTS, "Emergency access", "emergency:start", lambda u: u.can_break_glass, ""),
    (
        PATIENTS,
        "Consent forms",
        "screening:documents",
        (Capability.RECORD_CONSENT, Capability.MANAGE_CONSENT_DOCUMENTS),
        "",
    ),
    (
        CLINIC,
        "Outcomes",
        "outcomes:dashboard",
        (Capability.VIEW_CLINICAL, Capability.VIEW_DEIDENTIFIED),
        "",
    ),
    (
        CLINIC,
        "Protocols",
        "courses:protocols",
        (Capability.VIEW_CLINICAL, Capability.MANAGE_PROTOCOLS),
        "",
    ),
    (CLINIC, "PK explorer", "pk_explorer:explorer", may_use_pk_explorer, ""),
    (CLINIC, "Clinic set-up", "courses:setup", (Capability.MANAGE_CHAIRS,), ""),
    (CLINIC, "Bedside monitors", "devices:setup", (Capability.MANAGE_DEVICES,), ""),
    (CLINIC, "Controlled stock", "dispensing:stock", (Capability.DISPENSE_CONTROLLED,), ""),
    (ADMIN, "Clinic export", "fhir:exports", (Capability.EXPORT_CLINIC_DATA,), ""),
    (ADMIN, "Audit log", "audit:log", (Capability.VIEW_AUDIT,), ""),
    (ADMIN, "Users", "web:users", (Capability.MANAGE_USERS,), ""),
    (
        ADMIN,
        "Emergency access",
        "emergency:reviews",
        (Capability.REVIEW_EMERGENCY_ACCESS,),
        "",
    ),
)

#: How a count reads after the item's label ("Risk alerts, 2 open"): (one, many).
COUNT_WORDS = {
    "todo": ("to do", "to do"),
    "critical": ("critical alert open", "critical alerts open"),
    "held": ("held", "held"),
    "risk": ("open", "open"),
}


def _url(name: str) -> str | None:
    """A page's address, or None while the app that serves it has not been built yet.

    Asked for every item on every page: reversed once per URL configuration and prefix."""
    return _reversed(name, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=1024)
def _reversed(name: str, urlconf: str | None, prefix: str) -> str | None:
    try:
        return reverse(name, urlconf=urlconf)
    except NoReverseMatch:
        return None


def _shown(user: User, who: Shown) -> bool:
    if callable(who):
        return who(user)
    return not who or any(user.can(c) for c in who)


def _items(request: HttpRequest, user: User) -> list[dict[str, Any]]:
    items = []
    for group, label, name, who, count in NAV:
        url = _url(name)
        if url is None or not _shown(user, who):
            continue
        home = url == "/"
        active = request.path == url if home else request.path.startswith(url)
        items.append(
            {"group": group, "label": label, "url": url, "active": active, "count_key": count}
        )
    return items


def _groups(request: HttpRequest, user: User, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items in their groups, each with its count and the words that go with it; a
    group's count is the sum of its items' (shown on a closed group's summary). The counts
    reuse what the page's worklist already asked on this request."""
    counts = nav_counts(user, request=request)
    groups = []
    for group in GROUPS:
        mine = []
        for item in items:
            if item["group"] != group:
                continue
            n = counts.get(item["count_key"], 0) if item["count_key"] else 0
            one, many = COUNT_WORDS.get(item["count_key"], ("", ""))
            words = one if n == 1 else many
            mine.append({**item, "count": n, "count_words": words})
        if mine:
            groups.append(
                {
                    "label": group,
                    "items": mine,
                    "count": sum(i["count"] for i in mine),
                    "active": any(i["active"] for i in mine),
                    "urgent": any(
                        i["count"] for i in mine if i["count_key"] in ("critical", "risk")
                    ),
                }
            )
    return groups


def _can(user: User) -> dict[str, bool]:
    return {c.value: bool(user.can(c.value)) for c in Capability}


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Nav items (flat and grouped), the clinic, and `user_can` (capability → bool).

    `user_can` only decides what is drawn; the services and selectors enforce permissions.
    The grouped items carry counts, computed only when a page draws the navigation.
    """
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": [], "nav_groups": [], "user_can": {}}
    assert isinstance(user, User)
    # The same for every page the reader opens at this address while nothing was written
    # (`ops.freshness`): asked on every page, so kept.
    items, can = freshness.memo(
        "nav-items", (user.pk, request.path), lambda: (_items(request, user), _can(user))
    )
    clinic = getattr(user, "clinic", None)
    return {
        "nav_items": items,
        "nav_groups": SimpleLazyObject(lambda: _groups(request, user, items)),
        "current_clinic": clinic,
        "user_can": can,
    }
