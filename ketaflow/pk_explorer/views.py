"""The PK explorer: a regimen in, a predicted curve (or percentile band) out, with the model's
source, status flag and caveats. Read-only what-if arithmetic: no patient data, so any signed-in
member of staff may use it."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from ketaflow.accounts.models import User
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Role
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk import (
    ABSORPTION,
    PkRoute,
    WeightDistribution,
    get_model,
    grid,
    population,
    simulate,
)
from ketaflow.lib.charts import band_figure, curve_figure, inline_svg
from ketaflow.pk_explorer.forms import RegimenForm

_MILESTONES = (40.0, 80.0, 110.0, 230.0)


def may_use(user: User) -> bool:
    """Who may open the explorer: an active member of staff with a role (the navigation asks
    this too, so the link is drawn exactly for those who get the page)."""
    return bool(user.is_active and user.role in Role.values)


@login_required
@require_GET
def explorer(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not may_use(user):
        raise PermissionDenied("The PK explorer is for clinic staff.")
    submitted = "model" in request.GET
    form = RegimenForm(request.GET if submitted else None)
    context: dict[str, Any] = {"form": form, "result": None}
    if submitted and form.is_valid():
        try:
            context["result"] = _result(form)
        except ClinicalInputError as exc:
            form.add_error(None, str(exc))
    return render(request, "pk_explorer/explorer.html", context)


def _result(form: RegimenForm) -> dict[str, Any]:
    data = form.cleaned_data
    model = get_model(data["model"])
    route = PkRoute(data["route"])
    times = grid(data["horizon_min"], max(1.0, data["horizon_min"] / 600.0))
    curve = simulate(model, data["weight_kg"], form.regimen, times)
    n = data.get("population_n")
    summary = None
    if n:
        summary = population(
            model,
            data["base_regimen"],
            n=n,
            weight=WeightDistribution(data["weight_kg"]),
            times=times,
            seed=data.get("seed"),
            per_kg=data["per_kg"],
        )
    fig = band_figure(summary) if summary is not None else curve_figure(curve)
    conc = curve.concentration_ng_per_ml
    peak = int(np.argmax(conc))
    milestones = [
        (t, float(np.interp(t, curve.times_min, conc)))
        for t in _MILESTONES
        if t <= curve.times_min[-1]
    ]
    return {
        "model": model,
        "curve": curve,
        "summary": summary,
        "svg": mark_safe(inline_svg(fig)),
        "cmax": float(conc[peak]),
        "tmax": float(curve.times_min[peak]),
        "milestones": milestones,
        "dose_mg": form.regimen.total_mg,
        "absorption": ABSORPTION.get(route) if model.structure.value == "mammillary" else None,
    }
