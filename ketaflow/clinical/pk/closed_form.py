"""Closed form for mammillary models: sums of exponentials, superposed per dose event.

Plasma concentration after a unit IV bolus is Σ cᵢ·e^(−λᵢt); an infusion, a bolus and a
first-order depot dose each have an exact integral of that, and doses add (the models are
linear). The λᵢ come from the quadratic or the trigonometric cubic root formula, vectorised
over patients (reference section 4). Work is about one exp per time point, mode and event.

Near-equal rates (ka ≈ λᵢ) make the Bateman term (e^(−λt) − e^(−ka·t))/(ka − λ) a 0/0; it is
computed as t·e^(−min·t)·φ(|ka − λ|·t) with φ(x) = (1 − e^(−x))/x evaluated by expm1, which
is exact to rounding at any gap, including zero (where it becomes t·e^(−λt)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ketaflow.clinical.pk.compartment_models import Mammillary, PkRoute
from ketaflow.clinical.pk.schedule import Regimen
from ketaflow.clinical.pk.systems import NG_PER_ML_PER_MG_PER_L

FloatArray = NDArray[np.float64]


def modes(p: Mammillary) -> tuple[FloatArray, FloatArray]:
    """(λ, c), each (N, k): central ng/mL after 1 mg IV bolus is Σ c·e^(−λt). λ ascending."""
    k10, k12, k21 = p.k10, p.k12, p.k21
    if not p.three_compartment:
        s = k10 + k12 + k21
        root = np.sqrt(np.maximum(s * s - 4.0 * k10 * k21, 0.0))
        # Larger root by the formula, smaller by Vieta's product: no cancellation.
        l2 = 0.5 * (s + root)
        l1 = k10 * k21 / l2
        lam = np.stack([l1, l2], axis=1)
        c = np.stack([(k21 - l1) / (l2 - l1), (k21 - l2) / (l1 - l2)], axis=1)
    else:
        k13, k31 = p.k13, p.k31
        a0 = k10 * k21 * k31
        a1 = k10 * k31 + k21 * k31 + k21 * k13 + k10 * k21 + k31 * k12
        a2 = k10 + k12 + k13 + k21 + k31
        # Roots of λ³ − a2·λ² + a1·λ − a0 (all real, positive): trigonometric form.
        p_ = a1 - a2 * a2 / 3.0
        q = -2.0 * a2**3 / 27.0 + a1 * a2 / 3.0 - a0
        r = np.sqrt(np.maximum(-(p_**3) / 27.0, 1e-300))
        phi = np.arccos(np.clip(-q / (2.0 * r), -1.0, 1.0)) / 3.0
        r1 = 2.0 * np.cbrt(r)
        roots = np.stack(
            [r1 * np.cos(phi + 2.0 * np.pi * j / 3.0) + a2 / 3.0 for j in range(3)], axis=1
        )
        lam = np.sort(roots, axis=1)
        c = np.empty_like(lam)
        for i in range(3):
            li = lam[:, i]
            others = [lam[:, j] for j in range(3) if j != i]
            c[:, i] = (k21 - li) * (k31 - li) / ((others[0] - li) * (others[1] - li))
    return lam, c * (NG_PER_ML_PER_MG_PER_L / p.v1)[:, None]


def phi1(x: FloatArray) -> FloatArray:
    """(1 − e^(−x))/x for x ≥ 0, with φ(0) = 1; accurate for tiny x via expm1."""
    safe = np.where(x > 0.0, x, 1.0)
    return np.where(x > 0.0, -np.expm1(-safe) / safe, 1.0)


def concentrations(
    p: Mammillary,
    regimen: Regimen,
    times: FloatArray,
    *,
    bioavailability: dict[PkRoute, FloatArray] | None = None,
    ka: dict[PkRoute, FloatArray] | None = None,
    dose_scale: FloatArray | None = None,
    out: FloatArray | None = None,
    lam_c: tuple[FloatArray, FloatArray] | None = None,
) -> FloatArray:
    """Central concentration (T, N) in ng/mL at sorted `times` for N patients.

    `dose_scale` multiplies every amount per patient (mg/kg regimens); `out` may be a
    preallocated (T, N) view to fill, which is how the population code avoids copies.
    """
    lam, c = lam_c if lam_c is not None else modes(p)
    n = lam.shape[0]
    scale = np.ones(n) if dose_scale is None else dose_scale
    t = np.asarray(times, dtype=np.float64)
    if out is None:
        out = np.zeros((t.size, n))
    else:
        out[...] = 0.0
    buf = np.empty((t.size, n))

    for inf in regimen.infusions:
        j0 = int(np.searchsorted(t, inf.start_min, "left"))
        j1 = int(np.searchsorted(t, inf.end_min, "left"))
        duration = inf.end_min - inf.start_min
        for i in range(lam.shape[1]):
            li = lam[:, i]
            amp = inf.mg_per_min * scale * c[:, i] / li  # plateau of this mode
            if j1 > j0:  # during: amp·(1 − e^(−λτ))
                b = buf[j0:j1]
                np.multiply((inf.start_min - t[j0:j1])[:, None], li[None, :], out=b)
                np.expm1(b, out=b)
                b *= amp
                out[j0:j1] -= b
            if j1 < t.size:  # after: amp·(1 − e^(−λD))·e^(−λ(t − end))
                b = buf[j1:]
                np.multiply((inf.end_min - t[j1:])[:, None], li[None, :], out=b)
                np.exp(b, out=b)
                b *= -amp * np.expm1(-li * duration)
                out[j1:] += b

    for bol in regimen.boluses:
        j = int(np.searchsorted(t, bol.at_min, "left"))
        if j >= t.size:
            continue
        tau = (t[j:] - bol.at_min)[:, None]
        b = buf[j:]
        if bol.route is PkRoute.IV:
            for i in range(lam.shape[1]):
                np.multiply(-tau, lam[None, :, i], out=b)
                np.exp(b, out=b)
                b *= bol.mg * scale * c[:, i]
                out[j:] += b
            continue
        if bioavailability is None or ka is None:
            raise ValueError("extravascular doses need bioavailability and ka")
        f, k_a = bioavailability[bol.route], ka[bol.route]
        for i in range(lam.shape[1]):
            li = lam[:, i]
            low = np.minimum(li, k_a)[None, :]
            gap = np.abs(k_a - li)[None, :]
            term = tau * np.exp(-tau * low) * phi1(tau * gap)
            out[j:] += term * (bol.mg * scale * f * k_a * c[:, i])
    return out
