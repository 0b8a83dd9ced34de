"""The PK explorer's regimen form: model, weight, route, dose, duration, horizon, population N."""

from __future__ import annotations

from typing import Any

from django import forms

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk import DEFAULT_MODEL, MODELS, PkRoute, Regimen, get_model, single_dose

MAX_WEB_PATIENTS = 20_000
_FIELD_FOR = {"mg_per_kg": "mg_per_kg", "minutes": "minutes", "dose_mg": "dose_mg",
              "weight_kg": "weight_kg", "route": "route", "times": "horizon_min"}  # fmt: skip


class RegimenForm(forms.Form):
    model = forms.ChoiceField(
        choices=[(k, m.name) for k, m in MODELS.items()], initial=DEFAULT_MODEL
    )
    weight_kg = forms.FloatField(label="Weight (kg)", min_value=0.1, max_value=350, initial=70)
    route = forms.ChoiceField(
        choices=[(r.value, r.value.upper() if r is PkRoute.IV else r.value) for r in PkRoute],
        initial=PkRoute.IV.value,
    )
    mg_per_kg = forms.FloatField(
        label="Dose (mg/kg)", required=False, min_value=0.001, max_value=10, initial=0.5,
        help_text="Racemic ketamine. Leave empty for esketamine nasal spray.",
    )  # fmt: skip
    dose_mg = forms.FloatField(
        label="Dose (mg)", required=False, min_value=1, max_value=1000,
        help_text="Esketamine nasal spray: 28, 56 or 84 mg.",
    )  # fmt: skip
    minutes = forms.FloatField(
        label="Infusion (min)", required=False, min_value=0.1, max_value=1440, initial=40,
        help_text="IV only; leave empty for a bolus.",
    )  # fmt: skip
    horizon_min = forms.FloatField(
        label="Show up to (min)", min_value=1, max_value=2880, initial=240
    )
    population_n = forms.IntegerField(
        label="Virtual patients (optional)", required=False, min_value=10,
        max_value=MAX_WEB_PATIENTS, help_text="Adds the 5th–95th percentile band.",
    )  # fmt: skip
    seed = forms.IntegerField(required=False, min_value=0, initial=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        model = get_model(data["model"])
        route = PkRoute(data["route"])
        mg_per_kg, dose_mg, minutes = (
            data.get("mg_per_kg"),
            data.get("dose_mg"),
            data.get("minutes"),
        )
        if route not in model.routes:
            allowed = ", ".join(r.value for r in model.routes)
            self.add_error("route", f"{model.name} takes {allowed} only.")
            return data
        if (mg_per_kg is None) == (dose_mg is None):
            self.add_error("mg_per_kg", "Give a dose in mg/kg or in mg, not both.")
            return data
        if mg_per_kg is not None and not model.uses_weight:
            self.add_error("mg_per_kg", f"{model.name} has no weight covariate: give mg.")
            return data
        if route is not PkRoute.IV:
            minutes = None
        try:
            per_kg = mg_per_kg is not None
            amount = float(mg_per_kg if mg_per_kg is not None else dose_mg or 0.0)
            base = single_dose(route, amount, minutes)
        except ClinicalInputError as exc:
            self.add_error(_FIELD_FOR.get(exc.field or ""), exc.message)
            return data
        data["per_kg"] = per_kg
        data["base_regimen"] = base
        data["regimen"] = base.scaled(data["weight_kg"]) if per_kg else base
        return data

    @property
    def regimen(self) -> Regimen:
        return self.cleaned_data["regimen"]
