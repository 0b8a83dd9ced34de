"""One row per scheduled run: the job, its clinic (daily jobs) and the period it is for.

The unique constraints are the lock: two scheduler processes ticking at once both try to
insert the run, the database lets one through, and only that one enqueues the task. Rows are
small and kept as the record of what ran when (the task result id leads to its outcome).
"""

from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    job = models.CharField(max_length=60)
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period_start = models.DateTimeField()
    enqueued_at = models.DateTimeField()
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-period_start", "job", "clinic_id"]
        constraints = [
            # NULLs are distinct in a unique index, so the installation-wide runs (no clinic)
            # have their own constraint.
            models.UniqueConstraint(
                fields=["job", "clinic", "period_start"],
                condition=models.Q(clinic__isnull=False),
                name="scheduler_run_once_per_clinic_period",
            ),
            models.UniqueConstraint(
                fields=["job", "period_start"],
                condition=models.Q(clinic__isnull=True),
                name="scheduler_run_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        where = f" clinic {self.clinic_id}" if self.clinic_id else ""
        return f"{self.job}{where} @ {self.period_start:%Y-%m-%d %H:%M}Z"
