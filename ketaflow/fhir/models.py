"""Models of the fhir app: bulk export jobs, and where imported questionnaires came from."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ExportFormat(models.TextChoices):
    FHIR_NDJSON = "fhir_ndjson", "FHIR NDJSON (one file per resource type, zipped)"
    CSV = "csv", "CSV (patients, diagnoses, medications, sessions, doses, vitals, scores)"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired (file deleted)"
    CANCELLED = "cancelled", "Cancelled (files deleted)"


class ExportJob(models.Model):
    """One whole-clinic export, run in the background; progress is patients done of total.

    `heartbeat_at` is touched after every patient: a job whose worker died (server restart,
    crash, kill -9) stops beating and is queued again (`attempts` counts the claims), and
    after `fhir.services.MAX_ATTEMPTS` marked failed, never left "running" for ever.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    format = models.CharField(max_length=20, choices=ExportFormat.choices)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file_path = models.CharField(max_length=500, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A FHIR Bulk Data kick-off (`/api/v1/fhir/$export`): the request as sent, and the resource
    # types it asked for (comma-separated, empty for all); blank for the web page's exports.
    request_url = models.CharField(max_length=1000, blank=True)
    resource_types = models.CharField(max_length=500, blank=True)
    # The kick-off's `_since`: only patients whose record changed after it are exported.
    since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.format}, {self.status})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


class ImportedResponse(models.Model):
    """Provenance of a questionnaire that arrived as a FHIR QuestionnaireResponse."""

    response = models.OneToOneField(
        "questionnaires.InstrumentResponse", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    source_identifier = models.CharField(
        max_length=300, blank=True, help_text="The sender's QuestionnaireResponse.identifier."
    )
    source_id = models.CharField(max_length=64, blank=True, help_text="The sender's id.")
    questionnaire = models.CharField(max_length=300, help_text="The canonical it answered.")
    channel = models.CharField(max_length=10, help_text="api or cli")
    payload_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "source_identifier"],
                condition=~models.Q(source_identifier=""),
                name="fhir_import_once_per_identifier",
            )
        ]

    def __str__(self) -> str:
        return f"Imported {self.questionnaire} ({self.source_identifier or self.source_id})"
