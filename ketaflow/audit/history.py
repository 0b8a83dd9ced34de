"""Clinical records are never destroyed: no deletes, corrections are amendments with a reason.

`ClinicalRecord` is the base for every chart model. It refuses deletion (model and
queryset), keeps full change history (django-simple-history: who, when, what) and records
why each change was made (`history_change_reason`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class RecordDeletionError(Exception):
    """Clinical records cannot be deleted; mark them entered-in-error with a reason instead."""


class NoDeleteQuerySet(models.QuerySet[Any]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise RecordDeletionError(
            "Clinical records cannot be deleted; amend them or mark them entered in error."
        )


class NoDeleteManager(models.Manager[Any]):
    """A manager whose querysets refuse bulk deletes (`NoDeleteQuerySet`)."""

    def get_queryset(self) -> NoDeleteQuerySet:
        return NoDeleteQuerySet(self.model, using=self._db)


class NoDelete(models.Model):
    """Records that are cancelled, ended or retired, never deleted (model and queryset).

    Here, in the lowest Django app, so every app can build on it (it began in `courses`).
    """

    objects = NoDeleteManager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RecordDeletionError(
            f"{self._meta.verbose_name} records cannot be deleted; cancel or end them instead."
        )


class RecordStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive / resolved"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class ClinicalRecord(models.Model):
    """Common fields of chart entries: who recorded them and when, and their status."""

    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RecordDeletionError(
            "Clinical records cannot be deleted; amend them or mark them entered in error."
        )
