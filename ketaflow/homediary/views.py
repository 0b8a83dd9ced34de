"""Staff pages of the home dose diary: a patient's diary (with a nurse's acknowledgement of
each entry), the clinic's home alerts and one alert.

Thin: parse, call a selector or service, render. Reads need VIEW_CLINICAL; acknowledging needs
SEND_QUESTIONNAIRES (who answers patients' alerts; the services check again).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaflow.accounts.permissions import require
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.home_diary import SELF_CHECK, SELF_CHECK_NOTE
from ketaflow.homediary import selectors, services
from ketaflow.homediary.forms import AcknowledgeAlertForm, AcknowledgeEntryForm
from ketaflow.lib.clock import clinic_today


@login_required
@require_GET
def diary(request: HttpRequest, patient_pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.VIEW_CLINICAL)
    assert actor.clinic is not None
    found = selectors.patient_diary(actor, patient_pk, clinic_today(actor.clinic))
    return render(
        request,
        "homediary/diary.html",
        {
            "diary": found,
            "patient": found.patient,
            "form": AcknowledgeEntryForm(),
            "self_check": SELF_CHECK,
            "self_check_note": SELF_CHECK_NOTE,
        },
    )


@login_required
@require_POST
def acknowledge_entry(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    entry = selectors.get_entry(actor, pk)
    require(actor, Capability.SEND_QUESTIONNAIRES, entry)
    form = AcknowledgeEntryForm(request.POST)
    if form.is_valid():
        try:
            services.acknowledge_entry(actor, entry, form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Diary entry acknowledged.")
    else:
        messages.error(request, "The note is too long.")
    return redirect("homediary:diary", patient_pk=entry.patient_id)


@login_required
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    found = selectors.home_alerts(actor)
    return render(
        request,
        "homediary/alerts.html",
        {"alerts": found, "open_count": sum(1 for a in found if a.is_open)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def alert(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    found = selectors.get_alert(actor, pk)
    form = AcknowledgeAlertForm(request.POST or None)
    if request.method == "POST":
        require(actor, Capability.SEND_QUESTIONNAIRES, found)
        if form.is_valid():
            try:
                services.acknowledge_alert(actor, found, form.cleaned_data["action_note"])
            except ValidationError as exc:
                form.add_error("action_note", exc.messages)
            else:
                messages.success(request, "Alert acknowledged; your note is kept with it.")
                return redirect("homediary:alerts")
    return render(request, "homediary/alert.html", {"alert": found, "form": form})
