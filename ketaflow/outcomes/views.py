"""Outcome pages: a patient's outcomes, the clinic dashboard, the PDF report, the research CSV.

Thin: parse, call a selector (which checks permissions and audits), draw charts, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketaflow.accounts.models import User
from ketaflow.accounts.requests import staff_user
from ketaflow.outcomes import charts, export, report_files, selectors
from ketaflow.outcomes.forms import DashboardFilterForm
from ketaflow.outcomes.models import ReportFile


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
    reports = report_files.reports_of(staff_user(request), patient_pk)
    return render(
        request,
        "outcomes/patient.html",
        {
            "found": found,
            "patient": found.patient,
            "charts": chart_svgs,
            "tab": "outcomes",
            "reports": reports,
        },
    )


@login_required
@require_POST
def patient_report(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """Ask for the progress report: a background task renders it (it takes seconds); the
    outcome page shows it rendering, then its download link."""
    report = report_files.request_report(staff_user(request), patient_pk)
    messages.success(request, "The progress report is being prepared: its link shows below.")
    return redirect(f"{reverse('outcomes:patient', args=[patient_pk])}#report-{report.pk}")


def _report(request: HttpRequest, report_id: int) -> tuple[User, ReportFile]:
    actor = staff_user(request)
    try:
        return actor, report_files.report_of(actor, report_id)
    except ReportFile.DoesNotExist:
        raise Http404("No such report in your clinic.") from None


@login_required
@require_GET
def report_status(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report's row, polled by the page while it renders."""
    _, found = _report(request, report_id)
    return render(request, "outcomes/_report.html", {"report": found})


@login_required
@require_GET
def report_download(request: HttpRequest, report_id: int) -> FileResponse:
    actor, found = _report(request, report_id)
    path = report_files.report_file(found)
    if path is None:
        raise Http404("This report has no file (yet, or any more).")
    report_files.downloaded(actor, found, path)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
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
