"""Audit pages for clinic admins: the clinic's log, and "who looked at this record".

Both read through `audit.selectors`, which checks VIEW_AUDIT, keeps to the admin's own
clinic and records that the log was read. Times show in the clinic's zone (the middleware
activates it), so a date range means clinic days, not UTC days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketaflow.accounts.models import User
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import AccessEvent, Action
from ketaflow.auditlog.selectors import events_for, patient_access_log
from ketaflow.lib.forms import DateInput
from ketaflow.patients.selectors import get_patient, search_patients

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    """The log's filters; every one optional. `patient_id` is set by links, `patient` by typing."""

    patient = forms.CharField(
        required=False, max_length=100, label="Patient (MRN or name)", strip=True
    )
    patient_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    staff = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Staff member", empty_label="Anyone"
    )
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *Action.choices])
    since = forms.DateField(required=False, label="From", widget=DateInput())
    until = forms.DateField(required=False, label="To (inclusive)", widget=DateInput())

    def __init__(self, *args: Any, clinic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff: forms.ModelChoiceField[User] = self.fields["staff"]  # type: ignore[assignment]
        staff.queryset = User.objects.filter(clinic_id=clinic_id).order_by(
            "last_name", "first_name", "username"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "Must be on or after the 'From' date.")
        return data


def _day_start(day: date) -> datetime:
    """Midnight at the start of `day`, naive: the selector reads it in the clinic's zone."""
    return datetime.combine(day, time.min)


def _paginate(request: HttpRequest, qs: QuerySet[AccessEvent]) -> Page[AccessEvent]:
    paginator = Paginator(qs.select_related("actor", "patient"), PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def log(request: HttpRequest) -> HttpResponse:
    """The clinic's audit log, filtered and paginated."""
    actor = staff_user(request)
    if not actor.can(Capability.VIEW_AUDIT):
        raise PermissionDenied("Only a clinic admin can read the audit log.")
    form = AuditFilterForm(request.GET or None, clinic_id=actor.clinic_pk)
    context: dict[str, Any] = {"form": form, "page": None, "candidates": [], "patient": None}
    if form.is_bound and not form.is_valid():
        return render(request, "audit/log.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    patient_id = data.get("patient_id")
    if patient_id:
        context["patient"] = get_patient(actor, patient_id, audit=False)
    elif data.get("patient"):
        matches = search_patients(actor, data["patient"], limit=20)
        if len(matches) != 1:
            context["candidates"] = matches
            context["no_match"] = not matches
            return render(request, "audit/log.html", context)
        context["patient"] = matches[0]
        patient_id = matches[0].pk
    staff = data.get("staff")
    until = data.get("until")
    events = events_for(
        actor,
        patient_id=patient_id,
        actor_id=staff.pk if staff else None,
        action=data.get("action") or None,
        since=_day_start(data["since"]) if data.get("since") else None,
        until=_day_start(until + timedelta(days=1)) if until else None,
    )
    context["page"] = _paginate(request, events)
    context["query"] = _query_without_page(request)
    return render(request, "audit/log.html", context)


@login_required
def patient_log(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Who looked at or changed one patient's record: a summary per person, then every event."""
    actor = staff_user(request)
    events = patient_access_log(actor, patient_id)  # 403 without VIEW_AUDIT, 404 elsewhere
    patient = get_patient(actor, patient_id, audit=False)
    people = (
        events.order_by()
        .values("actor_label")
        .annotate(count=Count("id"), last=Max("at"))
        .order_by("-last")
    )
    return render(
        request,
        "audit/patient.html",
        {
            "patient": patient,
            "people": list(people),
            "page": _paginate(request, events),
            "query": _query_without_page(request),
        },
    )
