"""Instrument forms built from the core: one item-answers form for every item instrument
(staff screening, the session chair, the patient portal), and the staff form for any
instrument (items, or the total or risk level for licensed ones)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from ketaflow.clinical.instruments import (
    AnyInstrument,
    Item,
    ItemInstrument,
    Licence,
    Rater,
    RiskLevelInstrument,
    TotalInstrument,
)
from ketaflow.questionnaires.models import Context, RaterKind

YES_NO = [("", "—"), ("yes", "Yes"), ("no", "No")]


def best_first(instrument: ItemInstrument) -> bool:
    """The core lists this instrument's answers best first (recovery scores, MOAA/S)."""
    return any(i.options and i.options[0].value > i.options[-1].value for i in instrument.items)


def item_choices(item: Item, *, best_first: bool) -> list[tuple[str, str]]:
    """Every whole value of the item, with the core's short anchor where it has one.

    An item without anchors (PADSS bleeding, intake and output) shows its values as numbers.
    """
    anchors = {o.value: o.label for o in item.options}
    values = range(item.minimum, item.maximum + 1)
    ordered = reversed(values) if best_first else values
    return [(str(v), f"{v} – {anchors[v]}" if v in anchors else str(v)) for v in ordered]


class ItemAnswersForm(forms.Form):
    """One answer field per item of an item instrument; `answers()` gives {item key: value}.

    The one place an instrument's items become form fields, so every page (screening, the
    session chair, the patient portal) offers the same answers and checks them the same way.
    The wording is the core's: full item text for free instruments, short labels otherwise
    (licences), unless `short_labels`. `radios` shows each item as radio buttons (keyboard:
    Tab between items, arrows pick), else a select with a blank "—". With `required=False`
    no item is required here: the caller names the first unanswered one (`first_missing`, or
    the core's own message), so the message comes from one place. A posted value that is not
    one of the item's answers counts as unanswered in `answers()`.
    """

    def __init__(
        self,
        instrument: AnyInstrument,
        *args: Any,
        radios: bool = False,
        required: bool = True,
        short_labels: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.item_keys: list[str] = []
        if isinstance(instrument, ItemInstrument):
            self._item_fields(instrument, radios=radios, required=required, short=short_labels)

    def _item_fields(
        self, instrument: ItemInstrument, *, radios: bool, required: bool, short: bool
    ) -> None:
        full = not short and instrument.licence is Licence.FREE
        ordered_best_first = best_first(instrument)
        several = len(instrument.items) > 1
        for item in instrument.items:
            label = item.text if full and item.text else item.label
            choices = item_choices(item, best_first=ordered_best_first)
            self.fields[item.key] = forms.TypedChoiceField(
                label=f"{item.number}. {label}" if several else label,
                choices=choices if radios else [("", "—"), *choices],
                coerce=int,
                empty_value=None,
                required=required and item.required,
                help_text="" if item.scored else "Recorded, not scored.",
                widget=forms.RadioSelect if radios else forms.Select,
            )
            self.item_keys.append(item.key)

    def answers(self) -> dict[str, int | None]:
        data = getattr(self, "cleaned_data", {})
        return {key: data.get(key) for key in self.item_keys}

    def first_missing(self) -> Item | None:
        """The first required item left unanswered (or answered with no valid value)."""
        assert isinstance(self.instrument, ItemInstrument)
        answers = self.answers()
        return next(
            (i for i in self.instrument.items if i.required and answers[i.key] is None), None
        )


class InstrumentForm(ItemAnswersForm):
    """Fields named as the service expects: item keys, `total`, `risk`, `agoraphobia`."""

    administered_at = forms.DateTimeField(
        label="Completed at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Your clinic's local time.",
    )
    context = forms.ChoiceField(choices=Context.choices, initial=Context.BASELINE)
    rater = forms.ChoiceField(choices=RaterKind.choices)

    def __init__(self, instrument: AnyInstrument, *args: Any, **kwargs: Any) -> None:
        super().__init__(instrument, *args, **kwargs)
        self.fields["administered_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        if instrument.rater is Rater.CLINICIAN:
            rater = self.fields["rater"]
            assert isinstance(rater, forms.ChoiceField)
            rater.choices = [(RaterKind.CLINICIAN, "Clinician-rated")]
        self.fields["rater"].initial = instrument.rater.value
        if isinstance(instrument, TotalInstrument):
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
