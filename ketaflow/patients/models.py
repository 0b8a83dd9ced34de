"""The chart. Every model keeps history and refuses deletion (see `audit.history`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.audit.history import ClinicalRecord, NoDeleteQuerySet
from ketaflow.patients.codes import (
    FAILED_TRIAL_OUTCOMES,
    DiagnosisCode,
    HistoryCondition,
    HistoryStatus,
    MedicationClass,
    PregnancyStatus,
    SexAtBirth,
    TreatmentKind,
    TreatmentOutcome,
)


class Patient(models.Model):
    """A person in one clinic's care. Identified by a per-clinic MRN."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    mrn = models.CharField("MRN", max_length=30)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=10, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    can_become_pregnant = models.BooleanField(
        default=False, help_text="Drives pregnancy checks before each session."
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    is_synthetic = models.BooleanField(default=False, help_text="Made-up demo data.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    history = HistoricalRecords()
    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="unique_mrn_per_clinic")
        ]
        indexes = [models.Index(fields=["clinic", "family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        from ketaflow.audit.history import RecordDeletionError

        raise RecordDeletionError("Patients cannot be deleted.")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class Diagnosis(ClinicalRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    code = models.CharField(max_length=10, choices=DiagnosisCode.choices)
    other_code = models.CharField(
        max_length=10, blank=True, help_text="ICD-10 code when the diagnosis is 'Other'."
    )
    description = models.CharField(max_length=200, blank=True)
    is_primary = models.BooleanField(default=False)
    onset = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "code"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return self.icd10 + (f" {self.description}" if self.description else "")

    @property
    def icd10(self) -> str:
        return self.icd10_of(self.code, self.other_code)

    @staticmethod
    def icd10_of(code: str, other_code: str) -> str:
        """The ICD-10 code of a row read as values (an "Other" diagnosis carries its own)."""
        return other_code if code == DiagnosisCode.OTHER else code


class HistoryItem(ClinicalRecord):
    """One psychiatric or medical history answer (present now, in the past, or asked: absent)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="history_items")
    condition = models.CharField(max_length=40, choices=HistoryCondition.choices)
    presence = models.CharField(max_length=10, choices=HistoryStatus.choices)
    onset = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["condition"]

    def __str__(self) -> str:
        return f"{self.get_condition_display()}: {self.get_presence_display()}"


class PregnancyRecord(ClinicalRecord):
    """Pregnancy status on a date, with a test result where one was done."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pregnancy")
    observed_on = models.DateField()
    pregnancy_status = models.CharField(max_length=20, choices=PregnancyStatus.choices)
    test_done = models.BooleanField(default=False)
    test_positive = models.BooleanField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-observed_on", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.observed_on}: {self.get_pregnancy_status_display()}"


class Medication(ClinicalRecord):
    # How pages label the values of the list field `classes` (lib.display).
    LIST_CHOICES: ClassVar[dict[str, type[models.TextChoices]]] = {"classes": MedicationClass}

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=120)
    dose = models.CharField(max_length=120, blank=True, help_text="e.g. 10 mg twice daily")
    classes = models.JSONField(
        default=list, blank=True, help_text=f"Any of: {', '.join(MedicationClass.values)}"
    )
    diazepam_equivalent_mg_per_day = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("500"))],
        help_text="Required for benzodiazepines: total daily dose as diazepam-equivalent mg.",
    )
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}".strip()

    def class_labels(self) -> list[str]:
        labels = dict(MedicationClass.choices)
        return [str(labels.get(c, c)) for c in self.classes]


class PriorTreatment(ClinicalRecord):
    """A previous anxiety treatment, for treatment resistance (adequate trial and outcome)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prior_treatments")
    kind = models.CharField(max_length=20, choices=TreatmentKind.choices)
    name = models.CharField(max_length=120, help_text="e.g. sertraline, 12 sessions of CBT")
    # Asked, never defaulted: yes, no, or not known (None) when nobody can say yet; only a
    # yes counts towards treatment resistance (the core's `failed_treatments`).
    adequate = models.BooleanField(
        null=True,
        blank=True,
        help_text="Adequate dose and duration (or full course); empty: not known.",
    )
    outcome = models.CharField(max_length=20, choices=TreatmentOutcome.choices)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_on", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_outcome_display()})"

    @property
    def counts_as_failed_adequate_trial(self) -> bool:
        return (
            self.adequate is True
            and self.status != "entered_in_error"
            and self.outcome in FAILED_TRIAL_OUTCOMES
        )


NO_KNOWN_ALLERGIES = "No known allergies"


class Allergy(ClinicalRecord):
    """A substance the patient reacts to, or the asked-and-recorded fact "no known allergies".

    "No known allergies" is an entry of its own (who asked, when; FHIR records it the same way,
    as an AllergyIntolerance), so a chart with no allergy entries reads "not recorded", never
    "none".
    """

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe / anaphylaxis"
        UNKNOWN = "unknown", "Unknown"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    no_known_allergies = models.BooleanField(
        "No known allergies",
        default=False,
        help_text="Tick after asking: the patient reports no allergies (no substance then).",
    )
    substance = models.CharField(max_length=120, blank=True)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default="unknown")
    history = HistoricalRecords()

    class Meta:
        ordering = ["substance"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return NO_KNOWN_ALLERGIES if self.no_known_allergies else self.substance


class Measurement(ClinicalRecord):
    """Weight or height on a date. Stored in kg / cm; the unit as entered is kept too."""

    class Kind(models.TextChoices):
        WEIGHT = "weight", "Weight"
        HEIGHT = "height", "Height"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.DecimalField(max_digits=6, decimal_places=2, help_text="kg or cm")
    entered_value = models.DecimalField(max_digits=6, decimal_places=2)
    entered_unit = models.CharField(max_length=5)
    measured_on = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-measured_on", "-recorded_at"]

    def __str__(self) -> str:
        unit = "kg" if self.kind == self.Kind.WEIGHT else "cm"
        return f"{self.get_kind_display()} {self.value} {unit} on {self.measured_on}"
