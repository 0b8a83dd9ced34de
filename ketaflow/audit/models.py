"""The audit log: append-only, enforced by the model and by database triggers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone


class AppendOnlyError(Exception):
    """Audit events cannot be changed or deleted."""


class AccessEventQuerySet(models.QuerySet["AccessEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events are append-only: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")


class Action(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    SEARCH = "search", "Searched"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    AMEND = "amend", "Amended"
    EXPORT = "export", "Exported"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    DENIED = "denied", "Access denied"


def now() -> Any:
    """When an event is made: Django's clock, read at the call (so a pinned clock applies)."""
    return timezone.now()


class AccessEvent(models.Model):
    """Who did what to which record, when and from where. Never updated, never deleted."""

    # Set when the row is made (not at insert, as auto_now_add would), so its hash can be
    # taken before the insert (`chain.link`).
    at = models.DateTimeField(default=now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="Who, as they were named then.")
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=10, default="system")
    # The hash chain (`audit.chain`): the row's place in its clinic's chain, the hash of the
    # row before it and its own. Set by the database's trigger on PostgreSQL (the insert sends
    # DEFAULT and reads them back), by `chain.link` on SQLite.
    seq = models.PositiveBigIntegerField(null=True, blank=True, editable=False, db_default=None)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False, db_default="")
    row_hash = models.CharField(max_length=64, blank=True, editable=False, db_default="")

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "-at"]),
            models.Index(fields=["patient", "-at"]),
            models.Index(fields=["actor", "-at"]),
        ]
        constraints = [
            # One row per place in a chain: two writers can never fork it.
            models.UniqueConstraint(
                Coalesce("clinic", models.Value(0)), "seq", name="audit_chain_place"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")
