"""Every synthetic order is one the core would accept: within the rate ceiling and mg cap."""

from __future__ import annotations

from datetime import date

from ketaflow.clinical.dosing import (
    DEFAULT_DOSING_LIMITS,
    WeightBasis,
    esketamine_dose,
    racemic_dose,
)
from ketaflow.clinical.routes import Route
from ketaflow.synthetic.generator import SynthConfig, generate

WHY = "actual body weight, as the trials dosed"


def test_every_generated_order_passes_the_cores_hard_limits() -> None:
    patients = list(generate(SynthConfig(seed=11, patients=300, today=date(2026, 11, 2))))
    checked = 0
    for p in patients:
        for s in p.course.sessions:
            o = s.order
            route = Route(o.route)
            if o.mg_per_kg is None:
                assert esketamine_dose(o.dose_mg, age_years=40, first_dose=False).dose_mg
                continue
            dose = racemic_dose(
                route,
                o.mg_per_kg,
                p.weight_kg,
                basis=WeightBasis.ACTUAL,
                basis_reason=WHY,
                height_cm=p.height_cm,
                minutes=o.minutes,
            )
            assert dose.dose_mg <= (DEFAULT_DOSING_LIMITS.max_dose_mg(route) or 0)
            if dose.infusion is not None:
                ceiling = DEFAULT_DOSING_LIMITS.infusion.hard_max_mg_per_kg_per_h.value
                assert dose.infusion.mg_per_kg_per_h <= ceiling
            checked += 1
    assert checked > 100
