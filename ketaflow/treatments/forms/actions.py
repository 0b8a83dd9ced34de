"""One form per chair-side action on the session page (checklist, order, pump events, vitals,
side effects, discharge…): it parses what the nurse posted into the service's arguments.

The page's inputs are hand-written in the templates (their names are the service's argument
names), so these forms only parse: `service_kwargs()` is what the service is called with.
Every form carries the session `version` the page was drawn with. Times are `HH:MM` on the
clinic's clock (`ClinicTimeField`). The parsing keeps the page's conventions: a blank number
is "not given", check boxes send "on", yes/no/unknown questions answer None for "unknown",
and the partial forms (checklist, discharge) leave a saved answer alone when they did not
send its field at all.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict

from ketaflow.lib.clock import Clinic
from ketaflow.lib.forms import ClinicTimeField
from ketaflow.treatments.services import FUTURE_TOLERANCE, UNCHANGED

# ------------------------------------------------------------------------------ fields


class OptionalField(forms.Field):
    """A field the page may leave blank: what blank means is the field's (or the service's)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class NumberField(OptionalField):
    """A number as typed; blank is None."""

    default_error_messages = {"invalid": "Enter a number."}

    def to_python(self, value: Any) -> float | None:
        raw = str(value or "").strip()
        if not raw:
            return None
        try:
            return float(raw)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class WholeNumberField(NumberField):
    """A whole number ("3" or "3.0"); blank is None."""

    default_error_messages = {"whole": "Enter a whole number."}

    def to_python(self, value: Any) -> int | None:
        number = super().to_python(value)
        if number is None:
            return None
        if number != int(number):
            raise ValidationError(self.error_messages["whole"], code="whole")
        return int(number)


class DecimalNumberField(OptionalField):
    """A decimal as typed (no float on the way to a two-decimal column); "," as a point too."""

    default_error_messages = {"invalid": "Enter a number, e.g. 70.4."}

    def to_python(self, value: Any) -> Decimal | None:
        raw = str(value or "").strip().replace(",", ".")
        if not raw:
            return None
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class IdField(WholeNumberField):
    """The row a button acts on; missing is 0, which the service reports as not found."""

    def to_python(self, value: Any) -> int:
        return super().to_python(value) or 0


class TextField(forms.CharField):
    """Free text exactly as typed (the service trims and checks it); missing is ""."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)


class FlagField(OptionalField):
    """A check box: on when it sends "on" (or yes/true/1). A hidden "" before it = answered."""

    def to_python(self, value: Any) -> bool:
        return value in ("on", "true", "1", "yes")


class YesNoUnknownField(OptionalField):
    """yes / no / unknown; blank or "unknown" is None (not asked, not known)."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, "", "unknown"):
            return None
        return bool(value in ("yes", "true", "on", "1"))


class ListField(OptionalField):
    """All the values posted under the name, blanks dropped (the service checks each)."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in (value or []) if v]


class PrefixedValues(forms.Widget):
    """Reads every posted `<prefix><key>` with a non-blank value as {key: value}."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, str]:
        found = {}
        for key in data:
            value = str(data.get(key, "")).strip()
            if key.startswith(self.prefix) and value:
                found[key.removeprefix(self.prefix)] = value
        return found

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


class OverridesField(OptionalField):
    """The reasons typed into the `override:<rule>` boxes, by rule."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", PrefixedValues("override:"))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dict[str, str]:
        return dict(value or {})


class VersionField(OptionalField):
    """The session version the page was drawn with."""

    default_error_messages = {"invalid": "Reload the page."}

    def to_python(self, value: Any) -> int:
        try:
            return int(value or "")
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


def _time(**kwargs: Any) -> ClinicTimeField:
    return ClinicTimeField(tolerance=FUTURE_TOLERANCE, **kwargs)


# ------------------------------------------------------------------------------ forms


class SessionActionForm(forms.Form):
    """What every chair-side action posts: the page's `version`, and its own fields."""

    version = VersionField()

    #: Fields a partial form may leave out: not sent = keep the saved answer.
    keep_unless_sent: tuple[str, ...] = ()

    def __init__(self, data: MultiValueDict[str, Any] | None, *, clinic: Clinic) -> None:
        super().__init__(data)
        for field in self.fields.values():
            if isinstance(field, ClinicTimeField):
                field.clinic = clinic

    @property
    def session_version(self) -> int:
        return int(self.cleaned_data["version"])

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        for name in self.keep_unless_sent:
            if name not in self.data:
                kwargs[name] = UNCHANGED
        return kwargs


class ChecklistForm(SessionActionForm):
    """Pre-dose checklist; its sections are saved separately, so unsent = unchanged."""

    last_food_at = _time(future="yesterday")
    last_clear_liquid_at = _time(future="yesterday")
    escort_name = TextField()
    escort_phone = TextField()
    medication_changes_reviewed = FlagField()
    medication_changes = TextField()
    taken_today = ListField()
    alcohol_today = YesNoUnknownField()
    drugs_today = YesNoUnknownField()
    intoxication_signs = YesNoUnknownField()
    weight_kg = DecimalNumberField()
    pregnancy_test_positive = YesNoUnknownField()

    keep_unless_sent = (
        "last_food_at",
        "last_clear_liquid_at",
        "escort_name",
        "escort_phone",
        "medication_changes_reviewed",
        "medication_changes",
        "taken_today",
        "alcohol_today",
        "drugs_today",
        "intoxication_signs",
    )


class SubstanceDecisionForm(SessionActionForm):
    decision = TextField()
    reason = TextField()


class OrderForm(SessionActionForm):
    mg_per_kg = NumberField()
    dose_mg = NumberField()
    weight_basis = TextField(empty_value=None)
    weight_basis_reason = TextField()
    minutes = NumberField()
    concentration_mg_per_ml = NumberField()
    max_dose_mg = NumberField()
    confirm = FlagField()
    overrides = OverridesField()


class ConfirmOrderForm(SessionActionForm):
    overrides = OverridesField()


class AdministrationForm(SessionActionForm):
    """A pump or dose event. One pump form carries the rate box for every button: only a
    start or a rate change reads the rate; only a bolus reads its mg."""

    kind = TextField()
    at = _time()
    rate_ml_per_h = NumberField()
    bolus_mg = NumberField()
    reason = TextField()

    def __init__(self, data: MultiValueDict[str, Any] | None, *, clinic: Clinic) -> None:
        super().__init__(data, clinic=clinic)
        kind = self.data.get("kind")
        if kind not in ("start", "rate_change"):
            del self.fields["rate_ml_per_h"]
        if kind != "bolus":
            del self.fields["bolus_mg"]


class NoFieldsForm(SessionActionForm):
    """An action that is only a button (e.g. oral/IM/IN dosing complete)."""


class VitalsForm(SessionActionForm):
    sbp = NumberField()
    dbp = NumberField()
    hr = NumberField()
    spo2 = NumberField()
    rr = NumberField()
    on_oxygen = FlagField()
    oxygen_l_per_min = NumberField()
    taken_at = _time()


class AcknowledgeAlertForm(SessionActionForm):
    reading_id = IdField()
    code = TextField()
    note = TextField()


class StrikeEventForm(SessionActionForm):
    event_id = IdField()
    reason = TextField()


class SideEffectForm(SessionActionForm):
    kind = TextField()
    severity = TextField()
    onset_at = _time()
    other_text = TextField()


class ResolveSideEffectForm(SessionActionForm):
    effect_id = IdField()


class RescueForm(SessionActionForm):
    drug = TextField()
    dose = TextField()
    route = TextField()


class AcknowledgeRescueForm(SessionActionForm):
    rescue_id = IdField()


class NoteForm(SessionActionForm):
    text = TextField()


class DischargeForm(SessionActionForm):
    """The discharge step's answers besides the recovery scores (those are item forms of their
    own, `forms.scales.RecoveryScoreForm`); unsent = unchanged."""

    dissociation_resolved = YesNoUnknownField()
    escort_present = FlagField()
    told_not_to_drive = FlagField()
    overrides = OverridesField()
    discharge = FlagField()

    keep_unless_sent = (
        "dissociation_resolved",
        "escort_present",
        "told_not_to_drive",
    )

    def shown_values(self) -> dict[str, Any]:
        """What the nurse sent, to draw the form again as she left it (a refused discharge)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return {
            "dissociation_resolved": data.get("dissociation_resolved"),
            "escort_present": bool(data.get("escort_present")),
            "told_not_to_drive": bool(data.get("told_not_to_drive")),
            "overrides": dict(data.get("overrides") or {}),
        }


class SignForm(SessionActionForm):
    attestation = TextField()


class AmendForm(SessionActionForm):
    text = TextField()
    reason = TextField()
