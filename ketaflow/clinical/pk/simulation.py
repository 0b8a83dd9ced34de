"""One patient: a regimen or an administration record in, a predicted concentration curve out.

The closed form serves mammillary models (exact, fastest); the stepper serves everything,
including the esketamine model's zero-order swallowed input, liver loop and metabolite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

import ketaflow.clinical.pk.closed_form as closed_form
import ketaflow.clinical.pk.stepper as stepper
from ketaflow.clinical.administration import AdministrationRecord, Event, validate_events
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk.compartment_models import ABSORPTION, PKModel, PkRoute, Structure
from ketaflow.clinical.pk.schedule import (
    Regimen,
    grid,
    regimen_from_record,
    single_dose,
    validate_regimen,
    validate_times,
)
from ketaflow.clinical.pk.systems import (
    InputPlan,
    LinearSystem,
    esketamine_system,
    mammillary_system,
)

FloatArray = NDArray[np.float64]
Engine = Literal["auto", "closed_form", "stepper"]
MAX_WEIGHT_KG = 350.0


@dataclass(frozen=True)
class Curve:
    """Predicted plasma concentrations (ng/mL) at `times_min` for one patient."""

    model: PKModel
    weight_kg: float
    times_min: FloatArray
    concentration_ng_per_ml: FloatArray
    metabolite_ng_per_ml: FloatArray | None
    engine: str

    @property
    def metabolite(self) -> str | None:
        return self.model.metabolite


def validate_weight(weight_kg: float) -> float:
    if not math.isfinite(weight_kg) or weight_kg <= 0:
        raise ClinicalInputError("weight must be greater than 0 kg", field="weight_kg")
    if weight_kg > MAX_WEIGHT_KG:
        raise ClinicalInputError(f"weight above {MAX_WEIGHT_KG:g} kg", field="weight_kg")
    return float(weight_kg)


def check_routes(model: PKModel, regimen: Regimen) -> None:
    for route in regimen.routes:
        if route not in model.routes:
            allowed = ", ".join(r.value for r in model.routes)
            raise ClinicalInputError(
                f"model {model.key} does not take route {route.value} (it takes {allowed})",
                field="route",
            )


def build_system(
    model: PKModel,
    weight_kg: float,
    regimen: Regimen,
    *,
    bioavailability: dict[PkRoute, float] | None = None,
    with_sink: bool = False,
) -> tuple[LinearSystem, InputPlan]:
    """The model's linear system and the regimen's inputs for one typical patient."""
    one = np.ones(1)
    if model.structure is Structure.ESKETAMINE_NASAL:
        return esketamine_system(model.esketamine(1), regimen, one, with_sink=with_sink)
    f, ka = _absorption(bioavailability)
    return mammillary_system(model.mammillary(weight_kg), regimen, f, ka, one, with_sink=with_sink)


def _absorption(
    override: dict[PkRoute, float] | None,
) -> tuple[dict[PkRoute, FloatArray], dict[PkRoute, FloatArray]]:
    f = {r: np.full(1, a.bioavailability) for r, a in ABSORPTION.items()}
    for route, value in (override or {}).items():
        if not 0.0 < value <= 1.0:
            raise ClinicalInputError("bioavailability must be in (0, 1]", field="bioavailability")
        f[route] = np.full(1, value)
    ka = {r: np.full(1, a.ka_per_min) for r, a in ABSORPTION.items()}
    return f, ka


def simulate(
    model: PKModel,
    weight_kg: float,
    regimen: Regimen,
    times: ArrayLike,
    *,
    engine: Engine = "auto",
    bioavailability: dict[PkRoute, float] | None = None,
) -> Curve:
    """Typical-patient prediction for this weight, regimen and sample times (minutes)."""
    weight = validate_weight(weight_kg)
    t = validate_times(times)
    validate_regimen(regimen)
    check_routes(model, regimen)
    mammillary = model.structure is Structure.MAMMILLARY
    if engine == "closed_form" and not mammillary:
        raise ClinicalInputError(
            f"the closed form covers mammillary models; {model.key} needs the stepper",
            field="engine",
        )
    if engine == "closed_form" or (engine == "auto" and mammillary):
        f, ka = _absorption(bioavailability)
        conc = closed_form.concentrations(
            model.mammillary(weight), regimen, t, bioavailability=f, ka=ka
        )[:, 0]
        return Curve(model, weight, t, conc, None, "closed_form")
    system, plan = build_system(model, weight, regimen, bioavailability=bioavailability)
    out = stepper.simulate(system, plan, t)[:, 0, :]
    metabolite = out[:, 1] if out.shape[1] > 1 else None
    return Curve(model, weight, t, out[:, 0], metabolite, "stepper")


def simulate_record(
    model: PKModel,
    weight_kg: float,
    events: AdministrationRecord | Sequence[Event],
    times: ArrayLike | None = None,
    *,
    until: datetime | None = None,
    after_min: float = 240.0,
    step_min: float = 1.0,
) -> Curve:
    """The predicted curve for a session's actual administration record (IV events).

    Times are minutes from the first dose. A running or paused infusion is projected to stop at
    `until` (e.g. now). Without `times`, samples every `step_min` from 0 to `after_min` past
    the last event.
    """
    record = events if isinstance(events, AdministrationRecord) else validate_events(events)
    regimen = regimen_from_record(record, until=until)
    if times is None:
        times = grid(regimen.last_event_min + after_min, step_min)
    return simulate(model, weight_kg, regimen, times)


@dataclass(frozen=True)
class PlanAndRecord:
    """An IV order's planned course beside the course of what was delivered so far.

    Both curves share one time axis, in minutes from the first dose: `planned` is the ordered
    dose run at a constant rate over the ordered minutes from that start; `delivered` is the
    administration record up to `now_min` with nothing more given after it (a running or
    paused infusion counted as stopped now).
    """

    planned: Curve
    delivered: Curve
    planned_mg: float
    delivered_mg: float
    ordered_minutes: float
    now_min: float

    def at_now(self, curve: Curve) -> float:
        """The curve's concentration at `now_min` (linear between samples)."""
        return float(np.interp(self.now_min, curve.times_min, curve.concentration_ng_per_ml))

    @staticmethod
    def peak(curve: Curve) -> tuple[float, float]:
        """(ng/mL, minute) of the curve's highest sample."""
        i = int(np.argmax(curve.concentration_ng_per_ml))
        return float(curve.concentration_ng_per_ml[i]), float(curve.times_min[i])


def plan_and_record(
    model: PKModel,
    weight_kg: float,
    *,
    ordered_mg: float,
    ordered_minutes: float,
    record: AdministrationRecord,
    now: datetime,
    after_min: float = 120.0,
    step_min: float = 1.0,
) -> PlanAndRecord:
    """The planned course of an IV order and the course of what was delivered by `now`.

    `record` must have a first dose (the planned course starts then). The axis runs to
    `after_min` past the later of the planned end, the last delivery and now.
    """
    start = record.first_dose_at
    if start is None:
        raise ClinicalInputError("nothing given yet: no course to compare", field="events")
    now_min = (now - start).total_seconds() / 60.0
    if now_min < 0:
        raise ClinicalInputError("now is before the first dose", field="now")
    planned = single_dose(PkRoute.IV, ordered_mg, ordered_minutes)
    delivered = regimen_from_record(record, until=now)
    horizon = max(planned.last_event_min, delivered.last_event_min, now_min) + after_min
    times = grid(horizon, step_min)
    return PlanAndRecord(
        planned=simulate(model, weight_kg, planned, times),
        delivered=simulate(model, weight_kg, delivered, times),
        planned_mg=planned.total_mg,
        delivered_mg=delivered.total_mg,
        ordered_minutes=float(ordered_minutes),
        now_min=now_min,
    )
