"""One summary row per treatment course, so clinic dashboards never scan sessions or scores.

`CourseOutcome` is *derived* data (ARCHITECTURE "no derivable state" is kept in spirit: it is
a cache of what the clinical core says about a course, never edited by hand, and it can be
rebuilt from the records at any time with `services.rebuild_course_outcomes`). The services that
change a response, session, appointment or course say so (`lib.derived`), and a background
task refreshes the course's row after their commit (`services.refresh_outcomes`). Rows are
never deleted: a course is never deleted either.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models


class CourseOutcome(models.Model):
    """What the core's `outcomes.assess` found for one course, plus session counts and dose."""

    course = models.OneToOneField(
        "courses.Course", on_delete=models.PROTECT, primary_key=True, related_name="outcome"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    # What the course is: for filters and the prediction's features.
    diagnosis_code = models.CharField(max_length=10, blank=True)  # primary ICD-10 code
    diagnosis_group = models.CharField(max_length=10, blank=True)  # ICD-10 category ("F41")
    route = models.CharField(max_length=20, blank=True)
    protocol_code = models.CharField(max_length=60, blank=True)
    protocol_version = models.ForeignKey(
        "courses.ProtocolVersion", on_delete=models.PROTECT, related_name="+"
    )
    started_on = models.DateField()
    phase = models.CharField(max_length=20)
    ended_reason = models.CharField(max_length=20, blank=True)
    age_at_start = models.PositiveSmallIntegerField(null=True)
    sex_at_birth = models.CharField(max_length=10, blank=True)
    prior_failed_trials = models.PositiveSmallIntegerField(default=0)
    # The outcome instrument and scores (dates are clinic-local days, the core's convention).
    instrument = models.CharField(max_length=20, blank=True)
    instrument_max = models.PositiveSmallIntegerField(null=True)
    remission_defined = models.BooleanField(default=False)
    baseline_score = models.FloatField(null=True)
    baseline_on = models.DateField(null=True)
    latest_score = models.FloatField(null=True)
    latest_on = models.DateField(null=True)
    assessments = models.PositiveIntegerField(default=0)  # scores after baseline
    improvement_pct = models.FloatField(null=True)  # latest, % better than baseline
    early_change_pct = models.FloatField(null=True)  # after sessions 1-2 (S18)
    state = models.CharField(max_length=20, blank=True)  # core OutcomeState value
    # The state rests on a threshold that needs local sign-off on this scale (e.g. S17's
    # < 20% after session 4, derived on depression scales, on an anxiety scale).
    state_needs_signoff = models.BooleanField(default=False)
    first_response_on = models.DateField(null=True)
    first_remission_on = models.DateField(null=True)
    non_response_signal_on = models.DateField(null=True)
    relapse_on = models.DateField(null=True)  # first relapse, dated at its onset
    # Kaplan-Meier inputs, precomputed so the dashboard can GROUP BY them.
    days_to_response = models.IntegerField(null=True)  # from the first session
    response_event = models.BooleanField(default=False)
    days_relapse_free = models.IntegerField(null=True)  # from the first response
    relapse_event = models.BooleanField(default=False)
    # Sessions and dose.
    first_session_on = models.DateField(null=True)
    last_session_on = models.DateField(null=True)
    sessions = models.PositiveIntegerField(default=0)  # session days given
    signed_sessions = models.PositiveIntegerField(default=0)  # with a treatment-session record
    induction_planned = models.PositiveIntegerField(null=True)
    induction_sessions = models.PositiveIntegerField(default=0)
    induction_complete = models.BooleanField(default=False)
    induction_response = models.BooleanField(null=True)
    sessions_with_dose = models.PositiveIntegerField(default=0)
    total_mg = models.FloatField(default=0.0)  # delivered, from the administration records
    mean_mg_per_session = models.FloatField(null=True)
    mean_mg_per_kg = models.FloatField(null=True)  # confirmed orders' mg/kg
    sessions_with_adverse_events = models.PositiveIntegerField(default=0)
    sessions_with_bp_excursion = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_on", "-course_id"]
        indexes = [
            models.Index(fields=["clinic", "started_on"], name="outc_clinic_started"),
            models.Index(fields=["clinic", "diagnosis_group"], name="outc_clinic_dx"),
            models.Index(fields=["clinic", "route"], name="outc_clinic_route"),
            models.Index(fields=["clinic", "protocol_code"], name="outc_clinic_protocol"),
            models.Index(fields=["patient"], name="outc_patient"),
        ]

    def __str__(self) -> str:
        return f"Outcome of course {self.course_id}: {self.state or 'no outcome yet'}"


#: Days a rendered progress report is kept (`KETAFLOW_REPORT_KEEP_DAYS` overrides).
DEFAULT_REPORT_KEEP_DAYS = 7


def report_keep_for() -> timedelta:
    return timedelta(days=getattr(settings, "KETAFLOW_REPORT_KEEP_DAYS", DEFAULT_REPORT_KEEP_DAYS))


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Rendering"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired (file deleted)"


class ReportFile(models.Model):
    """A progress report (PDF) asked for on the outcome page, rendered by a background task.

    Who asked, when, and how it went; the file is kept for `KETAFLOW_REPORT_KEEP_DAYS` (the
    scheduler's "expired-reports" job deletes it and marks the row expired; the row stays).
    Claimed like the export jobs (`attempts`, `heartbeat_at`), so a killed worker's report is
    rendered again and written once. Not a clinical record: the chart is the source of truth.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    file_path = models.CharField(max_length=500, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    render_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Progress report {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)

    @property
    def expires_at(self) -> datetime | None:
        """When the scheduler deletes the file (a ready report's)."""
        return self.finished_at + report_keep_for() if self.finished_at else None
