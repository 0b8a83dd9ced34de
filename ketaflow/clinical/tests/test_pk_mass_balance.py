"""Mass balance: drug in the body plus drug eliminated equals drug delivered, at every time."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.clinical.pk import MODELS, Bolus, Infusion, PkRoute, Regimen
from ketaflow.clinical.pk.compartment_models import ABSORPTION, ESKETAMINE_TYPICAL
from ketaflow.clinical.pk.simulation import build_system
from ketaflow.clinical.pk.stepper import simulate_states

T = np.arange(0.0, 601.0, 5.0)


@pytest.mark.parametrize("key", ["domino", "clements", "hijazi", "kamp", "herd"])
def test_amount_in_body_plus_eliminated_equals_the_delivered_dose(key):
    regimen = Regimen(
        infusions=(Infusion(0, 40, 0.875), Infusion(100, 110, 2.0)),
        boluses=(Bolus(200, 10), Bolus(250, 30, PkRoute.ORAL)),
    )
    system, plan = build_system(MODELS[key], 70, regimen, with_sink=True)
    total = simulate_states(system, plan, T)[:, 0, :].sum(axis=1)
    f_oral = ABSORPTION[PkRoute.ORAL].bioavailability
    delivered = (
        0.875 * np.clip(T, 0, 40)
        + 2.0 * np.clip(T - 100, 0, 10)
        + 10 * (T >= 200)
        + 30 * f_oral * (T >= 250)
    )
    np.testing.assert_allclose(total, delivered, rtol=1e-10, atol=1e-10)


def test_esketamine_mass_is_conserved_through_liver_metabolite_and_sinks():
    system, plan = build_system(
        MODELS["esketamine-nasal"], 70, Regimen(boluses=(Bolus(0, 28, PkRoute.INTRANASAL),)),
        with_sink=True,
    )  # fmt: skip
    total = simulate_states(system, plan, T)[:, 0, :].sum(axis=1)
    frn, fgut, d_sw = (ESKETAMINE_TYPICAL[k] for k in ("frn", "fgut", "d_sw"))
    swallowed = (1 - frn) * fgut * 28 * np.clip(T / d_sw, 0, 1)
    np.testing.assert_allclose(total, frn * 28 + swallowed, rtol=1e-10)
