"""FHIR writes: importing QuestionnaireResponses, and the whole-clinic export jobs.

Import: permission → complete check of the resource (`importing.plan_import`, nothing stored
yet) → one transaction: the questionnaires service scores it with the core and stores it
(context follow-up, self-report), then its provenance row → audit. Any error leaves nothing.

Export jobs are background tasks (`run_clinic_export`, queued when the job row commits, run by
`ketaflow worker`). The job row is the only shared state: an attempt claims it (queued →
running, counting the attempt), beats after each patient, and ends it done or failed. A
worker killed mid-way leaves a job whose heartbeat stops; `recover_stale_jobs` (run by the
worker at start-up, by the scheduler, and whenever the export page is looked at) queues it
again, and the retry writes the whole file once more and renames it into place, so one
complete file results. After `MAX_ATTEMPTS` attempts the job ends failed, never "running"
for ever.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit import context
from ketaflow.audit.models import AccessEvent, Action
from ketaflow.audit.services import record_event
from ketaflow.fhir import derive, exports
from ketaflow.fhir.bundle import patient_resources
from ketaflow.fhir.importing import QR, ImportPlan, plan_import
from ketaflow.fhir.models import ExportFormat, ExportJob, ImportedResponse, JobStatus
from ketaflow.fhir.outcome import FhirProblem, Issue
from ketaflow.lib.background import enqueue_on_commit
from ketaflow.patients.models import Patient
from ketaflow.questionnaires.models import Context, InstrumentResponse, RaterKind
from ketaflow.questionnaires.services import record_response

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3


# ---------------------------------------------------------------------------------- import


def _service_issues(exc: ValidationError, plan: ImportPlan) -> list[Issue]:
    """The questionnaires service's field errors, located in the resource that was sent."""
    where = {"administered_at": f"{QR}.authored", "answers": f"{QR}.item"}
    issues = []
    for name, messages in exc.message_dict.items():
        path = plan.item_paths.get(name) or where.get(name, QR)
        issues += [Issue("invalid", str(m), path) for m in messages]
    return issues


def import_questionnaire_response(
    actor: User, data: dict[str, Any], *, channel: str, now: datetime | None = None
) -> InstrumentResponse:
    """Store one GAD-7/PHQ-9 QuestionnaireResponse from another app, or raise FhirProblem."""
    try:
        require(actor, Capability.EDIT_CLINICAL)
    except PermissionDenied as exc:
        raise FhirProblem(403, [Issue("forbidden", str(exc))]) from exc
    now = now or timezone.now()
    plan = plan_import(actor, data, now)
    if (
        plan.source_identifier
        and ImportedResponse.objects.filter(
            clinic_id=actor.clinic_pk, source_identifier=plan.source_identifier
        ).exists()
    ):
        raise FhirProblem(
            409,
            [
                Issue(
                    "duplicate",
                    f"A response with identifier {plan.source_identifier!r} was already imported.",
                    f"{QR}.identifier",
                )
            ],
        )
    try:
        with transaction.atomic():
            response = record_response(
                actor,
                plan.patient,
                plan.instrument_code,
                answers=plan.answers,
                context=Context.FOLLOW_UP,
                administered_at=plan.administered_at,
                rater=RaterKind.SELF,
                context_ref=f"fhir-import:{plan.source_id or plan.payload_sha256[:16]}"[:64],
            )
            provenance = ImportedResponse.objects.create(
                response=response,
                clinic_id=actor.clinic_pk,
                source_identifier=plan.source_identifier,
                source_id=plan.source_id,
                questionnaire=plan.questionnaire,
                channel=channel,
                payload_sha256=plan.payload_sha256,
                received_by=actor,
            )
            record_event(
                actor=actor,
                action=Action.CREATE,
                obj=provenance,
                patient_id=plan.patient.pk,
                detail={
                    "import": "fhir QuestionnaireResponse",
                    "instrument": plan.instrument_code,
                    "response_id": response.pk,
                    "source_identifier": plan.source_identifier,
                    "source_id": plan.source_id,
                },
            )
    except PermissionDenied as exc:
        raise FhirProblem(403, [Issue("forbidden", str(exc))]) from exc
    except ValidationError as exc:
        raise FhirProblem(422, _service_issues(exc, plan)) from exc
    except IntegrityError as exc:  # two imports of one identifier at once
        raise FhirProblem(409, [Issue("duplicate", "This response was already imported.")]) from exc
    return response


# ---------------------------------------------------------------------------------- export


def recover_stale_jobs(clinic_id: int | None = None, now: datetime | None = None) -> int:
    """Jobs whose worker stopped beating (killed, restarted) or that never started are queued
    again, up to `MAX_ATTEMPTS` attempts; past that they end failed. Returns how many."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    jobs = ExportJob.objects.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
    if clinic_id is not None:
        jobs = jobs.filter(clinic_id=clinic_id)
    stale = jobs.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff) | jobs.filter(
        status=JobStatus.QUEUED, created_at__lt=cutoff
    )
    stale_ids = list(stale.values_list("pk", flat=True))
    spent = ExportJob.objects.filter(pk__in=stale_ids, attempts__gte=MAX_ATTEMPTS)
    spent.update(
        status=JobStatus.FAILED,
        error=f"The export stopped without finishing {MAX_ATTEMPTS} times (the server "
        "restarted or the worker crashed). Start a new export.",
        finished_at=now,
    )
    retry = list(
        ExportJob.objects.filter(pk__in=stale_ids, attempts__lt=MAX_ATTEMPTS).values_list(
            "pk", flat=True
        )
    )
    for job_id in retry:
        enqueue_on_commit(run_clinic_export, job_id)
    return len(stale_ids)


def start_export(
    actor: User,
    fmt: str,
    *,
    request_url: str = "",
    resource_types: tuple[str, ...] = (),
    since: datetime | None = None,
) -> ExportJob:
    """Queue a whole-clinic export (clinic admins only); a worker runs it once committed.

    `request_url`, `resource_types` and `since` record a FHIR Bulk Data kick-off
    (`fhir.bulk`)."""
    require(actor, Capability.EXPORT_CLINIC_DATA)
    if fmt not in ExportFormat.values:
        raise ValidationError({"format": [f"Choose one of: {', '.join(ExportFormat.values)}."]})
    recover_stale_jobs(actor.clinic_pk)
    with transaction.atomic():
        busy = ExportJob.objects.filter(
            clinic_id=actor.clinic_pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
        ).exists()
        if busy:
            raise ValidationError(
                {"format": ["An export of this clinic is already running; wait for it."]}
            )
        job = ExportJob.objects.create(
            clinic_id=actor.clinic_pk,
            requested_by=actor,
            format=fmt,
            request_url=request_url[:1000],
            resource_types=",".join(resource_types),
            since=since,
        )
        detail: dict[str, Any] = {"format": fmt}
        if request_url:
            detail |= {"bulk_request": request_url[:1000], "types": list(resource_types)}
        if since is not None:
            detail["since"] = since.isoformat()
        record_event(actor=actor, action=Action.CREATE, obj=job, detail=detail)
        enqueue_on_commit(run_clinic_export, job.pk)
    return job


@task
def run_clinic_export(job_id: int) -> str:
    """The background job of a whole-clinic export (queued by `start_export`); its status."""
    return str(run_export_job(job_id).status)


def _target(job: ExportJob) -> Path:
    """One name per job, so a retried attempt replaces (atomically) what an earlier one wrote."""
    return exports.export_dir() / f"{job.clinic.slug}-{job.format}-{job.pk}.zip"


def changed_since(clinic_id: int, since: datetime) -> Any:
    """The clinic's patients whose record changed after `since`: every write to a chart is
    audited naming its patient (create, update, amend), so the audit log says which."""
    changed = AccessEvent.objects.filter(
        clinic_id=clinic_id,
        at__gt=since,
        action__in=(Action.CREATE, Action.UPDATE, Action.AMEND),
        patient_id__isnull=False,
    ).values("patient_id")
    return Patient.objects.filter(clinic_id=clinic_id, pk__in=changed)


class _LostLease(Exception):
    """Another attempt took the job over (this one was presumed dead): stop, write nothing."""


def _claim(job_id: int, now: datetime) -> int | None:
    """Claim the job with one conditional UPDATE; the attempt number, or None if not ours.

    A queued job is claimed; so is a running one whose heartbeat stopped (its worker died).
    Each claim counts an attempt, and every later write is conditional on that number: an
    attempt that was presumed dead and wakes up finds its writes refused and stops.
    """
    claimable = ExportJob.objects.filter(pk=job_id, attempts__lt=MAX_ATTEMPTS).filter(
        Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    )
    seen = claimable.values_list("attempts", flat=True).first()
    if seen is None:
        return None
    attempt = seen + 1
    won = claimable.filter(attempts=seen).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=attempt, done=0
    )
    if not won:  # another worker claimed it between the read and the update
        return None
    return attempt


def run_export_job(job_id: int) -> ExportJob:
    """Claim the job and write the clinic; any exception ends it failed, with why.

    Idempotent: a job already done (or running under a live worker) is left alone, and a
    retried job writes the whole file again and renames it into place.
    """
    now = timezone.now()
    attempt = _claim(job_id, now)
    job = ExportJob.objects.select_related("clinic", "requested_by").get(pk=job_id)
    if attempt is None:
        return job
    mine = ExportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt)
    token = context.activate(
        context.RequestContext(
            ip_address=None,
            user_agent="ketaflow export worker",
            request_id=context.new_request_id(),
            path=f"/fhir/exports/{job.pk}/",
            channel="web",
        )
    )
    try:
        chosen = (
            changed_since(job.clinic_id, job.since)
            if job.since is not None
            else Patient.objects.filter(clinic_id=job.clinic_id)
        )
        patients = list(chosen.select_related("clinic").order_by("pk"))
        mine.update(total=len(patients))
        done = 0

        def load(patient: Patient) -> tuple[derive.PatientRecord, list[Any]]:
            loaded = derive.load(patient)
            return loaded, patient_resources(loaded, now)

        def progress(patient: Patient) -> None:
            nonlocal done
            done += 1
            if not mine.update(done=done, heartbeat_at=timezone.now()):
                raise _LostLease
            record_event(
                actor=job.requested_by,
                action=Action.EXPORT,
                obj=patient,
                detail={
                    "format": job.format,
                    "export_job": job.pk,
                    "scope": "clinic",
                    "attempt": attempt,
                },
            )

        target = _target(job)
        size = exports.write_clinic(job.format, patients, load, target, now, progress)
        finished = mine.update(
            status=JobStatus.DONE,
            file_path=str(target),
            file_size=size,
            finished_at=timezone.now(),
        )
        if not finished:
            raise _LostLease
    except _LostLease:
        if ExportJob.objects.filter(pk=job_id, status=JobStatus.CANCELLED).exists():
            # Cancelled (DELETE on its Bulk Data status URL) while this attempt worked: it
            # stopped at its checkpoint; a file it had already moved into place goes too.
            _target(job).unlink(missing_ok=True)
            log.info("export job %s was cancelled; attempt %s stopped", job_id, attempt)
            return ExportJob.objects.get(pk=job_id)
        log.warning("export job %s attempt %s was taken over by a later attempt", job_id, attempt)
    except Exception as exc:
        log.exception("export job %s failed", job_id)
        mine.update(
            status=JobStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:500],
            finished_at=timezone.now(),
        )
    finally:
        context.reset(token)
    job.refresh_from_db()
    return job
