"""Form helpers every page uses: a service's errors on a form, and the clinic's HH:MM time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time

from ketaflow.lib.clock import Clinic, at_clinic, clinic_zone


class DateInput(forms.DateInput):
    """The browser's own date picker. Its value must travel as YYYY-MM-DD: a date drawn in
    the site's format (26/11/2026) reads as empty in a `type=date` box, so a form shown again
    with a date (a chosen day, a filter) would lose it."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _default_label(field: str) -> str:
    return field.replace("_", " ").capitalize()


def add_service_errors(
    form: forms.BaseForm,
    exc: ValidationError,
    *,
    label: Callable[[str], str] = _default_label,
) -> None:
    """Put a service's ValidationError on the form's fields, so the page shows it (never a 500).

    Errors about a field the form does not show go to the top of the form, named by `label`
    (a page may pass its own wording for the service's field names).
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.error_dict.items():
        messages = [m for e in errors for m in e.messages]
        if field == NON_FIELD_ERRORS:
            form.add_error(None, messages)
        elif field in form.fields:
            form.add_error(field, messages)
        else:
            form.add_error(None, [f"{label(field)}: {m}" for m in messages])


class ClinicTimeField(forms.Field):
    """A time as a nurse types it: `HH:MM` is today on the clinic's clock; blank is "now".

    A date and time (`YYYY-MM-DD HH:MM`) is accepted too, for charting after midnight. The
    value is an aware UTC datetime (the clinic's zone decides the day and the offset, DST
    included). A time later than now (beyond `tolerance`, for clocks a minute apart) is
    refused with the reason, or, with `future="yesterday"`, a bare `HH:MM` is read as
    yesterday ("last food 21:40" asked at 08:30 is last night). The form sets `clinic`.
    """

    def __init__(
        self,
        *,
        clinic: Clinic | None = None,
        future: Literal["refuse", "yesterday"] = "refuse",
        tolerance: timedelta = timedelta(0),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.clinic = clinic
        self.future = future
        self.tolerance = tolerance

    def to_python(self, value: Any) -> datetime | None:
        raw = str(value or "").strip()
        if not raw:
            return None
        if self.clinic is None:
            raise ValueError("ClinicTimeField needs the clinic (set field.clinic in the form).")
        zone = clinic_zone(self.clinic)
        now = timezone.now().astimezone(zone)
        latest = now + self.tolerance
        t = parse_time(raw) if len(raw) <= 8 else None
        if t is not None:
            when = at_clinic(now.date(), t, self.clinic)
            if when > latest:
                if self.future != "yesterday":
                    raise ValidationError(
                        f"{raw} is later than now ({now:%H:%M}): give a time that has passed, "
                        "or leave it blank for now.",
                        code="future",
                    )
                when = at_clinic(now.date() - timedelta(days=1), t, self.clinic)
            return when.astimezone(UTC)
        try:
            dt = parse_datetime(raw.replace(" ", "T", 1))
        except ValueError:
            dt = None
        if dt is None:
            raise ValidationError(
                "Enter a time as HH:MM (or a date and time, YYYY-MM-DD HH:MM).", code="invalid"
            )
        dt = dt if dt.tzinfo else dt.replace(tzinfo=zone)
        if dt > latest:
            raise ValidationError(
                f"{raw} is later than now ({now:%H:%M}): give a time that has passed.",
                code="future",
            )
        return dt.astimezone(UTC)
