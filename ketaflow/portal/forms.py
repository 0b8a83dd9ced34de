"""Staff forms of the portal: issue a link, acknowledge an alert, rules, crisis text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from ketaflow.clinical.instruments import get_instrument
from ketaflow.clinical.questionnaire_schedule import patient_instruments
from ketaflow.portal.models import CrisisResources, RulePhase, RuleScope
from ketaflow.portal.services import MAX_LINK_DAYS, link_days_default
from ketaflow.treatments.models import AssessmentDecision


def _instrument_choices() -> list[tuple[str, str]]:
    return [(c, get_instrument(c).name) for c in patient_instruments()]


class IssueLinkForm(forms.Form):
    instruments = forms.MultipleChoiceField(
        label="Forms to ask for now",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Besides any forms the schedule makes due. Only forms patients may fill in "
        "themselves are offered (licences).",
    )
    expires_in_days = forms.IntegerField(
        label="Link works for (days)", min_value=1, max_value=MAX_LINK_DAYS
    )
    send_email = forms.BooleanField(label="Email the link to the patient", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"expires_in_days": link_days_default()})
        super().__init__(*args, **kwargs)
        field = self.fields["instruments"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _instrument_choices()


class AcknowledgeForm(forms.Form):
    action_note = forms.CharField(
        label="What was done",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="e.g. Called the patient, completed a risk assessment, plan agreed.",
        error_messages={"required": "Say what was done about this alert."},
    )


def _offsets(value: str) -> list[int]:
    try:
        return [int(p) for p in value.replace(" ", "").split(",") if p]
    except ValueError:
        raise forms.ValidationError("Whole numbers separated by commas, e.g. 1, 7.") from None


class RuleForm(forms.Form):
    scope = forms.ChoiceField(choices=RuleScope.choices)
    protocol_code = forms.ChoiceField(label="Protocol", required=False)
    course_id = forms.IntegerField(
        label="Course number", required=False, min_value=1, help_text="For a one-course rule."
    )
    instrument = forms.ChoiceField(label="Form")
    phase = forms.ChoiceField(label="After sessions of", choices=RulePhase.choices)
    offsets_days = forms.CharField(
        label="Days after each session", max_length=60, help_text="e.g. 1, 7"
    )
    repeat_every_days = forms.IntegerField(
        label="Then repeat every (days)", required=False, min_value=1, max_value=365
    )
    window_days = forms.IntegerField(
        label="Open for (days)", min_value=1, max_value=60, help_text="Then it counts as missed."
    )
    reason = forms.CharField(max_length=300, help_text="Why (kept with the rule).")

    def __init__(self, *args: Any, protocols: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        protocol = self.fields["protocol_code"]
        assert isinstance(protocol, forms.ChoiceField)
        protocol.choices = [("", "—"), *protocols]
        instrument = self.fields["instrument"]
        assert isinstance(instrument, forms.ChoiceField)
        instrument.choices = _instrument_choices()

    def clean_offsets_days(self) -> list[int]:
        return _offsets(self.cleaned_data["offsets_days"])


class RetireForm(forms.Form):
    reason = forms.CharField(max_length=300, error_messages={"required": "Say why."})


class CrisisForm(forms.ModelForm):
    """The clinic's crisis numbers; the tick records that a clinician checked them locally.

    The clinic's own number is the clinic's (`Clinic.phone`: the discharge sheet shows it
    too); it is edited here beside the other numbers patients are given.
    """

    clinic_phone = forms.CharField(
        label="Clinic phone number (for patients)", max_length=200, required=False
    )
    field_order = ["clinic_phone", "emergency", "crisis_line", "extra", "checked_locally"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.clinic_id is not None:
            self.fields["clinic_phone"].initial = self.instance.clinic.phone

    class Meta:
        model = CrisisResources
        fields = ["emergency", "crisis_line", "extra", "checked_locally"]
        labels = {
            "emergency": "Emergency number text",
            "crisis_line": "Crisis line text",
            "extra": "Anything else (e.g. local crisis team)",
            "checked_locally": "A clinician has checked these numbers for our patients",
        }


class RiskAssessmentForm(forms.Form):
    """A prescriber's suicide risk assessment before a session (the service checks again)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    cssrs_response_id = forms.TypedChoiceField(
        label="Today's C-SSRS screen",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[],
    )
    risk_level = forms.ChoiceField(
        label="Clinician risk level",
        required=False,
        choices=[
            ("", "from the C-SSRS screen"),
            ("low", "low"),
            ("moderate", "moderate"),
            ("high", "high"),
        ],
    )
    plan = forms.CharField(label="Plan", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    decision = forms.ChoiceField(
        label="Decision", choices=AssessmentDecision.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, screens: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["cssrs_response_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "none today")] + [
            (str(r.pk), f"{r.administered_at:%H:%M} risk {r.risk_level or r.severity}")
            for r in screens
        ]
