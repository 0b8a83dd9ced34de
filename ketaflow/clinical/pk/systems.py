"""Each model as a linear system dx/dt = A·x + u(t), and a regimen as inputs to it.

States are amounts in mg; outputs are concentrations in ng/mL (mg/L × 1000). This is the form
the exact stepper and the ODE cross-check integrate; the closed form uses the same models
through their eigenvalues instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk.compartment_models import (
    ABSORPTION,
    ESKETAMINE_DEVICE_INTERVAL_MIN,
    ESKETAMINE_DEVICE_MG,
    ESKETAMINE_LATER_DEVICE_FRN,
    EsketamineNasal,
    Mammillary,
    PkRoute,
)
from ketaflow.clinical.pk.schedule import Regimen

FloatArray = NDArray[np.float64]
NG_PER_ML_PER_MG_PER_L = 1000.0


@dataclass(frozen=True)
class LinearSystem:
    """A per patient (N, n, n) in 1/min; outputs (N, m, n) from mg to ng/mL."""

    a: FloatArray
    outputs: FloatArray
    output_names: tuple[str, ...]
    state_names: tuple[str, ...]

    def index(self, state: str) -> int:
        return self.state_names.index(state)


@dataclass(frozen=True)
class Impulse:
    at_min: float
    state: int
    mg: FloatArray  # (N,)


@dataclass(frozen=True)
class RateInput:
    start_min: float
    end_min: float
    state: int
    mg_per_min: FloatArray  # (N,)


@dataclass(frozen=True)
class InputPlan:
    impulses: tuple[Impulse, ...]
    rates: tuple[RateInput, ...]

    def times(self) -> set[float]:
        out = {i.at_min for i in self.impulses}
        for r in self.rates:
            out |= {r.start_min, r.end_min}
        return out


def _depot(route: PkRoute) -> str:
    return f"depot_{route.value}"


def mammillary_system(
    p: Mammillary,
    regimen: Regimen,
    bioavailability: dict[PkRoute, FloatArray],
    ka: dict[PkRoute, FloatArray],
    dose_scale: FloatArray,
    *,
    with_sink: bool = False,
) -> tuple[LinearSystem, InputPlan]:
    """Central + peripherals + one depot per extravascular route used (+ an elimination sink)."""
    n_pat = len(p)
    depots = sorted((r for r in regimen.routes if r is not PkRoute.IV), key=lambda r: r.value)
    names = ["central", "peripheral1"] + (["peripheral2"] if p.three_compartment else [])
    names += [_depot(r) for r in depots] + (["eliminated"] if with_sink else [])
    n = len(names)
    a = np.zeros((n_pat, n, n))
    k10, k12, k21, k13, k31 = p.k10, p.k12, p.k21, p.k13, p.k31
    a[:, 0, 0] = -(k10 + k12 + k13)
    a[:, 0, 1], a[:, 1, 0], a[:, 1, 1] = k21, k12, -k21
    if p.three_compartment:
        a[:, 0, 2], a[:, 2, 0], a[:, 2, 2] = k31, k13, -k31
    for r in depots:
        j = names.index(_depot(r))
        a[:, j, j] = -ka[r]
        a[:, 0, j] = ka[r]
    if with_sink:
        a[:, -1, 0] = k10
    outputs = np.zeros((n_pat, 1, n))
    outputs[:, 0, 0] = NG_PER_ML_PER_MG_PER_L / p.v1
    system = LinearSystem(a, outputs, ("ketamine",), tuple(names))
    impulses = []
    for b in regimen.boluses:
        if b.route is PkRoute.IV:
            impulses.append(Impulse(b.at_min, 0, b.mg * dose_scale))
        else:
            f = bioavailability[b.route]
            impulses.append(Impulse(b.at_min, names.index(_depot(b.route)), b.mg * f * dose_scale))
    rates = tuple(
        RateInput(i.start_min, i.end_min, 0, i.mg_per_min * dose_scale) for i in regimen.infusions
    )
    return system, InputPlan(tuple(impulses), rates)


def default_absorption(n: int) -> tuple[dict[PkRoute, FloatArray], dict[PkRoute, FloatArray]]:
    """Typical bioavailability and ka per extravascular route, as (n,) arrays."""
    f = {r: np.full(n, a.bioavailability) for r, a in ABSORPTION.items()}
    ka = {r: np.full(n, a.ka_per_min) for r, a in ABSORPTION.items()}
    return f, ka


ESKETAMINE_STATES = (
    "nasal",
    "gut",
    "central",
    "peripheral1",
    "peripheral2",
    "liver",
    "nk_central",
    "nk_peripheral",
)


def esketamine_system(
    p: EsketamineNasal, regimen: Regimen, dose_scale: FloatArray, *, with_sink: bool = False
) -> tuple[LinearSystem, InputPlan]:
    """Perez-Ruixo 2021 structure (nlmixr2lib encoding): nasal depot → plasma; swallowed part
    zero-order into the gut, then first-order into a well-stirred liver that exchanges with
    plasma and eliminates (kel) or forms noresketamine (kmet)."""
    names = [*ESKETAMINE_STATES, *(["eliminated"] if with_sink else [])]
    ix = {s: i for i, s in enumerate(names)}
    n_pat, n = len(p), len(names)
    a = np.zeros((n_pat, n, n))

    def flow(src: str, dst: str | None, k: FloatArray) -> None:
        a[:, ix[src], ix[src]] -= k
        if dst is not None:
            a[:, ix[dst], ix[src]] += k

    sink = "eliminated" if with_sink else None
    flow("nasal", "central", p.ka_n)
    flow("gut", "liver", p.ka_sw)
    flow("central", "peripheral1", p.q1 / p.vc)
    flow("peripheral1", "central", p.q1 / p.vp1)
    flow("central", "peripheral2", p.q2 / p.vc)
    flow("peripheral2", "central", p.q2 / p.vp2)
    flow("central", "liver", p.qh / p.vc)
    flow("liver", "central", p.qh / p.vh)
    flow("liver", sink, p.kel)
    flow("liver", "nk_central", p.kmet)
    flow("nk_central", sink, p.cln / p.vcn)
    flow("nk_central", "nk_peripheral", p.q3 / p.vcn)
    flow("nk_peripheral", "nk_central", p.q3 / p.vpn)
    outputs = np.zeros((n_pat, 2, n))
    outputs[:, 0, ix["central"]] = NG_PER_ML_PER_MG_PER_L / p.vc
    outputs[:, 1, ix["nk_central"]] = NG_PER_ML_PER_MG_PER_L / p.vcn
    system = LinearSystem(a, outputs, ("esketamine", "noresketamine"), tuple(names))

    impulses: list[Impulse] = []
    rates: list[RateInput] = [
        RateInput(i.start_min, i.end_min, ix["central"], i.mg_per_min * dose_scale)
        for i in regimen.infusions
    ]
    for b in regimen.boluses:
        if b.route is PkRoute.IV:
            impulses.append(Impulse(b.at_min, ix["central"], b.mg * dose_scale))
            continue
        if b.route is not PkRoute.INTRANASAL:
            raise ClinicalInputError(
                "the esketamine model takes intranasal or IV doses only", field="route"
            )
        for k, at in enumerate(nasal_devices(b.at_min, b.mg)):
            frn = p.frn * (ESKETAMINE_LATER_DEVICE_FRN if k else 1.0)
            mg = ESKETAMINE_DEVICE_MG * dose_scale
            impulses.append(Impulse(at, ix["nasal"], frn * mg))
            swallowed = (1.0 - frn) * p.fgut * mg
            # One common zero-order duration for the batch: d_sw has no variability.
            d_sw = float(p.d_sw[0])
            rates.append(RateInput(at, at + d_sw, ix["gut"], swallowed / d_sw))
    return system, InputPlan(tuple(impulses), tuple(rates))


def nasal_devices(at_min: float, mg: float) -> list[float]:
    """Start times of the 28-mg devices that make up an esketamine nasal dose."""
    devices = mg / ESKETAMINE_DEVICE_MG
    if devices < 1 or abs(devices - round(devices)) > 1e-9:
        raise ClinicalInputError(
            "an esketamine nasal dose is a whole number of 28-mg devices (28, 56, 84 mg)",
            field="dose_mg",
        )
    return [at_min + k * ESKETAMINE_DEVICE_INTERVAL_MIN for k in range(round(devices))]
