"""Outcome pages: a patient's outcomes, the clinic dashboard, the PDF report, the research CSV.

Thin: parse, call a selector (which checks permissions and audits), draw charts, render.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketaflow.accounts.requests import staff_user
from ketaflow.outcomes import charts, export, report, selectors
from ketaflow.outcomes.forms import DashboardFilterForm


@login_required
@require_GET
def patient(request: HttpRequest, patient_pk: int) -> HttpResponse:
    found = selectors.patient_outcome(staff_user(request), patient_pk)
    current = found.current
    chart_svgs = []
    if current is not None:
        chart_svgs = [
            (t, charts.svg(charts.trajectory_figure(t)))
            for t in current.trajectories
            if t.followup.scores
        ]
    return render(
        request,
        "outcomes/patient.html",
        {"found": found, "patient": found.patient, "charts": chart_svgs, "tab": "outcomes"},
    )


@login_required
@require_GET
def patient_report(request: HttpRequest, patient_pk: int) -> HttpResponse:
    actor = staff_user(request)
    pdf = report.patient_report(actor, patient_pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="outcome-report-{patient_pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    deidentified = selectors.dashboard_mode(actor)  # 403 for roles without either view
    options = selectors.dashboard_options(actor.clinic_pk)
    form = DashboardFilterForm(request.GET or None, options=options)
    data = selectors.dashboard(actor, form.filters(), options=options)
    context = {
        "data": data,
        "form": form,
        "deidentified": deidentified,
        "ttr_svg": charts.svg(
            charts.km_figure(
                data.time_to_response,
                incidence=True,
                xlabel="days from first session",
                label="Responded (cumulative, Kaplan-Meier)",
            )
        ),
        "rf_svg": charts.svg(
            charts.km_figure(data.relapse_free, xlabel="days from first response")
        ),
        "mg_svg": charts.svg(charts.histogram_figure(data.mg_per_session)),
        "mgkg_svg": charts.svg(charts.histogram_figure(data.mg_per_kg)),
    }
    return render(request, "outcomes/dashboard.html", context)


@login_required
@require_GET
def research_export(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    body = export.research_csv(actor)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ketaflow-outcomes-deidentified.csv"'
    response["Cache-Control"] = "no-store"
    return response
