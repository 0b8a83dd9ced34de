"""Page input for take-home supply (Django forms). Nothing clinical: the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from ketaflow.accounts.models import User
from ketaflow.clinical import take_home as core
from ketaflow.dispensing.models import DosageForm, PdmpOutcome


def _witness_field(choices: list[User]) -> forms.ModelChoiceField[User]:
    return forms.ModelChoiceField(
        queryset=User.objects.filter(pk__in=[u.pk for u in choices]),
        label="Witness",
        help_text="Another nurse or prescriber of this clinic, present now.",
    )


class AuthoriseForm(forms.Form):
    product = forms.CharField(max_length=120, help_text="e.g. Ketamine HCl 50 mg troche")
    dosage_form = forms.ChoiceField(choices=DosageForm.choices)
    strength_mg = forms.FloatField(min_value=0.1, max_value=1000, label="Strength per unit (mg)")
    units_per_dose = forms.IntegerField(min_value=1, max_value=20)
    dose_interval_days = forms.IntegerField(
        min_value=1, max_value=30, label="One dose every (days)"
    )
    days_per_supply = forms.IntegerField(
        min_value=1, max_value=90, label="Most days one supply may cover"
    )
    refills_allowed = forms.IntegerField(
        min_value=0, max_value=core.MAX_REFILLS, help_text="Schedule III: at most 5 (S57)."
    )
    warning_acknowledged = forms.BooleanField(
        required=False, label="I have read the warning on home use above"
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="Why home doses for this patient",
    )


class DispenseForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=1000, label="Quantity (units)")
    lot = forms.ChoiceField(choices=[])
    storage_acknowledged = forms.BooleanField(
        required=False, label="The patient acknowledged the storage rules"
    )
    no_driving_acknowledged = forms.BooleanField(
        required=False, label="The patient acknowledged the no-driving rules"
    )
    pdmp_override_reason = forms.CharField(
        max_length=300,
        required=False,
        label="PDMP override reason (prescribers only)",
        help_text="Only when the PDMP check is due and cannot be done now.",
    )

    def __init__(self, *args: Any, lots: list[str], witnesses: list[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        lot_field = self.fields["lot"]
        assert isinstance(lot_field, forms.ChoiceField)
        lot_field.choices = [(lot, lot) for lot in lots]
        self.fields["witness"] = _witness_field(witnesses)


class NoteForm(forms.Form):
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea({"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea({"rows": 2}))


class DecideRefillForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    reason = forms.CharField(max_length=500, widget=forms.Textarea({"rows": 2}))


class PdmpCheckForm(forms.Form):
    checked_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    registry = forms.CharField(max_length=120, required=False, label="Programme / state")
    outcome = forms.ChoiceField(choices=PdmpOutcome.choices)
    notes = forms.CharField(max_length=500, required=False, widget=forms.Textarea({"rows": 2}))


class ReceiptForm(forms.Form):
    product = forms.CharField(max_length=120)
    dosage_form = forms.ChoiceField(choices=DosageForm.choices)
    strength_mg = forms.FloatField(min_value=0.1, max_value=1000, label="Strength per unit (mg)")
    lot = forms.CharField(max_length=60)
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    quantity = forms.IntegerField(min_value=1, max_value=100000, label="Quantity (units)")
    supplier = forms.CharField(max_length=200, required=False)
    reference = forms.CharField(max_length=120, required=False, label="Invoice / DEA 222")

    def __init__(self, *args: Any, witnesses: list[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["witness"] = _witness_field(witnesses)


class CountForm(forms.Form):
    """One count per lot on the book (fields `lot_<n>`), a witness and a note."""

    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, lots: list[str], witnesses: list[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.lots = lots
        for i, lot in enumerate(lots):
            self.fields[f"lot_{i}"] = forms.IntegerField(
                min_value=0, max_value=100000, label=f"Lot {lot}: units counted"
            )
        self.fields["witness"] = _witness_field(witnesses)

    def counts(self) -> dict[str, int]:
        return {lot: self.cleaned_data[f"lot_{i}"] for i, lot in enumerate(self.lots)}


class ExplainForm(forms.Form):
    explanation = forms.CharField(max_length=2000, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args: Any, witnesses: list[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["witness"] = _witness_field(witnesses)
