"""The patient portal: secret questionnaire links, schedule rules, reminders, crisis text.

Nothing here is deleted (`NoDelete`): a link is revoked or expires, a rule is retired (and a
new one added), a reminder stays recorded. Risk alerts are raised by the questionnaires app
(`questionnaires.RiskAlert`) and assessed in treatments (`treatments.RiskAssessment`); the
portal's staff pages and API show and acknowledge them.
What the schedule asks for is not stored in advance: it is computed when due from the rules
as they are then (`ketaflow.clinical.questionnaire_schedule`); only what was sent is stored.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.courses.models import NoDelete

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

    @property
    def audit_label(self) -> str:
        """How the audit log names the patient acting through it (`patient_label`)."""
        return patient_label(self)


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

    @property
    def clinic_phone(self) -> str:
        """The clinic's own number (one home: `Clinic.phone`)."""
        return self.clinic.phone
