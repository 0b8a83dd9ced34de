"""The dashboard's filter form (GET): diagnosis group, route, protocol, start-date range."""

from __future__ import annotations

from typing import Any

from django import forms

from ketaflow.lib.forms import DateInput
from ketaflow.outcomes.dashboard import DashboardFilters


class DashboardFilterForm(forms.Form):
    diagnosis_group = forms.ChoiceField(required=False, label="Diagnosis (ICD-10 group)")
    route = forms.ChoiceField(required=False)
    protocol_code = forms.ChoiceField(required=False, label="Protocol")
    started_from = forms.DateField(required=False, label="Courses started from", widget=DateInput())
    started_to = forms.DateField(required=False, label="to", widget=DateInput())

    def __init__(self, *args: Any, options: dict[str, tuple[str, ...]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, values in options.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "All"), *((v, v) for v in values)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lo, hi = data.get("started_from"), data.get("started_to")
        if lo and hi and lo > hi:
            self.add_error("started_to", "The end date is before the start date.")
        return data

    def filters(self) -> DashboardFilters:
        if not self.is_valid():
            return DashboardFilters()
        d = self.cleaned_data
        return DashboardFilters(
            diagnosis_group=d.get("diagnosis_group") or "",
            route=d.get("route") or "",
            protocol_code=d.get("protocol_code") or "",
            started_from=d.get("started_from"),
            started_to=d.get("started_to"),
        )
