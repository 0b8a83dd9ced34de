"""Progress reports rendered in the background: asked for on the page, a task renders the PDF
into a kept file (`ReportFile`), the page polls it and offers the download.

Why a task: the report draws a Matplotlib chart per trajectory and takes 1.5–1.8 s for a
patient with a course (measured on the 2-core machine under load; docs/outcomes.md), too long
to hold a web worker. The REMS record (one session, one page, ~0.18 s) stays inline.

The row is the only shared state, as for the FHIR export jobs: an attempt claims it with a
conditional UPDATE (counting the attempt), renders, writes the file under a name of its own and
renames it into place, then ends the row done, conditional on its attempt. A worker killed
mid-way leaves the row running with an old heartbeat; `recover_stale_reports` (the worker at
start-up, the scheduler, and the page when it polls) queues it again and the retry writes the
whole file once more, so one complete file results. Files are kept `KETAFLOW_REPORT_KEEP_DAYS`
(default 7), then `expire_reports` (the scheduler's "expired-reports") deletes them.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit import context
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.lib.background import enqueue_on_commit
from ketaflow.outcomes.models import ReportFile, ReportStatus, report_keep_for
from ketaflow.outcomes.report import patient_report
from ketaflow.patients.selectors import get_patient

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 3


def report_dir() -> Path:
    """`KETAFLOW_REPORT_DIR`, else `reports/` inside the export directory (one place to keep
    private files, which the worker and the web processes share)."""
    configured = getattr(settings, "KETAFLOW_REPORT_DIR", None)
    if configured:
        path = Path(configured)
    else:
        exports = getattr(settings, "KETAFLOW_EXPORT_DIR", None)
        base = Path(exports) if exports else Path(settings.BASE_DIR) / "var" / "exports"
        path = base / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def report_file(report: ReportFile) -> Path | None:
    """A ready report's file, only ever inside the report directory; None if gone."""
    if report.status != ReportStatus.DONE or not report.file_path:
        return None
    path = Path(report.file_path).resolve()
    if report_dir().resolve() not in path.parents or not path.is_file():
        return None
    return path


# ------------------------------------------------------------------------------- asking


def request_report(actor: User, patient_id: int) -> ReportFile:
    """Queue a progress report of the patient (VIEW_CLINICAL; another clinic's is a 404).

    Asking again while the actor's report of this patient is still queued or rendering
    returns that one rather than queueing a second."""
    require(actor, Capability.VIEW_CLINICAL)
    patient = get_patient(actor, patient_id, audit=False)
    recover_stale_reports(patient.clinic_id)
    with transaction.atomic():
        pending = ReportFile.objects.filter(
            patient=patient,
            requested_by=actor,
            status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING),
        ).first()
        if pending is not None:
            return pending
        report = ReportFile.objects.create(
            clinic_id=patient.clinic_id, patient=patient, requested_by=actor
        )
        record_event(
            actor=actor, action=Action.CREATE, obj=report, detail={"report": "outcomes_pdf"}
        )
        enqueue_on_commit(render_report, report.pk)
    return report


def reports_of(actor: User, patient_id: int) -> list[ReportFile]:
    """The patient's recent reports (anyone's in the clinic), newest first; VIEW_CLINICAL."""
    require(actor, Capability.VIEW_CLINICAL)
    patient = get_patient(actor, patient_id, audit=False)
    recover_stale_reports(patient.clinic_id)
    return list(ReportFile.objects.filter(patient=patient).select_related("requested_by")[:5])


def report_of(actor: User, report_id: int) -> ReportFile:
    """One report in the actor's clinic (VIEW_CLINICAL); raises ReportFile.DoesNotExist."""
    require(actor, Capability.VIEW_CLINICAL)
    recover_stale_reports(actor.clinic_pk)
    return ReportFile.objects.select_related("requested_by", "patient").get(
        pk=report_id, clinic_id=actor.clinic_pk
    )


def downloaded(actor: User, report: ReportFile, path: Path) -> None:
    """Audit a download: the PDF names the patient, so it is an export of their record."""
    record_event(
        actor=actor,
        action=Action.EXPORT,
        obj=report.patient,
        detail={"part": "outcomes_pdf", "download": path.name, "report": report.pk},
    )


# ------------------------------------------------------------------------------ the job


@task
def render_report(report_id: int) -> str:
    """The background job of a progress report (queued by `request_report`); its status."""
    return str(run_report(report_id).status)


def recover_stale_reports(clinic_id: int | None = None, now: datetime | None = None) -> int:
    """Reports whose worker stopped (or that never started) are queued again, up to
    `MAX_ATTEMPTS` attempts; past that they end failed. Returns how many."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    reports = ReportFile.objects.filter(
        Q(status=ReportStatus.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=ReportStatus.QUEUED, created_at__lt=cutoff)
    )
    if clinic_id is not None:
        reports = reports.filter(clinic_id=clinic_id)
    stale = list(reports.values_list("pk", flat=True))
    ReportFile.objects.filter(pk__in=stale, attempts__gte=MAX_ATTEMPTS).update(
        status=ReportStatus.FAILED,
        error=f"The report stopped without finishing {MAX_ATTEMPTS} times. Ask for a new one.",
        finished_at=now,
    )
    for report_id in ReportFile.objects.filter(pk__in=stale, attempts__lt=MAX_ATTEMPTS).values_list(
        "pk", flat=True
    ):
        enqueue_on_commit(render_report, report_id)
    return len(stale)


def _claim(report_id: int, now: datetime) -> int | None:
    claimable = ReportFile.objects.filter(pk=report_id, attempts__lt=MAX_ATTEMPTS).filter(
        Q(status=ReportStatus.QUEUED)
        | Q(status=ReportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    )
    seen = claimable.values_list("attempts", flat=True).first()
    if seen is None:
        return None
    won = claimable.filter(attempts=seen).update(
        status=ReportStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=seen + 1
    )
    return seen + 1 if won else None


def run_report(report_id: int) -> ReportFile:
    """Claim the report, render it as the person who asked, write it into place, end it done.

    Idempotent: a report already ready (or rendering under a live worker) is left alone."""
    attempt = _claim(report_id, timezone.now())
    report = ReportFile.objects.select_related("requested_by", "patient").get(pk=report_id)
    if attempt is None:
        return report
    mine = ReportFile.objects.filter(pk=report_id, status=ReportStatus.RUNNING, attempts=attempt)
    token = context.activate(
        context.RequestContext(
            ip_address=None,
            user_agent="ketaflow report worker",
            request_id=context.new_request_id(),
            path=f"/outcomes/reports/{report_id}/",
            channel="web",
        )
    )
    target = report_dir() / f"outcome-report-{report.patient_id}-{report.pk}.pdf"
    try:
        started = time.perf_counter()
        pdf = patient_report(report.requested_by, report.patient_id)
        elapsed = int((time.perf_counter() - started) * 1000)
        fd, name = tempfile.mkstemp(prefix=f"{target.stem}-", suffix=".partial", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pdf)
            Path(name).replace(target)
        finally:
            Path(name).unlink(missing_ok=True)
        finished = mine.update(
            status=ReportStatus.DONE,
            file_path=str(target),
            file_size=len(pdf),
            render_ms=elapsed,
            finished_at=timezone.now(),
        )
        if not finished:
            log.warning("report %s attempt %s was taken over by another", report_id, attempt)
    except Exception as exc:
        log.exception("report %s failed", report_id)
        mine.update(
            status=ReportStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:500],
            finished_at=timezone.now(),
        )
    finally:
        context.reset(token)
    report.refresh_from_db()
    return report


# ------------------------------------------------------------------------------- expiry


def expire_reports(*, now: datetime, actor_label: str) -> int:
    """Delete the files of ready reports older than the keeping time; returns how many.

    Safe to run by several processes at once: each report is claimed by a conditional
    UPDATE before its file is deleted; the row stays (who asked for what, when)."""
    expired = 0
    cutoff = now - report_keep_for()
    for report in ReportFile.objects.filter(status=ReportStatus.DONE, finished_at__lt=cutoff):
        try:
            with transaction.atomic():
                claimed = ReportFile.objects.filter(pk=report.pk, status=ReportStatus.DONE).update(
                    status=ReportStatus.EXPIRED, file_path="", file_size=0
                )
                if not claimed:
                    continue
                deleted = _delete(report.file_path)
                record_event(
                    actor=None,
                    actor_label=actor_label,
                    action=Action.UPDATE,
                    obj=report,
                    clinic_id=report.clinic_id,
                    detail={"report": "expired", "file_deleted": deleted},
                )
        except OSError:
            log.exception(
                "report %s: its file could not be deleted; tried again next run", report.pk
            )
            continue
        expired += 1
    return expired


def _delete(file_path: str) -> bool:
    if not file_path:
        return False
    path = Path(file_path).resolve()
    if report_dir().resolve() not in path.parents or not path.is_file():
        return False
    path.unlink()
    return True
