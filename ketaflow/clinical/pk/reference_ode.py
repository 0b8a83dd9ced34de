"""The same linear systems integrated by SciPy's `solve_ivp`: an independent check, not an engine.

Used by tests (agreement with the closed form and the stepper) and by the benchmark (what the
general-purpose route costs). Impulses are applied between integration pieces.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from ketaflow.clinical.pk.systems import InputPlan, LinearSystem

FloatArray = NDArray[np.float64]


def simulate(
    system: LinearSystem,
    plan: InputPlan,
    times: FloatArray,
    *,
    patient: int = 0,
    method: str = "LSODA",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> FloatArray:
    """Outputs (T, m) in ng/mL for one patient of the batch."""
    a = system.a[patient]
    n = a.shape[0]
    t_out = np.asarray(times, dtype=np.float64)
    cuts = sorted(plan.times() | {float(t_out[0]), float(t_out[-1])})
    cuts = [c for c in cuts if c <= t_out[-1]]
    x = np.zeros(n)
    result = np.zeros((t_out.size, n))
    for k, start in enumerate(cuts):
        for imp in plan.impulses:
            if imp.at_min == start:
                x[imp.state] += imp.mg[patient]
        hits = np.flatnonzero(t_out == start)
        result[hits] = x
        if k + 1 == len(cuts):
            break
        end = cuts[k + 1]
        u = np.zeros(n)
        for r in plan.rates:
            if r.start_min <= start < r.end_min:
                u[r.state] += r.mg_per_min[patient]
        inside = t_out[(t_out > start) & (t_out < end)]
        sol = solve_ivp(
            lambda _t, y, u=u: a @ y + u,
            (start, end),
            x,
            method=method,
            t_eval=np.concatenate([inside, [end]]),
            rtol=rtol,
            atol=atol,
            jac=lambda _t, _y: a,
        )
        if inside.size:
            result[np.searchsorted(t_out, inside)] = sol.y[:, :-1].T
        x = sol.y[:, -1]
    return result @ system.outputs[patient].T
