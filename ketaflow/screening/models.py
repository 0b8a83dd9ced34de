"""Screening records: clearance work-up and resting BP, eligibility reviews with the
prescriber's sign-off, and informed consent (versioned documents and signatures).

Nothing here is ever deleted. A signed review is locked: a change of mind is a new review.
A withdrawn consent keeps its signature with the withdrawal recorded on it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.audit.history import ClinicalRecord, NoDeleteQuerySet, RecordDeletionError


class SignedReviewLocked(Exception):
    """A signed eligibility review cannot be changed: open a new review instead."""


# ---------------------------------------------------------------- clearance and resting BP


class ObservationKind(models.TextChoices):
    RESTING_BP = "resting_bp", "Resting blood pressure"
    PSYCHIATRIC_ASSESSMENT = "psychiatric_assessment", "Comprehensive psychiatric assessment"
    ECG = "ecg", "ECG"
    LIVER_FUNCTION = "liver_function", "Liver function tests"
    RENAL_FUNCTION = "renal_function", "Renal function tests"
    SLEEP_APNOEA_SCREEN = "sleep_apnoea_screen", "Sleep-apnoea screen (e.g. STOP-BANG)"
    PREGNANCY_TEST = "pregnancy_test", "Pregnancy test"
    URINE_TOXICOLOGY = "urine_toxicology", "Urine drug screen"


class ObservationResult(models.TextChoices):
    NORMAL = "normal", "Normal / no concern"
    ABNORMAL = "abnormal", "Abnormal"
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    DONE = "done", "Done (see notes)"


class ScreeningObservation(ClinicalRecord):
    """A clearance item (ECG, LFTs, STOP-BANG, drug screen, pregnancy test…) or a resting BP."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="screening_observations"
    )
    kind = models.CharField(max_length=30, choices=ObservationKind.choices)
    observed_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=ObservationResult.choices, blank=True)
    systolic = models.PositiveSmallIntegerField(null=True, blank=True, help_text="mmHg")
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True, help_text="mmHg")
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Screening score where there is one (STOP-BANG 0–8)."
    )
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["patient", "kind", "-observed_at"])]

    def __str__(self) -> str:
        if self.kind == ObservationKind.RESTING_BP:
            return f"Resting BP {self.systolic}/{self.diastolic} mmHg"
        return f"{self.get_kind_display()}: {self.get_result_display()}"

    @property
    def value_display(self) -> str:
        if self.kind == ObservationKind.RESTING_BP:
            return f"{self.systolic}/{self.diastolic} mmHg"
        shown = self.get_result_display()
        return f"{shown} (score {self.score})" if self.score is not None else shown


# ---------------------------------------------------------------- eligibility reviews


class Decision(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    ELIGIBLE_WITH_CAUTIONS = "eligible_with_cautions", "Eligible with cautions"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


ELIGIBLE_DECISIONS = (Decision.ELIGIBLE, Decision.ELIGIBLE_WITH_CAUTIONS)


class EligibilityReview(ClinicalRecord):
    """The core's assessment of the chart at a moment, and the prescriber's decision on it.

    `recorded_by`/`recorded_at` are who opened it and when. `facts` is the snapshot the core
    assessed (its `fingerprint` a hash of it); `findings` what the core said about them;
    `criteria` the protocol values used. Once `signed_at` is set the row is locked.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="eligibility_reviews"
    )
    protocol_code = models.CharField(max_length=60)
    protocol_version = models.PositiveIntegerField()
    protocol_name = models.CharField(max_length=200)
    criteria = models.JSONField(default=dict)
    facts_at = models.DateTimeField(help_text="The moment the chart was read.")
    facts = models.JSONField(default=dict)
    provenance = models.JSONField(default=dict, help_text="Where each fact came from.")
    fingerprint = models.CharField(max_length=64)
    findings = models.JSONField(default=list)
    suggested_outcome = models.CharField(max_length=30)
    decision = models.CharField(max_length=30, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Eligibility review {self.pk} ({self.protocol_code} v{self.protocol_version})"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def opened_by(self) -> Any:
        return self.recorded_by

    @property
    def opened_at(self) -> Any:
        return self.recorded_at

    def findings_of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f.get("kind") == kind]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("signed_at", flat=True)
            if stored and stored[0] is not None:
                raise SignedReviewLocked(
                    "This eligibility review is signed and locked; open a new review instead."
                )
        super().save(*args, **kwargs)


# ---------------------------------------------------------------- informed consent


class ConsentDocument(models.Model):
    """One version of a clinic's consent document. Publishing the next version retires it."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    effective_from = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    requires_reconsent = models.BooleanField(
        default=True,
        help_text="Patients who signed an earlier version must sign this one before treatment.",
    )
    change_summary = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()
    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "version"], name="unique_consent_version_per_clinic"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RecordDeletionError("Consent documents cannot be deleted; publish a new version.")


class ConsentMethod(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    REMOTE = "remote", "Remote (video call)"


class ConsentSignature(ClinicalRecord):
    """A patient's consent to one document version, witnessed by a member of staff."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consent_signatures"
    )
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    typed_name = models.CharField(max_length=200, help_text="The patient's name, typed by them.")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=10, choices=ConsentMethod.choices)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"Consent to {self.document} on {self.signed_at:%Y-%m-%d}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None
