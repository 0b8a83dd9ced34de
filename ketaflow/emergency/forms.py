"""The break-glass form and the admin's review form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from ketaflow.accounts.models import Clinic
from ketaflow.emergency.models import EmergencyKind, ReviewOutcome
from ketaflow.emergency.services import REASON_MIN_CHARS
from ketaflow.lib.forms import DateInput


class BreakGlassForm(forms.Form):
    """Exact identifiers only: the clinic, the date of birth, and the MRN or family name.

    The reason's rules (a kind, at least `REASON_MIN_CHARS` characters) are the service's, so
    that a refusal is audited: the form only parses."""

    # An id, not a ModelChoiceField: a clinic outside the organisation must reach the service,
    # which refuses it and audits the refusal.
    clinic = forms.TypedChoiceField(label="The patient's clinic", coerce=int)
    date_of_birth = forms.DateField(widget=DateInput())
    mrn = forms.CharField(label="MRN", max_length=30, required=False)
    family_name = forms.CharField(
        max_length=100, required=False, help_text="Only if you do not have the MRN."
    )
    kind = forms.ChoiceField(label="What is the emergency", choices=EmergencyKind.choices)
    reason = forms.CharField(
        label="Why you need this record now",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=f"At least {REASON_MIN_CHARS} characters. The clinic admins of both clinics "
        "read it.",
    )

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["clinic"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(c.pk, c.name) for c in clinics]
        if self.is_bound:  # any id parses; the service decides (and audits a refusal)
            field.choices = [*field.choices, (self.data.get("clinic"), "")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("mrn") or "").strip() and not (data.get("family_name") or "").strip():
            raise forms.ValidationError("Give the MRN or the family name with the date of birth.")
        return data


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        help_text="Required when inappropriate: what was wrong and what was done.",
    )
