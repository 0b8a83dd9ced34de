"""In-session scale forms: the instrument's item-answers form (built from the clinical core)
plus the time it was rated.

One form per chair-side instrument (MOAA/S, CADSS-6 quick form, full CADSS-23) and the
patient's pre-session GAD-7: one radio group per item under the core's short label. The
modified Aldrete and the PADSS are entered together in the discharge step
(`RecoveryScoreForm`, no time of their own: the step's). Items are not `required` here on
purpose: the core names the unanswered item ("CADSS-6 item 4 (CADSS item 7) is
unanswered…"), and that error is put on the item's field, so the message comes from one
place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketaflow.clinical.instruments import ItemInstrument, get_item_instrument
from ketaflow.lib.clock import Clinic
from ketaflow.lib.forms import ClinicTimeField
from ketaflow.questionnaires.forms import ItemAnswersForm
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.treatments.services import FUTURE_TOLERANCE

#: The chair-side scales, in the order the session page offers them.
SESSION_SCALE_CODES: tuple[str, ...] = ("moaas", "cadss6", "cadss")


class SessionScaleForm(ItemAnswersForm):
    """One instrument's items; `answers()` gives the service a {item key: value} mapping."""

    administered_at = ClinicTimeField(
        label="Rated at (HH:MM)",
        tolerance=FUTURE_TOLERANCE,
        help_text="Blank = now; a time later than now is refused.",
    )

    def __init__(self, code: str, *args: Any, clinic: Clinic | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", code)
        super().__init__(
            get_item_instrument(code),
            *args,
            radios=True,
            required=False,
            short_labels=True,
            **kwargs,
        )
        self.instrument: ItemInstrument = get_item_instrument(code)
        field = self.fields.pop("administered_at")  # last, after the items
        assert isinstance(field, ClinicTimeField)
        field.clinic = clinic
        field.widget.attrs.update(
            {"size": 6, "maxlength": 25, "inputmode": "numeric", "placeholder": "now"}
        )
        self.fields["administered_at"] = field

    @property
    def code(self) -> str:
        return self.instrument.code


def session_scale_forms(
    bound: SessionScaleForm | None = None,
) -> list[SessionScaleForm]:
    """A blank form per chair-side scale, with `bound` (a posted form) in its place."""
    return [
        bound if bound is not None and bound.code == code else SessionScaleForm(code)
        for code in SESSION_SCALE_CODES
    ]


def pre_session_form(data: Any = None, *, clinic: Clinic | None = None) -> SessionScaleForm:
    """The patient's pre-session questionnaire (GAD-7), answers in the order 0 ("not at all") up."""
    form = SessionScaleForm("gad7", data, prefix="pre", clinic=clinic)
    form.fields["administered_at"].label = "Completed at (HH:MM)"
    return form


class RecoveryScoreForm(ItemAnswersForm):
    """The modified Aldrete or the PADSS as the discharge step shows it: its items (prefixed
    by the scale's code), pre-filled from this session's latest answers when not posted."""

    def __init__(
        self,
        code: str,
        data: Any = None,
        *,
        latest: InstrumentResponse | None = None,
    ) -> None:
        instrument = get_item_instrument(code)
        initial: dict[str, Any] = {}
        if latest is not None and len(latest.answers or []) == len(instrument.items):
            initial = {
                item.key: value
                for item, value in zip(instrument.items, latest.answers, strict=True)
                if value is not None
            }
        super().__init__(
            instrument,
            data,
            prefix=code,
            initial=initial,
            radios=True,
            required=False,
            short_labels=True,
        )
        self.instrument: ItemInstrument = instrument

    @property
    def code(self) -> str:
        return self.instrument.code


def recovery_score_forms(
    codes: tuple[str, ...],
    data: Any = None,
    *,
    latest: Mapping[str, InstrumentResponse | None] | None = None,
) -> list[RecoveryScoreForm]:
    """One `RecoveryScoreForm` per code, bound to `data` when posted."""
    found = latest or {}
    return [RecoveryScoreForm(code, data, latest=found.get(code)) for code in codes]
