"""In-session scale forms, built from the clinical core's item structure.

One form per chair-side instrument (CADSS-6 quick form, full CADSS-23, MOAA/S, modified
Aldrete, PADSS): one radio group per item under the core's short label, each answer shown
with the core's anchor where it has one. Radio groups are keyboard-friendly (Tab moves
between items, the arrow keys pick the answer). Items are not `required` here on purpose:
the core names the unanswered item ("CADSS-6 item 4 (CADSS item 7) is unanswered…"), and that
error is put on the item's field, so the message comes from one place.
"""

from __future__ import annotations

from typing import Any

from django import forms

from ketaflow.clinical.instruments import Item, ItemInstrument, get_item_instrument

#: The chair-side scales, in the order the session page offers them.
SESSION_SCALE_CODES: tuple[str, ...] = ("moaas", "cadss6", "cadss", "aldrete", "padss")


def item_choices(item: Item, *, best_first: bool) -> list[tuple[str, str]]:
    """Every whole value of the item, with the core's short anchor where it has one.

    MOAA/S has anchors for 5 and 0 only, so 4-1 show as numbers. Recovery scores (whose
    items carry anchors) list the best answer first, as the core does; CADSS lists 0 first.
    """
    anchors = {o.value: o.label for o in item.options}
    values = range(item.minimum, item.maximum + 1)
    ordered = reversed(values) if best_first else values
    return [(str(v), f"{v} – {anchors[v]}" if v in anchors else str(v)) for v in ordered]


class SessionScaleForm(forms.Form):
    """One instrument's items; `answers()` gives the service a {item key: value} mapping."""

    administered_at = forms.CharField(
        label="Rated at (HH:MM)",
        required=False,
        max_length=25,
        help_text="Blank = now; a time later than now is refused.",
        widget=forms.TextInput(attrs={"size": 6, "inputmode": "numeric", "placeholder": "now"}),
    )

    def __init__(
        self, code: str, *args: Any, best_first: bool | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", code)
        super().__init__(*args, **kwargs)
        self.instrument: ItemInstrument = get_item_instrument(code)
        self.item_keys: list[str] = []
        if best_first is None:
            best_first = any(item.options for item in self.instrument.items)
        several = len(self.instrument.items) > 1
        for item in self.instrument.items:
            self.fields[item.key] = forms.TypedChoiceField(
                label=f"{item.number}. {item.label}" if several else item.label,
                choices=item_choices(item, best_first=best_first),
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
            self.item_keys.append(item.key)
        # administered_at last, after the items.
        self.fields["administered_at"] = self.fields.pop("administered_at")

    @property
    def code(self) -> str:
        return self.instrument.code

    def answers(self) -> dict[str, int | None]:
        return {key: self.cleaned_data.get(key) for key in self.item_keys}


def session_scale_forms(
    bound: SessionScaleForm | None = None,
) -> list[SessionScaleForm]:
    """A blank form per chair-side scale, with `bound` (a posted form) in its place."""
    return [
        bound if bound is not None and bound.code == code else SessionScaleForm(code)
        for code in SESSION_SCALE_CODES
    ]


def pre_session_form(data: Any = None) -> SessionScaleForm:
    """The patient's pre-session questionnaire (GAD-7), answers in the order 0 ("not at all") up."""
    form = SessionScaleForm("gad7", data, best_first=False, prefix="pre")
    form.fields["administered_at"].label = "Completed at (HH:MM)"
    return form
