"""One completed rating scale. Scores are computed by the clinical core on write.

What is stored depends on the instrument's licence (clinical-addendum section 8): item answers
for item instruments (GAD-7, PHQ-9, PCL-5 with wording; HAM-A, LSAS, CADSS under short labels);
only the clinician-entered total (Y-BOCS, PDSS) or risk level (C-SSRS) for licensed ones.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.audit.history import ClinicalRecord


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
