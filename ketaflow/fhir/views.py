"""Pages of the fhir app: the clinic admin's whole-clinic export, with a live progress bar.

Only EXPORT_CLINIC_DATA (clinic admins) may see the page, start a job, poll it or download
its file, and only for their own clinic: another clinic's job is 404. Looking at the page or
a job's status first queues again the jobs whose worker died (failing those out of
attempts), so nothing shows "running" for ever. Downloads are audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ketaflow.accounts.models import User
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.fhir.exports import job_file
from ketaflow.fhir.models import ExportFormat, ExportJob
from ketaflow.fhir.services import recover_stale_jobs, start_export


def _admin(request: HttpRequest) -> User:
    actor = staff_user(request)
    if not actor.can(Capability.EXPORT_CLINIC_DATA):
        raise PermissionDenied("Only clinic admins may export the whole clinic.")
    return actor


def _job(actor: User, job_id: int) -> ExportJob:
    try:
        return ExportJob.objects.select_related("requested_by").get(
            pk=job_id, clinic_id=actor.clinic_pk
        )
    except ExportJob.DoesNotExist:
        raise Http404("No such export in your clinic.") from None


@login_required
@require_GET
def exports(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    recover_stale_jobs(actor.clinic_pk)
    jobs = ExportJob.objects.filter(clinic_id=actor.clinic_pk).select_related("requested_by")[:20]
    return render(request, "fhir/exports.html", {"jobs": jobs, "formats": ExportFormat.choices})


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    try:
        job = start_export(actor, request.POST.get("format", ""))
    except ValidationError as exc:
        jobs = ExportJob.objects.filter(clinic_id=actor.clinic_pk)[:20]
        context = {"jobs": jobs, "formats": ExportFormat.choices, "errors": exc.messages}
        return render(request, "fhir/exports.html", context, status=422)
    messages.success(request, f"Export {job.pk} started: its progress shows below.")
    return redirect("fhir:exports")


@login_required
@require_GET
def status(request: HttpRequest, job_id: int) -> HttpResponse:
    actor = _admin(request)
    recover_stale_jobs(actor.clinic_pk)
    return render(request, "fhir/_job.html", {"job": _job(actor, job_id)})


@login_required
@require_GET
def download(request: HttpRequest, job_id: int) -> FileResponse:
    actor = _admin(request)
    job = _job(actor, job_id)
    path = job_file(job)
    if path is None:
        raise Http404("This export has no file (yet, or any more).")
    record_event(
        actor=actor,
        action=Action.EXPORT,
        obj=job,
        detail={"download": path.name, "format": job.format, "patients": job.total},
    )
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
