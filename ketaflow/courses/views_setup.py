"""Clinic set-up pages: protocol versions (prescribers) and chairs, hours, closed days (admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.courses import selectors, services
from ketaflow.courses.forms import (
    ChairForm,
    ClosedDayForm,
    ExtraOpeningForm,
    OpeningHoursForm,
    ReasonForm,
    ReviseProtocolForm,
)
from ketaflow.lib.forms import add_service_errors

GET_POST = require_http_methods(["GET", "POST"])


# ---------------------------------------------------------------------------- protocols


@login_required
def protocol_list(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    families = selectors.list_protocols(actor)
    return render(request, "courses/protocols.html", {"families": families})


@login_required
@require_POST
def protocol_adopt(request: HttpRequest) -> HttpResponse:
    created = services.adopt_builtin_protocols(staff_user(request))
    if created:
        experimental = [v.name for v in created if v.load().experimental]
        note = (
            f" Experimental, for your clinic's sign-off before use: {', '.join(experimental)}."
            if experimental
            else ""
        )
        messages.success(
            request, f"Adopted {len(created)} built-in protocol(s) as version 1.{note}"
        )
    else:
        messages.info(request, "Your clinic already has every built-in protocol.")
    return redirect("courses:protocols")


@login_required
def protocol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    version = selectors.get_protocol_version(actor, pk)
    protocol = version.load()
    context = {
        "version": version,
        "protocol": protocol,
        "rows": selectors.protocol_settings(protocol),
        "is_current": selectors.is_current(version),
        "signoff": protocol.needs_signoff(),
    }
    return render(request, "courses/protocol.html", context)


@login_required
@GET_POST
def protocol_revise(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_PROTOCOLS)
    version = selectors.get_protocol_version(actor, pk)
    protocol = version.load()
    form = ReviseProtocolForm(request.POST or None, protocol=protocol)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.revise_protocol(
                actor, version, form.changes(), form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _revise_errors(form, exc)
        else:
            messages.success(request, f"Saved version {new.version}. Earlier versions are kept.")
            return redirect("courses:protocol", pk=new.pk)
    return render(request, "courses/protocol_revise.html", {"version": version, "form": form})


def _revise_errors(form: ReviseProtocolForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        mapped = {form.service_field(k): v for k, v in exc.error_dict.items()}
        exc = ValidationError(mapped)
    add_service_errors(form, exc)


# ---------------------------------------------------------------------------- calendar


def _setup_context(actor: User, **forms: Any) -> dict[str, Any]:
    hours = selectors.opening_hours(actor)
    initial = {f: getattr(hours, f) for f in services.clinic_setup.SCHEDULE_FIELDS}
    feeds = {f.chair_id: f for f in selectors.live_feeds(actor)}
    return {
        "chair_rows": [(c, feeds.get(c.pk)) for c in selectors.list_chairs(actor)],
        "hours": hours,
        "closed_days": selectors.list_closed_days(actor),
        "chair_form": forms.get("chair_form") or ChairForm(auto_id="id_chair_%s"),
        "hours_form": forms.get("hours_form") or OpeningHoursForm(initial=initial),
        "closed_form": forms.get("closed_form") or ClosedDayForm(auto_id="id_closed_%s"),
        "extra_openings": selectors.list_extra_openings(actor),
        "extra_form": forms.get("extra_form") or ExtraOpeningForm(auto_id="id_extra_%s"),
        "new_feed_url": forms.get("new_feed_url", ""),
    }


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CHAIRS)
    return render(request, "courses/setup.html", _setup_context(actor))


@login_required
@require_POST
def chair_add(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CHAIRS)
    form = ChairForm(request.POST, auto_id="id_chair_%s")
    if form.is_valid():
        try:
            chair = services.add_chair(actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Added {chair.name}.")
            return redirect("courses:setup")
    return render(request, "courses/setup.html", _setup_context(actor, chair_form=form))


@login_required
@GET_POST
def chair_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CHAIRS)
    chair = selectors.get_chair(actor, pk)
    initial = {"name": chair.name, "notes": chair.notes, "active": chair.active}
    form = ChairForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_chair(actor, chair, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Chair saved.")
            return redirect("courses:setup")
    return render(request, "courses/chair_edit.html", {"chair": chair, "form": form})


@login_required
@require_POST
def hours(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CHAIRS)
    form = OpeningHoursForm(request.POST)
    if form.is_valid():
        try:
            services.set_opening_hours(actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Opening hours saved.")
            return redirect("courses:setup")
    return render(request, "courses/setup.html", _setup_context(actor, hours_form=form))


@login_required
@require_POST
def closed_add(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CHAIRS)
    form = ClosedDayForm(request.POST, auto_id="id_closed_%s")
    if form.is_valid():
        try:
            day = services.close_day(actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{day.on:%a %d %b %Y} is marked closed.")
            return redirect("courses:setup")
    return render(request, "courses/setup.html", _setup_context(actor, closed_form=form))


@login_required
@GET_POST
def closed_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CHAIRS)
    day = selectors.get_closed_day(actor, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reopen_day(actor, day, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{day.on:%a %d %b %Y} is open again.")
            return redirect("courses:setup")
    return render(
        request,
        "courses/reason.html",
        {"form": form, "title": f"Reopen {day.on:%a %d %b %Y}", "back": "courses:setup"},
    )


@login_required
@require_POST
def extra_add(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CHAIRS)
    form = ExtraOpeningForm(request.POST, auto_id="id_extra_%s")
    if form.is_valid():
        try:
            opening = services.add_extra_opening(actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Extra opening added: {opening.reason}.")
            return redirect("courses:setup")
    return render(request, "courses/setup.html", _setup_context(actor, extra_form=form))


@login_required
@GET_POST
def extra_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CHAIRS)
    opening = selectors.get_extra_opening(actor, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_extra_opening(actor, opening, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Extra opening withdrawn.")
            return redirect("courses:setup")
    return render(
        request,
        "courses/reason.html",
        {
            "form": form,
            "title": f"Withdraw the extra opening ({opening.reason})",
            "back": "courses:setup",
        },
    )


@login_required
@require_POST
def chair_feed(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue (or regenerate) the chair's secret calendar URL; shown once on the page."""
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CHAIRS)
    chair = selectors.get_chair(actor, pk)
    _feed, raw = services.issue_chair_feed(actor, chair)
    url = request.build_absolute_uri(reverse("courses:feed", kwargs={"token": raw}))
    messages.success(request, f"New calendar URL for {chair.name} (shown once).")
    return render(request, "courses/setup.html", _setup_context(actor, new_feed_url=url))
