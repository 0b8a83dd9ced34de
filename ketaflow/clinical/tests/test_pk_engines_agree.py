"""Closed form, exact stepper and solve_ivp agree; near-equal rates do not blow up."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.clinical.pk import (
    MODELS,
    Bolus,
    Infusion,
    PkRoute,
    Regimen,
    closed_form,
    reference_ode,
    simulate,
    stepper,
)
from ketaflow.clinical.pk.compartment_models import ABSORPTION
from ketaflow.clinical.pk.simulation import build_system
from ketaflow.clinical.pk.systems import mammillary_system

T = np.arange(0.0, 481.0, 2.0)
MIXED = Regimen(
    infusions=(Infusion(0, 25, 0.6), Infusion(31, 52, 0.9)),
    boluses=(Bolus(0, 5), Bolus(10, 30, PkRoute.IM), Bolus(15, 40, PkRoute.ORAL),
             Bolus(60, 20, PkRoute.SC), Bolus(90, 15, PkRoute.INTRANASAL)),
)  # fmt: skip
RACEMIC = ["domino", "clements", "hijazi", "kamp", "herd"]


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("key", RACEMIC)
def test_closed_form_and_stepper_agree_to_1e9_for_every_route(key):
    model = MODELS[key]
    a = simulate(model, 82, MIXED, T, engine="closed_form").concentration_ng_per_ml
    b = simulate(model, 82, MIXED, T, engine="stepper").concentration_ng_per_ml
    assert rel(a, b) < 1e-9


@pytest.mark.parametrize("key", ["domino", "herd"])
def test_closed_form_agrees_with_solve_ivp(key):
    model = MODELS[key]
    system, plan = build_system(model, 82, MIXED)
    ode = reference_ode.simulate(system, plan, T)[:, 0]
    exact = simulate(model, 82, MIXED, T).concentration_ng_per_ml
    assert rel(exact, ode) < 1e-7


def test_esketamine_stepper_agrees_with_solve_ivp_for_parent_and_metabolite():
    model = MODELS["esketamine-nasal"]
    regimen = Regimen(
        boluses=(Bolus(0, 84, PkRoute.INTRANASAL),), infusions=(Infusion(200, 220, 1.0),)
    )
    curve = simulate(model, 70, regimen, T)
    system, plan = build_system(model, 70, regimen)
    ode = reference_ode.simulate(system, plan, T)
    assert curve.engine == "stepper"
    assert rel(curve.concentration_ng_per_ml, ode[:, 0]) < 1e-7
    assert rel(curve.metabolite_ng_per_ml, ode[:, 1]) < 1e-7


@pytest.mark.parametrize("nudge", [0.0, 1e-15, 1e-12, 1e-9, 1e-6, -1e-9, -1e-6])
@pytest.mark.parametrize("mode", [0, 1])
def test_absorption_rate_equal_to_a_disposition_rate_is_exact_without_blow_up(nudge, mode):
    model = MODELS["herd"]
    p = model.mammillary(70)
    lam, _ = closed_form.modes(p)
    ka = {r: np.array([lam[0, mode] * (1 + nudge)]) for r in ABSORPTION}
    f = {r: np.array([0.8]) for r in ABSORPTION}
    regimen = Regimen(boluses=(Bolus(0, 50, PkRoute.IM),))
    cf = closed_form.concentrations(p, regimen, T, bioavailability=f, ka=ka)[:, 0]
    system, plan = mammillary_system(p, regimen, f, ka, np.ones(1))
    st = stepper.simulate(system, plan, T)[:, 0, 0]
    assert np.all(np.isfinite(cf))
    assert rel(cf, st) < 1e-9


def test_the_closed_form_refuses_the_esketamine_model_and_auto_picks_the_stepper():
    from ketaflow.clinical.errors import ClinicalInputError

    regimen = Regimen(boluses=(Bolus(0, 56, PkRoute.INTRANASAL),))
    with pytest.raises(ClinicalInputError):
        simulate(MODELS["esketamine-nasal"], 70, regimen, T, engine="closed_form")
    assert simulate(MODELS["esketamine-nasal"], 70, regimen, T).engine == "stepper"
