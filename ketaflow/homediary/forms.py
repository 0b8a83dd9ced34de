"""The diary's forms: the patient's entry (a phone-sized page) and a nurse's acknowledgement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms

from ketaflow.clinical.home_diary import SELF_CHECK, SEVERITIES
from ketaflow.homediary.services import DiaryInput
from ketaflow.lib.clock import Clinic
from ketaflow.lib.forms import ClinicTimeField
from ketaflow.treatments.models import SideEffectKind

#: Side effects a patient can tell at home (heart rate and BP rises need a monitor: the BP
#: boxes below take the cuff's numbers).
HOME_EFFECTS = [
    (k, label)
    for k, label in SideEffectKind.choices
    if k not in (SideEffectKind.RAISED_HR, SideEffectKind.RAISED_BP)
]
EFFECT_WORDS = {SideEffectKind.DISSOCIATION: "Feeling detached or unreal (dissociation)"}


class DiaryForm(forms.Form):
    taken_at = ClinicTimeField(
        label="When did you take it?",
        future="yesterday",
        tolerance=timedelta(minutes=5),
        widget=forms.TextInput(attrs={"type": "time"}),
        help_text="Leave empty for now. A time later than now means yesterday.",
    )
    dose_mg = forms.FloatField(
        label="How much did you take (mg)?",
        min_value=0,
        max_value=2000,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
        error_messages={"required": "Say how many mg you took."},
    )
    side_effects = forms.MultipleChoiceField(
        label="Side effects since the dose",
        choices=[(k, EFFECT_WORDS.get(SideEffectKind(k), label)) for k, label in HOME_EFFECTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    other_effect = forms.CharField(label="Other side effect", max_length=200, required=False)
    worst_severity = forms.ChoiceField(
        label="How bad was the worst one?",
        choices=[(s, s.capitalize()) for s in SEVERITIES],
        widget=forms.RadioSelect,
        required=False,
    )
    breathing_trouble = forms.BooleanField(label="I had trouble breathing", required=False)
    fainted = forms.BooleanField(label="I fainted or passed out", required=False)
    sbp = forms.IntegerField(
        label="Blood pressure, upper number",
        required=False,
        min_value=50,
        max_value=300,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    dbp = forms.IntegerField(
        label="Blood pressure, lower number",
        required=False,
        min_value=20,
        max_value=200,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label="Anything else?",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["taken_at"]
        assert isinstance(field, ClinicTimeField)
        field.clinic = clinic
        for key, question, words in SELF_CHECK:
            self.fields[key] = forms.TypedChoiceField(
                label=question,
                choices=list(enumerate(words)),
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose one answer."},
            )

    def self_check_fields(self) -> list[forms.BoundField]:
        return [self[key] for key, _q, _w in SELF_CHECK]

    def diary_input(self, now: Any) -> DiaryInput:
        d = self.cleaned_data
        return DiaryInput(
            taken_at=d["taken_at"] or now,
            dose_mg=d["dose_mg"],
            side_effects=tuple(d["side_effects"]),
            other_effect=d["other_effect"],
            worst_severity=d["worst_severity"],
            breathing_trouble=d["breathing_trouble"],
            fainted=d["fainted"],
            detached=d["detached"],
            drowsy=d["drowsy"],
            sbp=d["sbp"],
            dbp=d["dbp"],
            note=d["note"],
        )


class SomethingWrongForm(forms.Form):
    note = forms.CharField(
        label="What is wrong? (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AcknowledgeEntryForm(forms.Form):
    note = forms.CharField(
        label="Note",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the entry raised an alert: what was done.",
    )


class AcknowledgeAlertForm(forms.Form):
    action_note = forms.CharField(
        label="What was done",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what was done about this alert."},
    )
