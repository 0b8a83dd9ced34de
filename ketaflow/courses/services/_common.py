"""Helpers shared by the course services: permission checks and the clinic's clock."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

from ketaflow.accounts.permissions import require, require_any  # noqa: F401  (re-exported)
from ketaflow.lib.errors import as_validation_error  # noqa: F401  (re-exported)

M = TypeVar("M", bound=Model)


def required_reason(reason: str | None, field: str = "reason", what: str = "Say why.") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({field: [what]})
    return text


def locked(queryset: QuerySet[M], pk: int) -> M:
    """The row, locked for this transaction; a row outside the actor's scope is a 404."""
    try:
        return queryset.select_for_update().get(pk=pk)
    except ObjectDoesNotExist:
        raise Http404("Not found in your clinic.") from None
