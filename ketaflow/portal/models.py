"""The patient portal: secret questionnaire links, schedule rules, reminders, risk alerts.

Nothing here is deleted (`NoDelete`): a link is revoked or expires, a rule is retired (and a
new one added), an alert is acknowledged with the action taken, a reminder stays recorded.
What the schedule asks for is not stored in advance: it is computed when due from the rules
as they are then (`ketaflow.clinical.questionnaire_schedule`); only what was sent is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.courses.models import NoDelete

if TYPE_CHECKING:
    from ketaflow.accounts.models import User

USER = settings.AUTH_USER_MODEL


class LinkOrigin(models.TextChoices):
    STAFF = "staff", "Issued by staff"
    REMINDER = "reminder", "Sent by the reminder job"


class PortalLink(NoDelete):
    """A secret, expiring link for one patient. Only the token's SHA-256 is stored."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True)
    instruments = models.JSONField(
        default=list, blank=True, help_text="Forms asked for by staff, besides those due."
    )
    origin = models.CharField(max_length=10, choices=LinkOrigin.choices)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    emailed_to = models.EmailField(blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"Questionnaire link {self.prefix}… for patient {self.patient_id}"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)


def patient_label(link: PortalLink) -> str:
    """How the audit log names a patient acting through a link."""
    return f"patient {link.patient_id} via portal link {link.prefix}…"


class BadTokenAttempt(NoDelete):
    """An unknown token from an address; too many in a while locks that address out."""

    at = models.DateTimeField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ip_address", "at"])]


class RuleScope(models.TextChoices):
    CLINIC = "clinic", "Every course in the clinic"
    PROTOCOL = "protocol", "Courses under one protocol"
    COURSE = "course", "One course"


class RulePhase(models.TextChoices):
    INDUCTION = "induction", "Induction"
    MAINTENANCE = "maintenance", "Maintenance"


class ScheduleRule(NoDelete):
    """A clinic's rule for when a form is due; the most specific scope with live rules wins.

    A course's own rules replace its protocol's, which replace the clinic's, which replace the
    core's defaults. Editing a rule = retiring it and adding another (both kept).
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=10, choices=RuleScope.choices)
    protocol_code = models.CharField(max_length=60, blank=True)
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    instrument = models.CharField(max_length=20)
    phase = models.CharField(max_length=12, choices=RulePhase.choices)
    offsets_days = models.JSONField(help_text="Days after each session, e.g. [1, 7].")
    repeat_every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    window_days = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    retired_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["scope", "protocol_code", "course_id", "instrument", "phase", "pk"]

    def __str__(self) -> str:
        return f"{self.instrument} after {self.phase} sessions {self.offsets_days}"


class ReminderOutcome(models.TextChoices):
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"


class Reminder(NoDelete):
    """One reminder about one due form (course, instrument, due day): sent, or why not."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=20)
    due_on = models.DateField()
    outcome = models.CharField(max_length=10, choices=ReminderOutcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    link = models.ForeignKey(
        PortalLink, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument", "due_on", "outcome"],
                name="one_reminder_outcome_per_due_form",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} due {self.due_on}: {self.outcome}"


class AlertSource(models.TextChoices):
    """How the answer arrived. Derived, not stored: a patient's answer always has its link."""

    PATIENT_LINK = "patient_link", "Patient link"
    STAFF_ENTRY = "staff_entry", "Staff entry"


class RiskAlert(NoDelete):
    """A safety answer (PHQ-9 item 9 above 0, C-SSRS moderate/high): someone must act on it.

    Raised by `ketaflow.portal.alerts.raise_risk_alert_if_needed` for the patient's own
    answers (with the `link`) and for scales entered by staff (no link; the response's
    `recorded_by` entered it).
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    response = models.ForeignKey(
        "questionnaires.InstrumentResponse", on_delete=models.PROTECT, related_name="+"
    )
    flag_code = models.CharField(max_length=40)
    message = models.TextField()
    raised_at = models.DateTimeField(db_index=True)
    link = models.ForeignKey(
        PortalLink, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    emailed_to = models.JSONField(default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action_note = models.TextField(blank=True)
    assessment = models.ForeignKey(
        "portal.RiskAssessment",
        on_delete=models.PROTECT,
        related_name="alerts",
        null=True,
        blank=True,
        help_text="The prescriber's suicide risk assessment that resolved it.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "flag_code"], name="one_alert_per_response_flag"
            )
        ]

    def __str__(self) -> str:
        return f"Risk alert {self.flag_code} for patient {self.patient_id}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def source(self) -> AlertSource:
        return AlertSource.PATIENT_LINK if self.link_id is not None else AlertSource.STAFF_ENTRY

    @property
    def entered_by(self) -> User | None:
        """The staff member who entered the scale (None when the patient answered)."""
        return self.response.recorded_by if self.source is AlertSource.STAFF_ENTRY else None


class RiskLevelChoice(models.TextChoices):
    NONE = "none", "None (C-SSRS screen negative)"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class AssessmentDecision(models.TextChoices):
    PROCEED = "proceed", "Proceed with today's treatment"
    DEFER = "defer", "Defer today's treatment"


class RiskAssessment(NoDelete):
    """A prescriber's structured suicide risk assessment before a session (issue #11 item 1).

    Today's C-SSRS screen (`cssrs_response`, its level copied to `risk_level`) or a clinician
    risk level, the plan, and the decision for `session`. Recording it resolves the risk alerts
    that waited for it (`RiskAlert.assessment`). "Defer" keeps that session's start blocked.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "treatments.TreatmentSession", on_delete=models.PROTECT, related_name="+"
    )
    cssrs_response = models.ForeignKey(
        "questionnaires.InstrumentResponse",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    risk_level = models.CharField(max_length=10, choices=RiskLevelChoice.choices)
    plan = models.TextField()
    decision = models.CharField(max_length=10, choices=AssessmentDecision.choices)
    assessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()

    class Meta:
        ordering = ["-assessed_at", "-pk"]

    def __str__(self) -> str:
        return f"Risk assessment ({self.risk_level}, {self.decision}) for session {self.session_id}"


DEFAULT_EMERGENCY = (
    "Call your local emergency number now (for example 999 or 112 in the UK and Europe, "
    "911 in the USA and Canada)."
)
DEFAULT_CRISIS_LINE = (
    "Talk to someone now: Samaritans 116 123 (UK and Ireland, any time), or call or text 988 "
    "(USA Suicide and Crisis Lifeline)."
)
DEFAULT_CLINIC_PHONE = "the clinic's number on your appointment letter"


class CrisisResources(models.Model):
    """What a patient sees after a risk answer: the clinic's own numbers, or checked defaults.

    Until `checked_locally` is set, pages show the defaults labelled "to be checked by your
    clinic": crisis numbers differ by country and change.
    """

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="crisis_resources"
    )
    clinic_phone = models.CharField(max_length=200, blank=True)
    emergency = models.CharField(max_length=300, default=DEFAULT_EMERGENCY)
    crisis_line = models.CharField(max_length=300, default=DEFAULT_CRISIS_LINE)
    extra = models.TextField(blank=True, help_text="Anything else, e.g. local crisis team.")
    checked_locally = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Crisis resources of clinic {self.clinic_id}"
