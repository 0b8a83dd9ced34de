"""The home page: the role's worklist (`web.worklists`), a quick patient search where the role
allows, and what the role can do."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability, capabilities_of
from ketaflow.lib.htmx import is_htmx
from ketaflow.patients.forms import PatientSearchForm
from ketaflow.web.worklists import sections


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    granted = capabilities_of(user.role) if user.is_active and user.clinic_id else frozenset()
    abilities = [label for value, label in Capability.choices if value in granted]
    context = {
        "sections": sections(user, request=request),
        "abilities": abilities,
        "search_form": PatientSearchForm() if user.can(Capability.VIEW_PATIENT_LIST) else None,
        "deidentified_only": user.can(Capability.VIEW_DEIDENTIFIED)
        and not user.can(Capability.VIEW_PATIENT_LIST),
    }
    # The worklist's own refresh (htmx, every minute) gets the worklist alone.
    template = "web/_worklist.html" if is_htmx(request) else "web/home.html"
    return render(request, template, context)
