"""Forms of the safety pages: parse input only; the services and the core decide."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from ketaflow.clinical.long_term_safety import LUTS_SYMPTOMS, Analyte
from ketaflow.lib.forms import DateInput
from ketaflow.safety.models import LabResult, LutsScreen, ReviewKind, ReviewOutcome, SafetyReview

DATE = DateInput()


class LabPanelForm(forms.Form):
    """One sample: a value, unit and the laboratory's reference range per analyte."""

    collected_on = forms.DateField(widget=DATE, label="Sample taken on")
    laboratory = forms.CharField(max_length=120, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for a in Analyte:
            need = "" if a.required else " (optional)"
            self.fields[f"{a.value}_value"] = forms.FloatField(
                required=False, label=f"{a.label}{need}", min_value=0
            )
            self.fields[f"{a.value}_unit"] = forms.ChoiceField(
                choices=[(u, u) for u in a.units], label="Unit", initial=a.units[0]
            )
            self.fields[f"{a.value}_ref_low"] = forms.FloatField(
                required=False, label="Reference low", min_value=0
            )
            self.fields[f"{a.value}_ref_high"] = forms.FloatField(
                required=False, label="Reference high (ULN)"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        entered = 0
        for a in Analyte:
            if data.get(f"{a.value}_value") is None:
                continue
            entered += 1
            if data.get(f"{a.value}_ref_high") is None:
                self.add_error(f"{a.value}_ref_high", "Give the laboratory's upper limit.")
        if not entered:
            raise forms.ValidationError("Enter at least one result.")
        return data

    def values(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "analyte": a.value,
                "value": data[f"{a.value}_value"],
                "unit": data[f"{a.value}_unit"],
                "ref_low": data.get(f"{a.value}_ref_low"),
                "ref_high": data[f"{a.value}_ref_high"],
            }
            for a in Analyte
            if data.get(f"{a.value}_value") is not None
        ]


class LutsForm(forms.Form):
    screened_on = forms.DateField(widget=DATE, initial=date.today)
    notes = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in LUTS_SYMPTOMS:
            self.fields[key] = forms.BooleanField(required=False, label=label)

    def answers(self) -> dict[str, bool]:
        return {k: bool(self.cleaned_data.get(k)) for k, _ in LUTS_SYMPTOMS}


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(choices=ReviewKind.choices)
    reviewed_on = forms.DateField(widget=DATE)
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


_AMEND_FIELDS: dict[type[Any], tuple[str, ...]] = {
    LabResult: ("value", "unit", "ref_low", "ref_high", "collected_on", "laboratory", "notes"),
    LutsScreen: (
        "screened_on",
        "frequency",
        "urgency",
        "dysuria",
        "haematuria",
        "suprapubic_pain",
        "incontinence",
        "notes",
    ),
    SafetyReview: ("reviewed_on", "outcome", "notes"),
}


def amend_form_class(model: type[Any]) -> type[forms.ModelForm[Any]]:
    """A form over the amendable fields of this record kind, plus the reason."""
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": _AMEND_FIELDS[model],
            "widgets": {f: DATE for f in _AMEND_FIELDS[model] if f.endswith("_on")},
        },
    )

    def changes(self: Any) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.changed_data if f != "reason"}

    return type(
        f"Amend{model.__name__}Form",
        (forms.ModelForm,),
        {
            "Meta": meta,
            "reason": forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 2})),
            "changes": changes,
        },
    )
