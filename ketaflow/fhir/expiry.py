"""Export files are kept for a while, then deleted: a whole clinic's records on disk are a
risk for as long as they sit there.

A finished export older than `KETAFLOW_EXPORT_KEEP_DAYS` (default 7) loses its file and is
marked expired; the row stays (who exported what, when), the download link goes. Run by the
scheduler's "expired-exports" job; safe to run at any time, by several processes at once
(each export is claimed by a conditional UPDATE before its file is deleted).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.fhir.exports import export_dir
from ketaflow.fhir.models import ExportJob, JobStatus

log = logging.getLogger(__name__)
DEFAULT_KEEP_DAYS = 7


def keep_for() -> timedelta:
    return timedelta(days=getattr(settings, "KETAFLOW_EXPORT_KEEP_DAYS", DEFAULT_KEEP_DAYS))


def expire_exports(*, now: datetime, actor_label: str) -> int:
    """Delete the files of finished exports older than the keeping time; returns how many."""
    cutoff = now - keep_for()
    expired = 0
    for job in ExportJob.objects.filter(status=JobStatus.DONE, finished_at__lt=cutoff):
        try:
            with transaction.atomic():
                claimed = ExportJob.objects.filter(pk=job.pk, status=JobStatus.DONE).update(
                    status=JobStatus.EXPIRED, file_path="", file_size=0
                )
                if not claimed:
                    continue  # another process expired it first
                deleted = delete_export_file(job.file_path)
                record_event(
                    actor=None,
                    actor_label=actor_label,
                    action=Action.UPDATE,
                    obj=job,
                    clinic_id=job.clinic_id,
                    detail={"export": "expired", "file_deleted": deleted},
                )
        except OSError:
            log.exception("export %s: its file could not be deleted; tried again next run", job.pk)
            continue
        expired += 1
    return expired


def delete_export_file(file_path: str) -> bool:
    """Delete an export file, only ever inside the export directory; False if it was gone."""
    if not file_path:
        return False
    path = Path(file_path).resolve()
    if export_dir().resolve() not in path.parents:
        log.warning("export file %s is outside the export directory: left alone", path)
        return False
    if not path.is_file():
        return False
    path.unlink()
    return True
