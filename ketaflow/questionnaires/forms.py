"""A form for any instrument, built from the core: items for item instruments (full wording
only for free ones, short labels otherwise), the total or risk level for licensed ones."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from ketaflow.clinical.instruments import (
    AnyInstrument,
    ItemInstrument,
    Licence,
    Rater,
    RiskLevelInstrument,
    TotalInstrument,
)
from ketaflow.questionnaires.models import Context, RaterKind

YES_NO = [("", "—"), ("yes", "Yes"), ("no", "No")]


class InstrumentForm(forms.Form):
    """Fields named as the service expects: item keys, `total`, `risk`, `agoraphobia`."""

    administered_at = forms.DateTimeField(
        label="Completed at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Your clinic's local time.",
    )
    context = forms.ChoiceField(choices=Context.choices, initial=Context.BASELINE)
    rater = forms.ChoiceField(choices=RaterKind.choices)

    def __init__(self, instrument: AnyInstrument, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.fields["administered_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        if instrument.rater is Rater.CLINICIAN:
            rater = self.fields["rater"]
            assert isinstance(rater, forms.ChoiceField)
            rater.choices = [(RaterKind.CLINICIAN, "Clinician-rated")]
        self.fields["rater"].initial = instrument.rater.value
        self.item_keys: list[str] = []
        if isinstance(instrument, ItemInstrument):
            self._item_fields(instrument)
        elif isinstance(instrument, TotalInstrument):
            self.fields["total"] = forms.IntegerField(
                label=f"{instrument.name} total",
                min_value=instrument.minimum,
                max_value=instrument.maximum,
                help_text=f"{instrument.minimum}–{instrument.maximum}, read off the clinic's "
                "licensed form (Ketaflow holds no items for this scale).",
            )
            if instrument.has_agoraphobia_variant:
                self.fields["agoraphobia"] = forms.ChoiceField(
                    label="Agoraphobia", choices=YES_NO, help_text="The bands differ with it."
                )
        elif isinstance(instrument, RiskLevelInstrument):
            self.fields["risk"] = forms.ChoiceField(
                label="Risk level",
                choices=[("", "—"), *((lvl.code, lvl.description) for lvl in instrument.levels)],
                help_text="From the clinic's licensed form.",
            )

    def _item_fields(self, instrument: ItemInstrument) -> None:
        free = instrument.licence is Licence.FREE
        for item in instrument.items:
            options = item.options or ()
            if options:
                choices = [(str(o.value), f"{o.value} – {o.label}") for o in options]
            else:
                choices = [(str(v), str(v)) for v in range(item.minimum, item.maximum + 1)]
            label = item.text if free and item.text else item.label
            self.fields[item.key] = forms.TypedChoiceField(
                label=f"{item.number}. {label}",
                choices=[("", "—"), *choices],
                coerce=int,
                empty_value=None,
                required=item.required,
                help_text="" if item.scored else "Recorded, not scored.",
            )
            self.item_keys.append(item.key)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "context": data["context"],
            "rater": data["rater"],
            "administered_at": data["administered_at"],
        }
        if self.item_keys:
            kwargs["answers"] = {k: data.get(k) for k in self.item_keys}
        if "total" in self.fields:
            kwargs["total"] = data.get("total")
        if "agoraphobia" in self.fields:
            choice = data.get("agoraphobia")
            kwargs["agoraphobia"] = None if not choice else choice == "yes"
        if "risk" in self.fields:
            kwargs["risk"] = data.get("risk") or None
        return kwargs
