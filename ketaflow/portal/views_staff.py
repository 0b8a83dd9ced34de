"""Staff pages of the portal: forms due, risk alerts, links, schedule rules, crisis text.

Thin: parse, call a selector or service, render. Reads need VIEW_CLINICAL; issuing links,
answering alerts and editing rules need SEND_QUESTIONNAIRES (the services check again).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaflow.accounts.permissions import require
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.questionnaire_schedule import DEFAULT_RULES
from ketaflow.lib.forms import add_service_errors
from ketaflow.portal import selectors, services
from ketaflow.portal.forms import (
    AcknowledgeForm,
    CrisisForm,
    IssueLinkForm,
    RetireForm,
    RiskAssessmentForm,
    RuleForm,
)
from ketaflow.treatments import derive as session_rows
from ketaflow.treatments import selectors as sessions
from ketaflow.treatments.risk import alerts_awaiting_assessment
from ketaflow.treatments.services import SessionConflict

GET_POST = require_http_methods(["GET", "POST"])


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    rows = selectors.due_forms(actor)
    return render(
        request,
        "portal/staff/overview.html",
        {
            "rows": rows,
            "overdue": sum(1 for r in rows if r.overdue),
            "open_alerts": selectors.open_alert_count(actor),
        },
    )


@login_required
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    found = selectors.risk_alerts(actor)
    return render(
        request,
        "portal/staff/alerts.html",
        {"alerts": found, "open_count": sum(1 for a in found if a.is_open)},
    )


@login_required
@GET_POST
def alert(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    found = selectors.get_alert(actor, pk)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST":
        require(actor, Capability.SEND_QUESTIONNAIRES, found)
        if form.is_valid():
            try:
                services.acknowledge_alert(actor, found, form.cleaned_data["action_note"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Alert acknowledged; your note is kept with it.")
                return redirect("portal:alerts")
    return render(request, "portal/staff/alert.html", {"alert": found, "form": form})


@login_required
@GET_POST
def risk_assessment(request: HttpRequest, session_pk: int) -> HttpResponse:
    """The prescriber's suicide risk assessment for a session; back to the session when saved."""
    actor = staff_user(request)
    session = sessions.get_session(actor, session_pk, audit=request.method == "GET")
    require(actor, Capability.OVERRIDE_LIMITS, session.patient)
    now = timezone.now()
    screens = session_rows.todays_cssrs(session, now)
    form = RiskAssessmentForm(
        request.POST or None, screens=screens, initial={"version": session.version}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_risk_assessment(
                actor,
                session,
                data["version"],
                plan=data["plan"],
                decision=data["decision"],
                risk_level=data["risk_level"],
                cssrs_response_id=data["cssrs_response_id"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except SessionConflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Suicide risk assessment recorded; the alert is resolved.")
            return redirect(f"{reverse('treatments:session', args=[session.pk])}#checklist")
    return render(
        request,
        "portal/staff/risk_assessment.html",
        {
            "s": session,
            "patient": session.patient,
            "form": form,
            "waiting": alerts_awaiting_assessment(session.patient_id, now, session_id=session.pk),
        },
    )


@login_required
@GET_POST
def links(request: HttpRequest, patient_pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.SEND_QUESTIONNAIRES)
    form = IssueLinkForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        patient = selectors.link_patient(actor, patient_pk)
        try:
            issued = services.issue_link(
                actor,
                patient,
                instruments=form.cleaned_data["instruments"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                send_email=form.cleaned_data["send_email"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = IssueLinkForm()
    patient, found = selectors.patient_links(actor, patient_pk)
    live = [link for link in found if selectors.is_live(link)]
    return render(
        request,
        "portal/staff/links.html",
        {"patient": patient, "links": found, "live": live, "form": form, "issued": issued},
    )


@login_required
@require_POST
def link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    link = selectors.get_link(actor, pk)
    try:
        services.revoke_link(actor, link)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Link revoked: it no longer works.")
    return redirect("portal:links", patient_pk=link.patient_id)


@login_required
@GET_POST
def rules(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.SEND_QUESTIONNAIRES)
    form = RuleForm(request.POST or None, protocols=selectors.protocol_codes(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        course = (
            selectors.rule_course(actor, data["course_id"])
            if data["scope"] == "course" and data["course_id"]
            else None
        )
        try:
            services.add_rule(
                actor,
                scope=data["scope"],
                protocol_code=data["protocol_code"] or "",
                course=course,
                instrument=data["instrument"],
                phase=data["phase"],
                offsets_days=data["offsets_days"],
                repeat_every_days=data["repeat_every_days"],
                window_days=data["window_days"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Rule added: it applies to forms not yet due.")
            return redirect("portal:rules")
    return render(
        request,
        "portal/staff/rules.html",
        {
            "rules": selectors.schedule_rules(actor, include_retired=True),
            "defaults": DEFAULT_RULES,
            "form": form,
            "retire_form": RetireForm(),
        },
    )


@login_required
@require_POST
def rule_retire(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    rule = selectors.get_rule(actor, pk)
    form = RetireForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the rule is retired.")
        return redirect("portal:rules")
    try:
        services.retire_rule(actor, rule, form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Rule retired.")
    return redirect("portal:rules")


@login_required
@GET_POST
def crisis(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.SEND_QUESTIONNAIRES)
    clinic = actor.clinic
    assert clinic is not None
    current = services.crisis_resources(clinic)
    form = CrisisForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_crisis_resources(actor, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Crisis information saved.")
            return redirect("portal:crisis")
    return render(request, "portal/staff/crisis.html", {"form": form, "crisis": current})
