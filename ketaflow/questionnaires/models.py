"""One completed rating scale. Scores are computed by the clinical core on write.

What is stored depends on the instrument's licence (clinical-addendum section 8): item answers
for item instruments (GAD-7, PHQ-9, PCL-5 with wording; HAM-A, LSAS, CADSS under short labels);
only the clinician-entered total (Y-BOCS, PDSS) or risk level (C-SSRS) for licensed ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.audit.history import ClinicalRecord, NoDelete

if TYPE_CHECKING:
    from ketaflow.accounts.models import User


class Context(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    SCREENING = "screening", "Screening"
    PRE_SESSION = "pre_session", "Before a session"
    IN_SESSION = "in_session", "During a session"
    FOLLOW_UP = "follow_up", "Follow-up"


class RaterKind(models.TextChoices):
    SELF = "self", "Self-report"
    CLINICIAN = "clinician", "Clinician-rated"


# Contexts whose scores are the patient's baseline severity for eligibility.
BASELINE_CONTEXTS = (Context.BASELINE, Context.SCREENING)


class InstrumentResponse(ClinicalRecord):
    """A scale as completed on one occasion, with the core's score of it."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="instrument_responses"
    )
    instrument = models.CharField(max_length=20, help_text="Core instrument code, e.g. gad7.")
    licence = models.CharField(max_length=80, help_text="The instrument's licence status then.")
    answers = models.JSONField(
        default=list, blank=True, help_text="Item answers in item order (null = unanswered)."
    )
    risk_level = models.CharField(max_length=20, blank=True, help_text="C-SSRS risk level.")
    agoraphobia = models.BooleanField(null=True, blank=True, help_text="PDSS band variant.")
    total = models.IntegerField(null=True, blank=True)
    severity = models.CharField(max_length=40, blank=True)
    band_set = models.CharField(max_length=120, blank=True)
    flags = models.JSONField(default=list, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    sources = models.JSONField(default=list, blank=True)
    rater = models.CharField(max_length=10, choices=RaterKind.choices)
    administered_at = models.DateTimeField()
    context = models.CharField(max_length=20, choices=Context.choices)
    context_ref = models.CharField(
        max_length=64, blank=True, help_text="What it belongs to, e.g. 'session:42' (later)."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-administered_at", "-id"]
        indexes = [models.Index(fields=["patient", "instrument", "-administered_at"])]

    def __str__(self) -> str:
        shown = self.total if self.total is not None else self.risk_level
        return f"{self.instrument} {shown} on {self.administered_at:%Y-%m-%d}"

    @property
    def safety_flags(self) -> list[dict[str, Any]]:
        return [f for f in self.flags if f.get("kind") == "safety"]

    @property
    def has_safety_flag(self) -> bool:
        return bool(self.safety_flags)


# ---------------------------------------------------------------------------- risk alerts


class AlertSource(models.TextChoices):
    """How the answer arrived. Derived, not stored: a patient's answer always has its link."""

    PATIENT_LINK = "patient_link", "Patient link"
    STAFF_ENTRY = "staff_entry", "Staff entry"


class RiskAlert(NoDelete):
    """A safety answer (PHQ-9 item 9 above 0, C-SSRS moderate/high): someone must act on it.

    Raised by `ketaflow.questionnaires.alerts.raise_risk_alert_if_needed` for the patient's
    own answers (with the `link`) and for scales entered by staff (no link; the response's
    `recorded_by` entered it). The portal's staff pages list and acknowledge it.

    Two foreign keys point to apps above this one, by string only (no Python import): `link`
    to `portal.PortalLink` (the patient's questionnaire link) and `assessment` to
    `treatments.RiskAssessment` (the prescriber's assessment that resolved it). The table and
    its history were `portal_riskalert` / `portal_historicalriskalert` until migration
    questionnaires 0003 moved them here with their rows.
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
        "portal.PortalLink", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    emailed_to = models.JSONField(default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action_note = models.TextField(blank=True)
    assessment = models.ForeignKey(
        "treatments.RiskAssessment",
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
