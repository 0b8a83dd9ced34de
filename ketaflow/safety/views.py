"""Safety pages: the clinic's due/overdue list, a patient's safety panel, record forms.

Thin: parse with a form, call a selector or a service, render. Reading needs VIEW_CLINICAL,
recording and amending EDIT_CLINICAL (nurses, prescribers); another clinic's patient or
record is a 404 (the selectors scope every read).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketaflow.accounts.permissions import require
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.long_term_safety import Analyte
from ketaflow.lib.display import history_versions
from ketaflow.lib.forms import add_service_errors
from ketaflow.safety import selectors, services
from ketaflow.safety.charts import Point, lab_chart
from ketaflow.safety.forms import LabPanelForm, LutsForm, ReasonForm, ReviewForm, amend_form_class

GET_POST = require_http_methods(["GET", "POST"])


@login_required
def due_list(request: HttpRequest) -> HttpResponse:
    """Every running course's overdue and upcoming checks, most urgent first."""
    actor = staff_user(request)
    rows = selectors.clinic_due_list(actor, include_scheduled=request.GET.get("all") == "1")
    return render(
        request, "safety/due_list.html", {"rows": rows, "show_all": request.GET.get("all") == "1"}
    )


def _charts(panel: selectors.SafetyPanel) -> list[dict[str, Any]]:
    charts = []
    marked = {
        Analyte.ALT: panel.rules.alt_ast_marked_x_uln.value,
        Analyte.AST: panel.rules.alt_ast_marked_x_uln.value,
        Analyte.ALP: panel.rules.alp_marked_x_uln.value,
        Analyte.GGT: panel.rules.ggt_marked_x_uln.value,
        Analyte.BILIRUBIN: panel.rules.bilirubin_marked_x_uln.value,
    }
    for analyte in Analyte:
        points = [
            Point(r.row.collected_on, r.row.value, r.row.ref_high, r.row.unit)
            for r in panel.labs_of(analyte.value)
            if r.row.status != "entered_in_error" and r.flag is not None
        ]
        if points:
            charts.append(
                {"label": analyte.label, "svg": lab_chart(analyte.label, points, marked[analyte])}
            )
    return charts


@login_required
def patient_panel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    panel = selectors.patient_panel(actor, pk)
    return render(
        request,
        "safety/panel.html",
        {
            "panel": panel,
            "patient": panel.patient,
            "charts": _charts(panel),
            "can_edit": actor.can(Capability.EDIT_CLINICAL),
            "tab": "safety",
        },
    )


def _form_page(
    request: HttpRequest, pk: int, form: Any, title: str, save: Any, done: str
) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.EDIT_CLINICAL)
    patient = selectors.safety_patient(actor, pk)
    if request.method == "POST" and form.is_valid():
        try:
            save(actor, patient)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("safety:patient", pk=patient.pk)
    return render(
        request, "safety/record_form.html", {"form": form, "patient": patient, "title": title}
    )


@login_required
@GET_POST
def add_labs(request: HttpRequest, pk: int) -> HttpResponse:
    form = LabPanelForm(request.POST or None)
    return _form_page(
        request,
        pk,
        form,
        "Record liver function tests",
        lambda actor, patient: services.record_lab_panel(
            actor,
            patient,
            collected_on=form.cleaned_data["collected_on"],
            laboratory=form.cleaned_data["laboratory"],
            values=form.values(),
        ),
        "Liver function tests recorded.",
    )


@login_required
@GET_POST
def add_luts(request: HttpRequest, pk: int) -> HttpResponse:
    form = LutsForm(request.POST or None)
    return _form_page(
        request,
        pk,
        form,
        "Urinary symptom (LUTS) screen",
        lambda actor, patient: services.record_luts_screen(
            actor,
            patient,
            screened_on=form.cleaned_data["screened_on"],
            answers=form.answers(),
            notes=form.cleaned_data["notes"],
        ),
        "LUTS screen recorded.",
    )


@login_required
@GET_POST
def add_review(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReviewForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    return _form_page(
        request,
        pk,
        form,
        "Cognition or substance-use review",
        lambda actor, patient: services.record_review(
            actor,
            patient,
            kind=form.cleaned_data["kind"],
            reviewed_on=form.cleaned_data["reviewed_on"],
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
        ),
        "Review recorded.",
    )


@login_required
@GET_POST
def amend_record(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Correct a record with a reason; the old values stay in the history shown below."""
    actor = staff_user(request)
    require(actor, Capability.EDIT_CLINICAL)
    record = selectors.get_record(actor, kind, pk)
    form: Any = amend_form_class(type(record))(
        request.POST or None,
        instance=None,
        initial={f: getattr(record, f) for f in services.AMENDABLE[type(record)]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.amend(actor, record, form.changes(), form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Amended. The previous values are kept in the history.")
            return redirect("safety:patient", pk=record.patient_id)
    versions = history_versions(
        record.history.order_by("-history_date"), services.AMENDABLE[type(record)]
    )
    return render(
        request,
        "safety/amend.html",
        {"form": form, "record": record, "patient": record.patient, "versions": versions},
    )


@login_required
@GET_POST
def record_error(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.EDIT_CLINICAL)
    record = selectors.get_record(actor, kind, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_entered_in_error(actor, record, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Marked entered in error; it stays on the record.")
            return redirect("safety:patient", pk=record.patient_id)
    return render(
        request,
        "safety/record_form.html",
        {"form": form, "patient": record.patient, "title": f"Entered in error: {record}"},
    )
