"""Pages of the devices app: the holding queue (nurses, prescribers), monitor set-up (clinic
admins), and the confirm/reject actions behind the session page's device-readings panel.

Thin: parse the form, call a service or selector, redirect or render. Actions redirect back
(POST/redirect/GET) with a message, so a reload never repeats a decision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketaflow.accounts.permissions import require
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.courses.models import Chair
from ketaflow.devices import configuration, review, selectors
from ketaflow.devices.models import DeviceReading, VitalChoice
from ketaflow.treatments.services import SessionConflict


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for ms in exc.message_dict.values() for m in ms)
    return " ".join(exc.messages)


def _attempt(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    try:
        action()
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return False
    except SessionConflict as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


def _session_page(reading_id: int, request: HttpRequest) -> HttpResponse:
    row = (
        DeviceReading.objects.filter(pk=reading_id, clinic_id=staff_user(request).clinic_pk)
        .only("session_id")
        .first()
    )
    if row is None:
        return redirect("devices:queue")
    return redirect(reverse("treatments:session", args=[row.session_id]) + "#device-readings")


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    version = _int(request.POST.get("version"))
    _attempt(
        request,
        lambda: review.confirm_reading(actor, pk, version),
        "Device reading confirmed into the flowsheet.",
    )
    return _session_page(pk, request)


@login_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    reason = request.POST.get("reason", "")
    _attempt(request, lambda: review.reject_reading(actor, pk, reason), "Device reading rejected.")
    return _session_page(pk, request)


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    show_resolved = request.GET.get("resolved") == "1"
    rows = selectors.held_messages(actor, include_resolved=show_resolved)
    sessions = list(selectors.active_sessions(actor))
    return render(
        request,
        "devices/queue.html",
        {"rows": rows, "sessions": sessions, "show_resolved": show_resolved},
    )


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    session_id = _int(request.POST.get("session_id"))
    _attempt(
        request,
        lambda: review.assign_message(actor, pk, session_id),
        "Message assigned: its readings wait on the session page for a nurse to confirm.",
    )
    return redirect("devices:queue")


@login_required
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    reason = request.POST.get("reason", "")
    _attempt(request, lambda: review.dismiss_message(actor, pk, reason), "Message dismissed.")
    return redirect("devices:queue")


@login_required
@require_GET
def setup(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_DEVICES)
    return render(
        request,
        "devices/setup.html",
        {
            "bindings": selectors.bindings(actor),
            "mappings": selectors.mappings(actor),
            "chairs": Chair.objects.filter(clinic_id=actor.clinic_pk, active=True),
            "vitals": VitalChoice.choices,
            "units": configuration.UNITS,
        },
    )


@login_required
@require_POST
def bind(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    chair_id, location = _int(request.POST.get("chair")), request.POST.get("location", "")
    _attempt(request, lambda: configuration.bind_chair(actor, chair_id, location), "Chair bound.")
    return redirect("devices:setup")


@login_required
@require_POST
def unbind(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    _attempt(request, lambda: configuration.end_binding(actor, pk), "Binding ended.")
    return redirect("devices:setup")


@login_required
@require_POST
def add_mapping(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    p = request.POST
    _attempt(
        request,
        lambda: configuration.add_mapping(
            actor,
            coding_system=p.get("coding_system", ""),
            code=p.get("code", ""),
            sub_id=p.get("sub_id", ""),
            vital=p.get("vital", ""),
            unit=p.get("unit", ""),
            priority=_int(p.get("priority") or "1"),
        ),
        "Code mapping added.",
    )
    return redirect("devices:setup")


@login_required
@require_POST
def end_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    _attempt(
        request, lambda: configuration.deactivate_mapping(actor, pk), "Code mapping switched off."
    )
    return redirect("devices:setup")
