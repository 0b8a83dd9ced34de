"""Property tests: linearity in dose, non-negativity, superposition, stepper = closed form."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaflow.clinical.pk import MODELS, Bolus, Infusion, PkRoute, Regimen, simulate

RACEMIC = ["domino", "clements", "hijazi", "kamp", "herd"]
T = np.arange(0.0, 361.0, 3.0)

models = st.sampled_from(RACEMIC)
weights = st.floats(30, 150)
routes = st.sampled_from(list(PkRoute))


@st.composite
def regimens(draw: st.DrawFn) -> Regimen:
    infusions = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.floats(0, 200))
        length = draw(st.floats(0.5, 90))
        infusions.append(Infusion(start, start + length, draw(st.floats(0, 3))))
    boluses = [
        Bolus(draw(st.floats(0, 300)), draw(st.floats(0, 60)), draw(routes))
        for _ in range(draw(st.integers(0, 3)))
    ]
    if not infusions and not boluses:
        boluses.append(Bolus(0.0, 10.0))
    return Regimen(tuple(infusions), tuple(boluses))


def conc(key, w, r, engine="auto"):
    return simulate(MODELS[key], w, r, T, engine=engine).concentration_ng_per_ml


def scale(c):
    return max(float(np.max(np.abs(c))), 1e-12)


@settings(max_examples=40, deadline=None)
@given(models, weights, regimens(), st.floats(0.01, 20))
def test_concentration_is_linear_in_dose(key, w, r, k):
    a, b = conc(key, w, r.scaled(k)), conc(key, w, r)
    assert np.max(np.abs(a - k * b)) <= 1e-9 * scale(a)


@settings(max_examples=40, deadline=None)
@given(models, weights, regimens())
def test_concentration_is_never_negative(key, w, r):
    assert np.all(conc(key, w, r) >= -1e-9 * scale(conc(key, w, r)))


@settings(max_examples=40, deadline=None)
@given(models, weights, regimens(), regimens())
def test_two_regimens_together_give_the_sum_of_their_curves(key, w, r1, r2):
    both = Regimen(r1.infusions + r2.infusions, r1.boluses + r2.boluses)
    total = conc(key, w, both)
    assert np.max(np.abs(total - conc(key, w, r1) - conc(key, w, r2))) <= 1e-9 * scale(total)


@settings(max_examples=25, deadline=None)
@given(models, weights, regimens())
def test_the_stepper_equals_the_closed_form_for_random_schedules(key, w, r):
    a, b = conc(key, w, r, "closed_form"), conc(key, w, r, "stepper")
    assert np.max(np.abs(a - b)) <= 1e-9 * scale(a)
