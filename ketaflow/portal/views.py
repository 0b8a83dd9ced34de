"""Patient pages, reached by a secret link without signing in: forms due, help, education.

Every page resolves the token first (`portal_page`): unknown tokens count towards a lockout
of the address, expired and revoked links get a clear page, and nothing outside the link's
own patient is ever read. Audit events carry the patient as actor and the channel "portal".
Responses are never cached, and send a Referer only to this site (the token is in the URL;
"no-referrer" would make browsers send "Origin: null" on the form posts, which CSRF refuses).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ketaflow.accounts.roles import Role
from ketaflow.audit import context
from ketaflow.audit.middleware import client_ip
from ketaflow.auditlog.selectors import (
    PATIENT_REPORT_DAYS,
    PATIENT_REPORT_ROWS,
    access_report_for_patient,
)
from ketaflow.clinical.instruments import ItemInstrument, get_item_instrument
from ketaflow.lib.clock import clinic_zone
from ketaflow.portal import services
from ketaflow.portal.education import TOPICS, topic
from ketaflow.portal.models import PortalLink
from ketaflow.portal.services import LinkState
from ketaflow.questionnaires.forms import ItemAnswersForm

PortalView = Callable[..., HttpResponse]

PROBLEM_STATUS = {
    LinkState.UNKNOWN: 404,
    LinkState.EXPIRED: 410,
    LinkState.REVOKED: 410,
    LinkState.LOCKED: 429,
}


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def portal_page(view: Callable[..., HttpResponse]) -> PortalView:
    """Resolve the link (or show why not), audit under channel "portal", mark the page private."""

    @wraps(view)
    def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        current = context.current()
        ctx = (
            dataclasses.replace(current, channel="portal")
            if current is not None
            else context.RequestContext(
                client_ip(request), "", context.new_request_id(), request.path[:300], "portal"
            )
        )
        reset = context.activate(ctx)
        try:
            found = services.open_link(token, ip=client_ip(request), now=timezone.now())
            if found.state != LinkState.OK or found.link is None:
                page = render(
                    request,
                    "portal/link_problem.html",
                    {"state": found.state},
                    status=PROBLEM_STATUS[found.state],
                )
                return _private(page)
            timezone.activate(clinic_zone(found.link.clinic))  # show the clinic's times
            return _private(view(request, found.link, token, *args, **kwargs))
        finally:
            timezone.deactivate()
            context.reset(reset)

    return wrapped


def _base(link: PortalLink, token: str, **extra: Any) -> dict[str, Any]:
    patient = link.patient
    return {
        "token": token,
        "clinic": link.clinic,
        "first_name": patient.preferred_name or patient.given_name,
        "synthetic": link.clinic.is_synthetic,
        "crisis": services.crisis_resources(link.clinic),
        **extra,
    }


@require_GET
@portal_page
def home(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    now = timezone.now()
    forms = services.forms_open(link, now)
    services.record_portal_view(link, "home", forms=[f.code for f in forms])
    return render(
        request,
        "portal/home.html",
        _base(link, token, forms=forms, expires_at=link.expires_at, topics=TOPICS),
    )


def _instrument(code: str) -> ItemInstrument:
    try:
        return get_item_instrument(code)
    except ValueError:
        raise Http404("No such form.") from None


@require_http_methods(["GET", "POST"])
@portal_page
def form(request: HttpRequest, link: PortalLink, token: str, code: str) -> HttpResponse:
    instrument = _instrument(code)
    now = timezone.now()
    if instrument.code not in {f.code for f in services.forms_open(link, now)}:
        return redirect("portal:home", token=token)
    # The instrument's item-answers form (a value that is not an answer counts as unanswered);
    # this page names the first unanswered question itself, so no item is `required` here.
    answers_form = ItemAnswersForm(
        instrument, request.POST if request.method == "POST" else None, radios=True, required=False
    )
    answers: dict[str, int | None] = {i.key: None for i in instrument.items}
    missing = None
    error = ""
    status = 200
    if request.method == "POST":
        answers_form.is_valid()  # invalid values are unanswered: first_missing() names them
        answers = answers_form.answers()
        missing = answers_form.first_missing()
        if missing is None:
            try:
                submitted = services.submit_form(
                    link,
                    instrument.code,
                    {k: v for k, v in answers.items() if v is not None},
                    now=now,
                )
            except PermissionDenied:
                return redirect("portal:home", token=token)
            except ValidationError as exc:
                error = "; ".join(exc.messages)
                status = 422
            else:
                remaining = services.forms_open(link, timezone.now())
                return render(
                    request,
                    "portal/done.html",
                    _base(
                        link,
                        token,
                        instrument=instrument,
                        risk=bool(submitted.alerts),
                        remaining=remaining,
                    ),
                )
        else:
            status = 422
    else:
        services.record_portal_view(link, "form", instrument=instrument.code)
    items = [
        {"item": i, "value": answers[i.key], "missing": missing is not None and i == missing}
        for i in instrument.items
    ]
    return render(
        request,
        "portal/form.html",
        _base(link, token, instrument=instrument, items=items, missing=missing, error=error),
        status=status,
    )


@require_GET
@portal_page
def help_now(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    services.record_portal_view(link, "help")
    return render(request, "portal/help.html", _base(link, token))


@require_GET
@portal_page
def learn(request: HttpRequest, link: PortalLink, token: str, slug: str = "") -> HttpResponse:
    if not slug:
        services.record_portal_view(link, "learn")
        return render(request, "portal/learn_index.html", _base(link, token, topics=TOPICS))
    chosen = topic(slug)
    if chosen is None:
        raise Http404("No such page.")
    services.record_portal_view(link, "learn", topic=slug)
    return render(
        request,
        f"portal/learn/{chosen.slug}.html",
        _base(link, token, topic=chosen, topics=TOPICS),
    )


# Audit events name a model by its label when they were written; these models moved apps since.
MOVED_MODELS = {
    "portal.RiskAlert": "questionnaires.RiskAlert",
    "portal.RiskAssessment": "treatments.RiskAssessment",
}


def _what(object_type: str) -> str:
    """A record type as a patient reads it ("consent signature"), or "your record"."""
    try:
        model = apps.get_model(MOVED_MODELS.get(object_type, object_type)) if object_type else None
    except (LookupError, ValueError):
        model = None
    return str(model._meta.verbose_name) if model is not None else "your record"


@require_GET
@portal_page
def access_report(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    """Who in the clinic read or changed this patient's record, and when (names and roles)."""
    events = access_report_for_patient(link.patient_id, link.clinic_id)
    services.record_portal_view(link, "access_report", rows=len(events))
    roles = dict(Role.choices)
    rows = [
        {
            "at": e.at,
            "who": e.actor.display_name if e.actor else "",
            "role": roles.get(e.actor.role, "Platform operator") if e.actor else "",
            # Emergency access (break-glass) comes from another clinic: say which, and that it
            # was emergency access (`ketaflow.emergency`).
            "clinic": e.actor.clinic.name if e.actor and e.actor.clinic else "",
            "emergency": bool(e.detail.get("emergency")),
            "did": "Emergency access" if e.detail.get("emergency") else e.get_action_display(),
            "what": _what(e.object_type),
        }
        for e in events
    ]
    context = _base(link, token, rows=rows, days=PATIENT_REPORT_DAYS, most=PATIENT_REPORT_ROWS)
    return render(request, "portal/access_report.html", context)
