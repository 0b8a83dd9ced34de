"""Long-term safety records: liver test results, LUTS screens, cognition and substance-use reviews.

Chart records (`ClinicalRecord`): never deleted, corrected by amendment with a reason (kept in
the history) or marked entered in error. Flags (out of range, positive screen) are not stored:
the clinical core derives them from the values each time (ARCHITECTURE.md "no derivable
state"), so a corrected value corrects its flag too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.audit.history import ClinicalRecord
from ketaflow.clinical.long_term_safety import Analyte


class AnalyteChoice(models.TextChoices):
    ALT = Analyte.ALT.value, "ALT"
    AST = Analyte.AST.value, "AST"
    ALP = Analyte.ALP.value, "ALP"
    GGT = Analyte.GGT.value, "GGT"
    BILIRUBIN = Analyte.BILIRUBIN.value, "Bilirubin (total)"


class LabResult(ClinicalRecord):
    """One analyte's value from one sample, with the laboratory's units and reference range."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_labs"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    analyte = models.CharField(max_length=20, choices=AnalyteChoice.choices)
    value = models.FloatField()
    unit = models.CharField(max_length=12)
    ref_low = models.FloatField(null=True, blank=True)
    ref_high = models.FloatField()
    collected_on = models.DateField()
    laboratory = models.CharField(max_length=120, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-collected_on", "analyte", "-pk"]
        indexes = [models.Index(fields=["patient", "analyte", "-collected_on"])]

    def __str__(self) -> str:
        return f"{self.get_analyte_display()} {self.value:g} {self.unit} on {self.collected_on}"


class LutsScreen(ClinicalRecord):
    """A short structured lower urinary tract symptom screen (yes/no per symptom)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_luts"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    screened_on = models.DateField()
    frequency = models.BooleanField()
    urgency = models.BooleanField()
    dysuria = models.BooleanField()
    haematuria = models.BooleanField()
    suprapubic_pain = models.BooleanField()
    incontinence = models.BooleanField()
    notes = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-screened_on", "-pk"]
        indexes = [models.Index(fields=["patient", "-screened_on"])]

    def __str__(self) -> str:
        return f"LUTS screen on {self.screened_on}"


class ReviewKind(models.TextChoices):
    COGNITION = "cognition", "Cognition review"
    SUBSTANCE_USE = "substance_use", "Substance-use review"


class ReviewOutcome(models.TextChoices):
    NO_CONCERN = "no_concern", "No concern"
    CONCERN_MONITOR = "concern_monitor", "Concern: monitor more closely"
    CONCERN_REFER = "concern_refer", "Concern: refer / change the plan"


CONCERNS = (ReviewOutcome.CONCERN_MONITOR, ReviewOutcome.CONCERN_REFER)


class SafetyReview(ClinicalRecord):
    """A clinician's periodic cognition or substance-use review, with who did it and the outcome."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_reviews"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=ReviewKind.choices)
    reviewed_on = models.DateField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-reviewed_on", "-pk"]
        indexes = [models.Index(fields=["patient", "kind", "-reviewed_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.reviewed_on}: {self.get_outcome_display()}"

    @property
    def is_concern(self) -> bool:
        return self.outcome in CONCERNS
