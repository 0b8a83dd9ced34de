"""FHIR writes: importing QuestionnaireResponses, and the whole-clinic export jobs.

Import: permission → complete check of the resource (`importing.plan_import`, nothing stored
yet) → one transaction: the questionnaires service scores it with the core and stores it
(context follow-up, self-report), then its provenance row → audit. Any error leaves nothing.

Export jobs run in a background thread (or inline when `KETAFLOW_FHIR_EXPORT_INLINE` is set,
as tests and single-process set-ups do). The job row is the only shared state: the worker
claims it (queued → running), beats after each patient, and ends it done or failed. A worker
that died leaves a job whose heartbeat stops; `fail_stale_jobs` (run whenever the export
page or a job's status is looked at) turns it into a failed job instead of a stuck one.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit import context
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.fhir import derive, exports
from ketaflow.fhir.bundle import patient_resources
from ketaflow.fhir.importing import QR, ImportPlan, plan_import
from ketaflow.fhir.models import ExportFormat, ExportJob, ImportedResponse, JobStatus
from ketaflow.fhir.outcome import FhirProblem, Issue
from ketaflow.patients.models import Patient
from ketaflow.questionnaires.models import Context, InstrumentResponse, RaterKind
from ketaflow.questionnaires.services import record_response

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)


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


def fail_stale_jobs(clinic_id: int | None = None, now: datetime | None = None) -> int:
    """Jobs whose worker stopped beating (or never started) become failed; returns how many."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    jobs = ExportJob.objects.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
    if clinic_id is not None:
        jobs = jobs.filter(clinic_id=clinic_id)
    stale = jobs.filter(heartbeat_at__lt=cutoff) | jobs.filter(
        heartbeat_at__isnull=True, created_at__lt=cutoff
    )
    return stale.update(
        status=JobStatus.FAILED,
        error="The export stopped without finishing (the server restarted or the worker "
        "crashed). Start a new export.",
        finished_at=now,
    )


def start_export(actor: User, fmt: str) -> ExportJob:
    """Queue a whole-clinic export (clinic admins only) and start it in the background."""
    require(actor, Capability.EXPORT_CLINIC_DATA)
    if fmt not in ExportFormat.values:
        raise ValidationError({"format": [f"Choose one of: {', '.join(ExportFormat.values)}."]})
    fail_stale_jobs(actor.clinic_pk)
    with transaction.atomic():
        busy = ExportJob.objects.filter(
            clinic_id=actor.clinic_pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
        ).exists()
        if busy:
            raise ValidationError(
                {"format": ["An export of this clinic is already running; wait for it."]}
            )
        job = ExportJob.objects.create(clinic_id=actor.clinic_pk, requested_by=actor, format=fmt)
        record_event(actor=actor, action=Action.CREATE, obj=job, detail={"format": fmt})
        inline = getattr(settings, "KETAFLOW_FHIR_EXPORT_INLINE", False)
        if not inline:
            transaction.on_commit(lambda: launch(job.pk))
    if inline:
        return run_export_job(job.pk)
    return job


def launch(job_id: int) -> None:
    """Run the job in a daemon thread, once the row that describes it is committed."""
    thread = threading.Thread(
        target=_run_in_thread, args=(job_id,), name=f"fhir-export-{job_id}", daemon=True
    )
    thread.start()


def _run_in_thread(job_id: int) -> None:
    close_old_connections()
    try:
        run_export_job(job_id)
    finally:
        close_old_connections()
        from django.db import connection

        connection.close()


def _target(job: ExportJob) -> Path:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return exports.export_dir() / f"{job.clinic.slug}-{job.format}-{job.pk}-{stamp}.zip"


def run_export_job(job_id: int) -> ExportJob:
    """Claim a queued job and write the clinic; any exception ends it failed, with why."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    job = ExportJob.objects.select_related("clinic", "requested_by").get(pk=job_id)
    if not claimed:
        return job
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
        patients = list(Patient.objects.filter(clinic_id=job.clinic_id).select_related("clinic"))
        ExportJob.objects.filter(pk=job.pk).update(total=len(patients))
        done = 0

        def load(patient: Patient) -> tuple[derive.PatientRecord, list[Any]]:
            loaded = derive.load(patient)
            return loaded, patient_resources(loaded, now)

        def progress(patient: Patient) -> None:
            nonlocal done
            done += 1
            record_event(
                actor=job.requested_by,
                action=Action.EXPORT,
                obj=patient,
                detail={"format": job.format, "export_job": job.pk, "scope": "clinic"},
            )
            ExportJob.objects.filter(pk=job.pk).update(done=done, heartbeat_at=timezone.now())

        target = _target(job)
        size = exports.write_clinic(job.format, patients, load, target, now, progress)
        ExportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE,
            file_path=str(target),
            file_size=size,
            finished_at=timezone.now(),
        )
    except Exception as exc:
        log.exception("export job %s failed", job_id)
        ExportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:500],
            finished_at=timezone.now(),
        )
    finally:
        context.reset(token)
    job.refresh_from_db()
    return job
