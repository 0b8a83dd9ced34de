"""The synthetic app's one row: a synthetic load (generate + bulk-write) run as a job.

Made-up histories are written in parts of `chunk` patients, each part one transaction that
also moves `done` on: a worker killed mid-way loses at most the part it was writing, and the
retry (claimed like the export jobs: `attempts`, `heartbeat_at`) goes on from `done`, so every
patient is written once. Not a clinical record (the rows it writes are flagged synthetic).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SynthStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"


class SynthJob(models.Model):
    """One synthetic load into a synthetic clinic; progress is patients written of `patients`."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_label = models.CharField(max_length=200, help_text="Who or what asked for it.")
    # What to generate (the generator's `SynthConfig`; the same values give the same rows).
    patients = models.PositiveIntegerField()
    seed = models.IntegerField()
    today = models.DateField()
    sessions_per_patient = models.PositiveIntegerField(default=10)
    responses_per_patient = models.PositiveIntegerField(default=30)
    months_back = models.PositiveIntegerField(default=18)
    first_index = models.PositiveIntegerField(default=1)
    mrn_prefix = models.CharField(max_length=20, default="SYN")
    latest_start_days_ago = models.PositiveIntegerField(default=21)
    # How to write it: who "recorded" the rows (blank: the writer's own synthetic staff).
    nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rebuild_outcomes = models.BooleanField(default=True)
    skip_fk_checks = models.BooleanField(default=False)
    chunk = models.PositiveIntegerField(default=2000, help_text="Patients per transaction.")
    # Progress and outcome.
    status = models.CharField(
        max_length=10, choices=SynthStatus.choices, default=SynthStatus.QUEUED
    )
    done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    generate_seconds = models.FloatField(default=0.0)
    write_seconds = models.FloatField(default=0.0)
    outcomes = models.CharField(max_length=300, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Synthetic load {self.pk} ({self.done}/{self.patients}, {self.status})"

    @property
    def percent(self) -> int:
        if self.status == SynthStatus.DONE:
            return 100
        return int(100 * self.done / self.patients) if self.patients else 0

    @property
    def is_active(self) -> bool:
        return self.status in (SynthStatus.QUEUED, SynthStatus.RUNNING)
