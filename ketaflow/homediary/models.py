"""The patient's home dose diary and the alerts it raises (issue #16, "from home").

A `DiaryEntry` is what the patient recorded about one dose taken at home, through their portal
link (no staff member recorded it: `recorded_by` stays empty). Nothing derived is stored: which
answers were worrying is the core's decision (`clinical/home_diary.py`) on every read; what
was raised at the time is the `HomeAlert`, with the message it carried. A nurse acknowledges an
entry (who, when, note); an entry is never deleted (`ClinicalRecord`: entered in error, with a
reason).

A `HomeAlert` is raised in the entry's own transaction by a worrying answer, or by the
patient's "Something is wrong" button (no entry). It is this app's own row, not a
`questionnaires.RiskAlert` (that one belongs to a scale's response); it is emailed the same way
(`questionnaires.alerts.alert_recipients`, the outbox).

String foreign keys point to apps above this one (`portal.PortalLink`, the link the patient
used): a relation between rows, not an import (docs/architecture.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.audit.history import ClinicalRecord, NoDelete

USER = settings.AUTH_USER_MODEL


class DiaryEntry(ClinicalRecord):
    """One home dose as the patient recorded it."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    link = models.ForeignKey(
        "portal.PortalLink", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    supply = models.ForeignKey(
        "dispensing.Supply",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The take-home supply the dose came from.",
    )
    taken_at = models.DateTimeField()
    dose_mg = models.FloatField()
    side_effects = models.JSONField(default=list, blank=True, help_text="SideEffectKind codes.")
    other_effect = models.CharField(max_length=200, blank=True)
    worst_severity = models.CharField(max_length=10, blank=True)
    breathing_trouble = models.BooleanField(default=False)
    fainted = models.BooleanField(default=False)
    detached = models.PositiveSmallIntegerField(default=0, help_text="Self-check 0-3 (ours).")
    drowsy = models.PositiveSmallIntegerField(default=0, help_text="Self-check 0-3 (ours).")
    sbp = models.PositiveSmallIntegerField(null=True, blank=True)
    dbp = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    acknowledged_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-taken_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-taken_at"])]
        verbose_name = "home dose diary entry"
        verbose_name_plural = "home dose diary entries"

    def __str__(self) -> str:
        return f"Home dose {self.dose_mg:g} mg at {self.taken_at:%Y-%m-%d %H:%M}"


class HomeAlertKind(models.TextChoices):
    DIARY = "diary", "Worrying diary entry"
    SOMETHING_WRONG = "something_wrong", "Patient pressed Something is wrong"


class HomeAlert(NoDelete):
    """Something from home a clinician must act on today."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=HomeAlertKind.choices)
    entry = models.ForeignKey(
        DiaryEntry, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    codes = models.JSONField(default=list, blank=True, help_text="The core's concern codes.")
    message = models.TextField()
    raised_at = models.DateTimeField(db_index=True)
    link = models.ForeignKey(
        "portal.PortalLink", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    emailed_to = models.JSONField(default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(entry__isnull=False),
                name="one_home_alert_per_entry",
            )
        ]

    def __str__(self) -> str:
        return f"Home alert ({self.kind}) for patient {self.patient_id}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
