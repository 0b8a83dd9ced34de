"""From a service's ValidationError to a Django form, so every page shows it the same way."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields, so the page shows it (never a 500).

    Errors about a field the form does not show go to the top of the form, naming the field.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.error_dict.items():
        messages = [m for e in errors for m in e.messages]
        if field in form.fields:
            form.add_error(field, messages)
        else:
            label = field.replace("_", " ").capitalize()
            form.add_error(None, [f"{label}: {m}" for m in messages])
