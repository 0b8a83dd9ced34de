"""Forms of the screening pages. They parse; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from ketaflow.lib.clock import Clinic, local
from ketaflow.screening.consent_text import DEFAULT_BODY, DEFAULT_TITLE
from ketaflow.screening.models import ConsentMethod, Decision, ObservationKind, ObservationResult
from ketaflow.screening.protocols import DEFAULT_PROTOCOL, protocol_choices

_LOCAL = {"type": "datetime-local"}
_MINUTE = "%Y-%m-%dT%H:%M"


def _now_local() -> str:
    return timezone.localtime().strftime(_MINUTE)


class OpenReviewForm(forms.Form):
    protocol = forms.ChoiceField(choices=protocol_choices, initial=DEFAULT_PROTOCOL)


class SignReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why you decided this; kept with the locked review.",
    )


class ObservationForm(forms.Form):
    kind = forms.ChoiceField(label="What", choices=ObservationKind.choices)
    observed_at = forms.DateTimeField(
        label="Done at",
        widget=forms.DateTimeInput(attrs=_LOCAL, format="%Y-%m-%dT%H:%M"),
        initial=_now_local,
    )
    result = forms.ChoiceField(
        choices=[("", "— (not for a BP)"), *ObservationResult.choices], required=False
    )
    systolic = forms.IntegerField(required=False, label="Systolic (mmHg)", help_text="BP only")
    diastolic = forms.IntegerField(required=False, label="Diastolic (mmHg)", help_text="BP only")
    score = forms.IntegerField(required=False, help_text="STOP-BANG score 0–8, if done")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, clinic: Clinic | None = None, **kwargs: Any) -> None:
        """`clinic`: "done at" starts at the clinic's now, in its zone (the page's zone else)."""
        super().__init__(*args, **kwargs)
        if clinic is not None:
            self.fields["observed_at"].initial = local(timezone.now(), clinic).strftime(_MINUTE)

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["notes"] = data.get("notes") or ""
        data["result"] = data.get("result") or ""
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class SignatureForm(forms.Form):
    typed_name = forms.CharField(
        label="Patient's name, typed by the patient",
        max_length=200,
        help_text="The patient types their full name as their signature.",
    )
    method = forms.ChoiceField(choices=ConsentMethod.choices, initial=ConsentMethod.IN_PERSON)
    confirm = forms.BooleanField(
        label="I witnessed the patient read the document, ask questions and sign it."
    )


class PublishDocumentForm(forms.Form):
    title = forms.CharField(max_length=200, initial=DEFAULT_TITLE)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24}),
        initial=DEFAULT_BODY,
        help_text="Plain language. Starts from Ketaflow's default text; edit it for your clinic.",
    )
    change_summary = forms.CharField(
        max_length=500, required=False, help_text="What changed from the previous version."
    )
    requires_reconsent = forms.BooleanField(
        required=False,
        initial=True,
        label="Patients who signed an earlier version must sign this one before treatment",
    )
