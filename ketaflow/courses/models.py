"""Treatment courses: protocol versions, the clinic calendar and chairs, courses, appointments.

Nothing here is ever deleted (`NoDeleteQuerySet`): a protocol revision is a new row, a chair
is deactivated, a closed day is reopened with a reason, a course ends with a reason and an
appointment is cancelled with a reason. Times are stored in UTC; pages show the clinic zone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.audit.history import NoDelete
from ketaflow.clinical.protocols import Protocol, protocol_from_dict

# ---------------------------------------------------------------------------- protocols


class ProtocolVersion(NoDelete):
    """One version of a protocol as this clinic runs it (the core `Protocol`, as JSON)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    route = models.CharField(max_length=30)
    data = models.JSONField(help_text="protocol_to_dict(...) of the core protocol.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    change_reason = models.TextField()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code", "version"], name="unique_protocol_version_per_clinic"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def load(self) -> Protocol:
        return protocol_from_dict(self.data)


# ---------------------------------------------------------------------------- calendar


def _weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class ClinicSchedule(models.Model):
    """Opening days and hours, and the minutes a chair is held around each dose."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="schedule"
    )
    working_days = models.JSONField(
        default=_weekdays, help_text="Weekdays the clinic gives sessions: 0 Monday … 6 Sunday."
    )
    opens_at = models.TimeField(default=time(8, 0))
    closes_at = models.TimeField(default=time(18, 0))
    prep_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(240)],
        help_text="Arrival, checklist, vitals and line before the dose starts.",
    )
    dose_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="Giving a dose that is not an infusion (SC injection, nasal devices).",
    )
    turnover_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(240)],
        help_text="Cleaning and resetting the chair before the next patient.",
    )
    confirm_days_ahead = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="The front desk confirms the bookings of this many clinic days ahead "
        "(today included).",
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Opening hours of clinic {self.clinic_id}"


class Chair(NoDelete):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=60)
    active = models.BooleanField(default=True)
    notes = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="unique_chair_name_per_clinic")
        ]

    def __str__(self) -> str:
        return self.name


class ClosedDay(NoDelete):
    """A date the clinic is closed; reopening keeps the row with who and why."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    reopened_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["on"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "on"],
                condition=models.Q(reopened_at__isnull=True),
                name="one_open_closure_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.on}: {self.reason}"


class ExtraOpening(NoDelete):
    """A one-off opening outside the usual hours: a Saturday clinic, an evening list.

    Stored as the instants it runs between (UTC), so an evening list may run past midnight.
    Recorded with who and why; withdrawing it keeps the row with who, when and why.
    Booking, the next free slot and the schedule treat it as opening hours.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    withdrawn_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="extra_opening_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"Extra opening {self.starts_at:%Y-%m-%d %H:%M} UTC: {self.reason}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


# ---------------------------------------------------------------------------- courses


class CoursePhase(models.TextChoices):
    EVALUATION = "evaluation", "Evaluation"
    INDUCTION = "induction", "Induction"
    MAINTENANCE = "maintenance", "Maintenance"
    ENDED = "ended", "Ended"


class EndedReason(models.TextChoices):
    COMPLETED = "completed", "Completed"
    NON_RESPONSE = "non_response", "Non-response"
    ADVERSE_EVENT = "adverse_event", "Adverse event"
    PATIENT_CHOICE = "patient_choice", "Patient choice"
    RELAPSE_REFERRED = "relapse_referred", "Relapse, referred on"
    OTHER = "other", "Other"


class Course(NoDelete):
    """A patient's treatment course under one protocol version."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey(
        ProtocolVersion, on_delete=models.PROTECT, related_name="courses"
    )
    phase = models.CharField(
        max_length=20, choices=CoursePhase.choices, default=CoursePhase.EVALUATION
    )
    ended_reason = models.CharField(max_length=20, choices=EndedReason.choices, blank=True)
    ended_note = models.CharField(max_length=500, blank=True)
    started_on = models.DateField()
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.protocol_version.name}, from {self.started_on:%d %b %Y}"

    @property
    def is_ended(self) -> bool:
        return self.phase == CoursePhase.ENDED


class PhaseChange(NoDelete):
    """One step of a course's phase log (append-only)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="phase_changes")
    from_phase = models.CharField(max_length=20, choices=CoursePhase.choices, blank=True)
    to_phase = models.CharField(max_length=20, choices=CoursePhase.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_phase or 'start'} → {self.to_phase}"


class SeriesDecisionKind(models.TextChoices):
    """What a prescriber decided after a signed session, when the phase stays as it is.

    Phase moves (maintenance, end, re-induction) are `PhaseChange` rows; this log holds the
    decisions that change nothing in the course but still answer the core's proposal.
    """

    CONTINUE = "continue", "Continue the series"


class SeriesDecision(NoDelete):
    """A prescriber's decision to go on with the series as planned (append-only).

    Kept with the session it followed and a snapshot of the core's outcome states shown at
    the time, because the states are derived and will differ once more scores arrive: the
    record must show what the prescriber saw, not what the data says today.
    """

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="decisions")
    after_session = models.ForeignKey(
        "Appointment",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The session given just before the decision (its treatment session, if any, "
        "is appointment.treatment_session).",
    )
    decision = models.CharField(max_length=20, choices=SeriesDecisionKind.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    snapshot = models.JSONField(
        help_text="The core's states shown at the time (decision_snapshot.snapshot)."
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} after session {self.after_session.session_number}"


# ---------------------------------------------------------------------------- appointments


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    IN_SESSION = "in_session", "In session"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "Did not attend"


# Statuses that hold the chair and count towards the patient's series.
HOLDING = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_SESSION,
    AppointmentStatus.COMPLETED,
)


class SessionStatus(models.TextChoices):
    """Where a treatment session stands (`treatments.TreatmentSession.status`).

    Here, below the treatments app, because the course reads it through the appointment
    (`treatment_session__status`) to count the sessions given; one home for both.
    """

    CHECKED_IN = "checked_in", "Checked in"
    READY = "ready", "Ready (checklist passed)"
    IN_PROGRESS = "in_progress", "Dosing"
    OBSERVING = "observing", "Observing"
    DISCHARGED = "discharged", "Discharged"
    SIGNED = "signed", "Signed"


#: The appointments whose session counts as given (follow-up, series decisions, outcomes):
#: a signed treatment session, or a completed appointment with no session record (a clinic
#: that charts elsewhere). A session not yet signed is not given yet, whatever the booking says.
SESSION_GIVEN = models.Q(treatment_session__status=SessionStatus.SIGNED) | models.Q(
    status=AppointmentStatus.COMPLETED, treatment_session__isnull=True
)


class Appointment(NoDelete):
    """A chair held for one session: arrival to the end of observation (turnover is extra)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="appointments")
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    session_number = models.PositiveIntegerField()
    phase = models.CharField(max_length=60, help_text="The protocol phase of this session.")
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    # Who confirmed the booking with the patient (the desk's call), and when; cleared when
    # the appointment moves (the patient must hear the new time). History keeps each one.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    confirm_note = models.CharField(
        max_length=200, blank=True, help_text="How it was confirmed, e.g. phoned the patient."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["chair", "starts_at"])]

    def __str__(self) -> str:
        return f"Session {self.session_number} at {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def holds_chair(self) -> bool:
        return self.status in HOLDING


# ---------------------------------------------------------------------------- feeds


class FeedKind(models.TextChoices):
    PATIENT = "patient", "Patient"
    CHAIR = "chair", "Chair"


class CalendarFeed(NoDelete):
    """A secret iCalendar URL. Only the token's SHA-256 is stored; it is shown once."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=FeedKind.choices)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    chair = models.ForeignKey(
        Chair, on_delete=models.PROTECT, related_name="feeds", null=True, blank=True
    )
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} feed {self.prefix}…"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)
