"""The email outbox: every email Ketaflow sends is first a row, written with the event.

A message is written in the same transaction as what it tells of (a risk alert, a
questionnaire link, a reminder), so a rolled-back event emails nobody and a committed one is
never lost. `key` names the logical message (e.g. "risk-alert:41:phq9_item9"): it is unique,
so one event never queues two messages. A background task sends it (`services.send_outbox`).
"""

from __future__ import annotations

from django.db import models


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"


class OutboxMessage(models.Model):
    """One email to send. `clinic` points up a layer (a relation between rows, not an import).

    `attempts` counts the claims; `lease_until` is when a claim by a worker that died (kill -9,
    crash) expires and the message may be claimed again. `next_attempt_at` holds a failed
    message back (exponential back-off) until its next try.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    body_is_secret = models.BooleanField(
        default=False,
        help_text="The body holds a credential (a patient's link): blanked once sent.",
    )
    recipients = models.JSONField(default=list)
    refs = models.JSONField(default=list, blank=True, help_text="Ids of the rows it tells of.")
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} email {self.pk} ({self.status})"
