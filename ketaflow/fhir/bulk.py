"""FHIR Bulk Data Access (v2), system level: kick-off, status with its manifest, files.

The export itself is the clinic export job (`services.start_export`, format FHIR NDJSON, run on
the queue with its progress); this module is what the Bulk Data IG adds around it: which types
were asked for, the completion manifest (one `output` entry per non-empty type file, with its
line count), and one type's NDJSON read from the job's zip. Only jobs started through the
kick-off are served here (the web page's exports have no Bulk Data request to answer).
Permission is the page's: EXPORT_CLINIC_DATA (clinic admins), own clinic only.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.fhir.bundle import EXPORTED_TYPES
from ketaflow.fhir.expiry import delete_export_file
from ketaflow.fhir.exports import job_file
from ketaflow.fhir.models import ExportFormat, ExportJob, JobStatus
from ketaflow.fhir.outcome import FhirProblem, Issue, forbidden
from ketaflow.fhir.resources_common import instant
from ketaflow.fhir.services import recover_stale_jobs, start_export

#: `_outputFormat` values meaning NDJSON (the IG's required format and its abbreviations).
NDJSON_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
#: A FHIR instant: date, time to the second (fractions allowed) and a zone (Z or ±hh:mm).
INSTANT = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))"
)
#: Seconds a client is asked to wait between two status polls.
RETRY_AFTER = 5


def _bad(message: str, expression: str = "", code: str = "invalid") -> FhirProblem:
    return FhirProblem(400, [Issue(code, message, expression)])


def _admin(actor: User) -> User:
    if not actor.can(Capability.EXPORT_CLINIC_DATA):
        raise forbidden("Only clinic admins may export the whole clinic.")
    return actor


def parse_types(raw: str | None) -> tuple[str, ...]:
    """`_type=Patient,Observation` → the types, in the server's order; 400 for an unknown one."""
    if not raw:
        return ()
    asked = {t.strip() for t in raw.split(",") if t.strip()}
    unknown = sorted(asked - set(EXPORTED_TYPES))
    if unknown:
        raise _bad(
            f"Ketaflow does not export {', '.join(unknown)}; it exports "
            f"{', '.join(EXPORTED_TYPES)}.",
            "_type",
            "not-supported",
        )
    return tuple(t for t in EXPORTED_TYPES if t in asked)


def parse_since(raw: str | None, now: datetime) -> datetime | None:
    """`_since` as a FHIR instant (seconds and a zone required, fractions allowed); 400 for
    anything else, and for a time still to come (nothing can have changed after it)."""
    if not raw:
        return None
    if not INSTANT.fullmatch(raw):
        raise _bad(
            f"_since must be a FHIR instant such as 2026-01-31T09:30:00Z or "
            f"2026-01-31T09:30:00.000+01:00, not {raw!r}.",
            "_since",
        )
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"_since {raw!r} is not a real date and time.", "_since") from None
    if since > now:
        raise _bad(f"_since {raw!r} is in the future.", "_since")
    return since


def kick_off(
    actor: User, params: dict[str, str], request_url: str, now: datetime | None = None
) -> ExportJob:
    """Check a kick-off's parameters and queue the clinic's NDJSON export (or raise)."""
    _admin(actor)
    since = parse_since(params.get("_since"), now or timezone.now())
    fmt = params.get("_outputFormat")
    if fmt and fmt not in NDJSON_FORMATS:
        raise _bad("Only application/fhir+ndjson is supported.", "_outputFormat", "not-supported")
    types = parse_types(params.get("_type"))
    try:
        return start_export(
            actor,
            ExportFormat.FHIR_NDJSON,
            request_url=request_url,
            resource_types=types,
            since=since,
        )
    except PermissionDenied as exc:
        raise forbidden(str(exc)) from exc
    except ValidationError as exc:  # an export of this clinic is already running
        raise FhirProblem(429, [Issue("business-rule", m) for m in exc.messages]) from exc


def job_of(actor: User, job_id: int) -> ExportJob:
    """A kick-off's job in the actor's clinic, after queueing again any whose worker died."""
    _admin(actor)
    recover_stale_jobs(actor.clinic_pk)
    job = (
        ExportJob.objects.filter(
            pk=job_id, clinic_id=actor.clinic_pk, format=ExportFormat.FHIR_NDJSON
        )
        .exclude(request_url="")
        .exclude(status=JobStatus.CANCELLED)
    )
    found = job.first()
    if found is None:
        raise FhirProblem(404, [Issue("not-found", "No such export in your clinic.")])
    return found


def cancel(actor: User, job: ExportJob, now: datetime | None = None) -> None:
    """DELETE on the status URL: a queued or running export is cancelled (its worker stops at
    its next patient and writes nothing), a finished one loses its files; audited. Later
    polls of the job are 404."""
    now = now or timezone.now()
    with transaction.atomic():
        was = job.status
        claimed = ExportJob.objects.filter(
            pk=job.pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE)
        ).update(status=JobStatus.CANCELLED, file_path="", file_size=0, finished_at=now)
        if not claimed:
            raise FhirProblem(404, [Issue("not-found", "This export has already ended.")])
        deleted = delete_export_file(job.file_path)
        record_event(
            actor=actor,
            action=Action.UPDATE,
            obj=job,
            detail={"export": "cancelled", "was": was, "file_deleted": deleted, "bulk": True},
        )


def types_of(job: ExportJob) -> tuple[str, ...]:
    return tuple(job.resource_types.split(",")) if job.resource_types else EXPORTED_TYPES


def progress(job: ExportJob) -> str:
    """The X-Progress header of a job still queued or running."""
    if job.status == JobStatus.QUEUED:
        return "queued"
    return f"{job.done} of {job.total} patients"


def manifest(job: ExportJob, file_url: Callable[[str], str]) -> dict[str, Any]:
    """The completion manifest: one output entry per asked-for type with resources in it."""
    path = job_file(job)
    if path is None:
        raise FhirProblem(404, [Issue("not-found", "This export's files are no longer there.")])
    output = []
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for kind in types_of(job):
            name = f"{kind}.ndjson"
            if name not in names:
                continue
            with archive.open(name) as handle:
                count = sum(1 for line in handle if line.strip())
            if count:
                output.append({"type": kind, "url": file_url(kind), "count": count})
    return {
        "transactionTime": instant(job.started_at or job.created_at),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": output,
        "error": [],
    }


def read_file(actor: User, job: ExportJob, kind: str) -> bytes:
    """One type's NDJSON from the job's zip, audited as an export read; 404 if none."""
    if kind not in types_of(job):
        raise FhirProblem(404, [Issue("not-found", f"This export has no {kind} file.")])
    path = job_file(job)
    if path is None:
        raise FhirProblem(404, [Issue("not-found", "This export's files are no longer there.")])
    with zipfile.ZipFile(path) as archive:
        try:
            data = archive.read(f"{kind}.ndjson")
        except KeyError:
            raise FhirProblem(
                404, [Issue("not-found", f"This export has no {kind} file.")]
            ) from None
    record_event(
        actor=actor,
        action=Action.EXPORT,
        obj=job,
        detail={"download": f"{kind}.ndjson", "format": job.format, "bulk": True},
    )
    return data
