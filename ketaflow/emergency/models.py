"""Emergency access (break-glass, ONC §170.315(d)(6)): grants and their reviews.

A grant lets one designated clinician read one patient of another clinic of the same
organisation, read-only, until it expires. It is never deleted nor extended; a review by a
clinic admin of either clinic (the patient's or the clinician's) is a row of its own.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.audit.history import NoDelete


class EmergencyKind(models.TextChoices):
    COVERING = "covering", "Covering for the patient's own clinic"
    ACUTE = "acute", "Acute medical event (the patient is in front of me)"
    SAFETY = "safety", "Safety or suicide risk concern"
    UNREACHABLE = "unreachable", "The patient's clinic cannot be reached"
    OTHER = "other", "Other (say what)"


class EmergencyGrant(NoDelete):
    """One break-glass: who, which patient, why, from when until when.

    `clinic` is the clinician's clinic, `patient_clinic` the patient's (both kept, since the
    clinician may later move clinic). Read-only: a grant opens the emergency view
    (`selectors.emergency_view`) and nothing else.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    patient_clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EmergencyKind.choices)
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-granted_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-granted_at"]),
            models.Index(fields=["clinic", "-granted_at"]),
            models.Index(fields=["patient_clinic", "-granted_at"]),
        ]

    def __str__(self) -> str:
        return f"Emergency access {self.pk} ({self.granted_at:%Y-%m-%d %H:%M})"

    def is_open_at(self, now: datetime) -> bool:
        return self.granted_at <= now < self.expires_at


class ReviewOutcome(models.TextChoices):
    APPROPRIATE = "appropriate", "Appropriate"
    INAPPROPRIATE = "inappropriate", "Inappropriate"


class GrantReview(NoDelete):
    """A clinic admin's judgement of one grant, once per clinic (the patient's and the
    clinician's clinic each review it)."""

    grant = models.ForeignKey(EmergencyGrant, on_delete=models.PROTECT, related_name="reviews")
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices)
    note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "clinic"], name="one_review_per_clinic")
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.reviewed_at:%Y-%m-%d})"
