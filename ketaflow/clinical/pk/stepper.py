"""Exact stepper for any piecewise-constant schedule: x ← Φ·x + Γ·u between breakpoints.

Φ = e^(A·Δt) and Γ = ∫₀^Δt e^(A·s) ds come together from one matrix exponential of the
augmented matrix [[A, I], [0, 0]]·Δt (Van Loan), so the step is exact for constant inputs and
needs no eigenvalues: near-equal rates cost nothing here. Φ and Γ are cached per Δt, so a
uniform output grid costs one matrix exponential per patient.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ketaflow.clinical.pk.systems import InputPlan, LinearSystem

FloatArray = NDArray[np.float64]


def _phi_gamma(a: FloatArray, dt: float) -> tuple[FloatArray, FloatArray]:
    # SciPy on first use: the package's import is on every command's start-up path (the
    # evidence register reads pk.sources), and most commands never simulate.
    from scipy.linalg import expm

    n_pat, n, _ = a.shape
    aug = np.zeros((n_pat, 2 * n, 2 * n))
    aug[:, :n, :n] = a * dt
    aug[:, :n, n:] = np.eye(n) * dt
    e = expm(aug)
    return e[:, :n, :n], e[:, :n, n:]


def simulate_states(system: LinearSystem, plan: InputPlan, times: FloatArray) -> FloatArray:
    """Amounts (T, N, n) in mg at sorted `times` (inputs at a time count at that time)."""
    a = system.a
    n_pat, n, _ = a.shape
    t_out = np.asarray(times, dtype=np.float64)
    points = sorted(plan.times() | set(t_out.tolist()))
    x = np.zeros((n_pat, n))
    states = np.empty((t_out.size, n_pat, n))
    cache: dict[float, tuple[FloatArray, FloatArray]] = {}
    out_index = {float(t): k for k, t in enumerate(t_out)}
    impulses = sorted(plan.impulses, key=lambda i: i.at_min)
    next_impulse = 0
    for k, t in enumerate(points):
        while next_impulse < len(impulses) and impulses[next_impulse].at_min <= t:
            imp = impulses[next_impulse]
            x[:, imp.state] += imp.mg
            next_impulse += 1
        if t in out_index:
            states[out_index[t]] = x
        if k + 1 == len(points):
            break
        dt = points[k + 1] - t
        u = np.zeros((n_pat, n))
        for r in plan.rates:
            if r.start_min <= t < r.end_min:
                u[:, r.state] += r.mg_per_min
        key = round(dt, 12)
        if key not in cache:
            cache[key] = _phi_gamma(a, dt)
        phi, gamma = cache[key]
        x = np.einsum("pij,pj->pi", phi, x) + np.einsum("pij,pj->pi", gamma, u)
    return states


def simulate(system: LinearSystem, plan: InputPlan, times: FloatArray) -> FloatArray:
    """Outputs (T, N, m) in ng/mL at sorted `times`."""
    states = simulate_states(system, plan, times)
    return np.einsum("pmj,tpj->tpm", system.outputs, states)
