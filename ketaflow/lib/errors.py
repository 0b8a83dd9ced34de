"""Translating the clinical core's input errors into Django's field-level validation errors."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from ketaflow.clinical.errors import ClinicalInputError


def as_validation_error(exc: ClinicalInputError, field: str | None = None) -> ValidationError:
    """The core's error on the field it names (or `field`, or the whole form), message intact."""
    return ValidationError({field or exc.field or "__all__": [exc.message]})
