"""Forms that parse the patient pages' input into plain values for the services.

The forms only parse and describe (labels, units, ranges); the services decide what is valid
for the chart and their `ValidationError`s land on the same fields (`add_service_errors`).
Chart entry forms are built from `patients.entries`, so a new kind of entry needs no form code.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db import models

from ketaflow.audit.history import RecordStatus
from ketaflow.lib.forms import DateInput
from ketaflow.lib.units import HEIGHT_RANGE_CM, WEIGHT_RANGE_KG
from ketaflow.patients.codes import MedicationClass
from ketaflow.patients.entries import EntryKind
from ketaflow.patients.models import Patient
from ketaflow.patients.services import DEMOGRAPHIC_FIELDS

if TYPE_CHECKING:
    PatientModelForm = forms.ModelForm[Patient]
    AnyModelForm = forms.ModelForm[Any]
else:  # the generic alias exists only for the type checker
    PatientModelForm = AnyModelForm = forms.ModelForm

_UK_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def _formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """Model field → form field, with the date picker for dates."""
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        kwargs.setdefault("widget", DateInput())
    return field.formfield(**kwargs)


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Find a patient",
        required=False,
        max_length=100,
        help_text="Name, MRN, or date of birth (YYYY-MM-DD or DD/MM/YYYY).",
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "placeholder": "e.g. Doe, KF-000001"}
        ),
    )

    def clean_q(self) -> str:
        """Accept a day-first date as typed at a desk and hand the selector an ISO date."""
        query: str = self.cleaned_data["q"].strip()
        match = _UK_DATE.match(query)
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                raise forms.ValidationError("That is not a real date.") from None
        return query


class PatientForm(PatientModelForm):
    """Demographics as registered; the MRN may be left blank to take the clinic's next one."""

    class Meta:
        model = Patient
        fields = DEMOGRAPHIC_FIELDS
        formfield_callback = _formfield
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "mrn": "Leave blank to assign the clinic's next number (KF-000123).",
            "date_of_birth": "Patients must be adults; no more than 120 years ago.",
            "phone": "Include the country code if outside the clinic's country.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mrn"].required = False

    def _post_clean(self) -> None:
        """Skip ModelForm's model validation: the service validates, with the clinic known."""

    def values(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in DEMOGRAPHIC_FIELDS if f in self.cleaned_data}


class DifferentPersonForm(forms.Form):
    """After a likely-duplicate warning: the person at the desk is someone else.

    `warned_about` carries the patients the warning named, so a tick given for one warning
    does not wave through a different likely duplicate (after the name or phone is changed).
    """

    different_person = forms.BooleanField(
        required=False, label="This is a different person: register them anyway"
    )
    warned_about = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    @classmethod
    def warning(cls, patient_ids: list[int]) -> DifferentPersonForm:
        return cls(initial={"warned_about": ",".join(str(pk) for pk in patient_ids)})

    def confirmed(self, patient_ids: list[int]) -> bool:
        """Ticked, for a warning that named every one of these patients."""
        if not self.is_bound or not self.is_valid() or not self.cleaned_data["different_person"]:
            return False
        seen = {int(p) for p in self.cleaned_data["warned_about"].split(",") if p.isdigit()}
        return set(patient_ids) <= seen


class ReasonForm(forms.Form):
    """Why a record changes: kept with the previous values in its history."""

    reason = forms.CharField(
        label="Reason for the change",
        max_length=300,
        help_text="Required. Kept in the record's history with your name and the time.",
        error_messages={"required": "Say why the record is being changed."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class _ChangesRequired:
    """An amendment must change something; saying so beats a silent no-op."""

    changed_data: list[str]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        if not set(self.changed_data) - {"reason"}:
            raise forms.ValidationError("Nothing was changed: edit a value, or cancel.")
        return cleaned


class AmendPatientForm(_ChangesRequired, PatientForm):
    reason = ReasonForm.base_fields["reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mrn"].required = True
        self.fields["mrn"].help_text = "Unique within the clinic."

    def changes(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.changed_data if f in DEMOGRAPHIC_FIELDS}


# ----------------------------------------------------------------- chart entries

_WEIGHT = f"{WEIGHT_RANGE_KG[0]}–{WEIGHT_RANGE_KG[1]} kg"
_HEIGHT = f"{HEIGHT_RANGE_CM[0]}–{HEIGHT_RANGE_CM[1]} cm"
MEASUREMENT_UNITS = (
    ("kg", "kg (weight)"),
    ("lb", "lb (weight)"),
    ("cm", "cm (height)"),
    ("in", "in (height)"),
)


class _ResultSelect(forms.NullBooleanSelect):
    """A pregnancy test result: none yet, positive or negative."""

    def __init__(self) -> None:
        super().__init__()
        self.choices = [("unknown", "No result"), ("true", "Positive"), ("false", "Negative")]


def _yes(value: object) -> bool:
    return value is True or value == "True"


#: The "not known" answer of a yes / no / not known question (stored as None).
NOT_KNOWN = "unknown"


def _yes_no_unknown(value: object) -> bool | None:
    if value is True or value == "True":
        return True
    if value is False or value == "False":
        return False
    return None


_OVERRIDES: dict[str, dict[str, Any]] = {
    "classes": {
        "field": lambda: forms.MultipleChoiceField(
            label="Classes",
            required=False,
            choices=MedicationClass.choices,
            widget=forms.CheckboxSelectMultiple,
            help_text="Tick every class that applies: they drive screening and dosing checks.",
        )
    },
    "entered_unit": {
        "field": lambda: forms.ChoiceField(
            label="Unit",
            choices=MEASUREMENT_UNITS,
            help_text="Weight in kg or lb; height in cm or in. Stored as kg and cm.",
        )
    },
    "entered_value": {
        "label": "Value",
        "help_text": f"Adult ranges: weight {_WEIGHT}, height {_HEIGHT}.",
    },
    "diazepam_equivalent_mg_per_day": {
        "label": "Diazepam-equivalent (mg/day)",
        "help_text": "Required for benzodiazepines: total daily dose as diazepam mg, 0–500.",
    },
    "test_positive": {
        "field": lambda: forms.NullBooleanField(
            label="Test result", required=False, widget=_ResultSelect()
        )
    },
    "dose": {"help_text": "Strength and frequency, e.g. 10 mg twice daily."},
    "other_code": {"label": "Other ICD-10 code"},
    "is_primary": {"label": "Primary diagnosis"},
    # Asked, never defaulted: an unticked box would record "not adequate" without anyone
    # having judged it, and adequacy decides whether a failed trial counts for eligibility.
    # "Not known" is an answer (stored as None) and does not count as adequate.
    "adequate": {
        "field": lambda: forms.TypedChoiceField(
            label="Adequate trial",
            choices=[("True", "Yes"), ("False", "No"), (NOT_KNOWN, "Not known")],
            coerce=_yes_no_unknown,
            empty_value=None,
            widget=forms.RadioSelect,
            help_text="Adequate dose for at least 6–8 weeks, or a full course of therapy. "
            "Not known does not count towards eligibility until it is established.",
            error_messages={"required": "Say whether this was an adequate trial."},
        )
    },
}
#: Entry fields that say when something was observed or measured: they start at the clinic's
#: today (a start or onset date is asked, never assumed).
RECORDED_ON_FIELDS = ("observed_on", "measured_on")


def _entry_formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field:
    override = _OVERRIDES.get(field.name, {})
    if "field" in override:
        made: forms.Field = override["field"]()
        return made
    kwargs.update({k: v for k, v in override.items() if k in {"label", "help_text"}})
    form_field = _formfield(field, **kwargs)
    if form_field is None:  # only auto/primary keys, which no entry kind lists
        raise LookupError(f"{field.name} cannot be edited in a form")
    return form_field


class EntryForm(AnyModelForm):
    """Base of the generated chart-entry forms: parses, the service validates."""

    kind: EntryKind

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        """`today`: the clinic's today, which "observed on" and "measured on" start at."""
        super().__init__(*args, **kwargs)
        answered = self.initial.get("adequate", NOT_KNOWN)
        if "adequate" in self.fields and answered is None:  # amending a "not known" answer
            self.initial["adequate"] = NOT_KNOWN
        if today is not None:
            for name in RECORDED_ON_FIELDS:
                if name in self.fields and self.initial.get(name) is None:
                    self.fields[name].initial = today

    def _post_clean(self) -> None:
        """Skip ModelForm's model validation: `add_entry`/`amend_entry` run it, with the patient."""

    def values(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.kind.fields if f in self.cleaned_data}

    def changes(self) -> dict[str, Any]:
        allowed = (*self.kind.fields, "status")
        return {f: self.cleaned_data[f] for f in self.changed_data if f in allowed}


@cache
def entry_form_class(kind: EntryKind) -> type[EntryForm]:
    """A form for adding one kind of chart entry, from the kind's model fields."""
    form_class = cast(
        type[EntryForm],
        forms.modelform_factory(
            kind.model, form=EntryForm, fields=kind.fields, formfield_callback=_entry_formfield
        ),
    )
    form_class.kind = kind
    for name in ("notes",):
        if name in form_class.base_fields:
            form_class.base_fields[name].widget = forms.Textarea(attrs={"rows": 2})
    return form_class


@cache
def amend_form_class(kind: EntryKind) -> type[EntryForm]:
    """The add form plus the entry's status and a required reason."""
    fields: dict[str, forms.Field] = {
        "status": forms.ChoiceField(
            label="Status",
            choices=RecordStatus.choices,
            help_text="Inactive: stopped or resolved. Use 'Mark entered in error' for mistakes.",
        ),
        "reason": ReasonForm.base_fields["reason"],
    }
    bases = (_ChangesRequired, entry_form_class(kind))
    return type(f"Amend{kind.model.__name__}Form", bases, fields)
