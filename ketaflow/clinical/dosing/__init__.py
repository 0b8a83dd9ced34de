"""Dosing: racemic ketamine by mg/kg and weight basis, esketamine by fixed dose, with limits.

Hard limits refuse (`HardLimitExceeded`); soft limits warn and need a prescriber's override
with a reason (`confirm_overrides`). The prescriber chooses and records the weight basis.
"""

from __future__ import annotations

from ketaflow.clinical.dosing.body_weight import (
    WeightBasis,
    adjusted_weight_kg,
    basis_weight_kg,
    body_mass_index,
    devine_ideal_weight_kg,
)
from ketaflow.clinical.dosing.esketamine import EsketamineDose, esketamine_dose
from ketaflow.clinical.dosing.limits import (
    DEFAULT_DOSING_LIMITS,
    DoseNote,
    DosingLimits,
    EsketamineLimits,
    HardLimitExceeded,
    InfusionLimits,
    RouteLimits,
    SoftLimitWarning,
    StepLimits,
    WeightBasisLimits,
)
from ketaflow.clinical.dosing.overrides import SoftLimitOverride, confirm_overrides
from ketaflow.clinical.dosing.racemic import (
    InfusionPlan,
    RacemicDose,
    check_dose_cap,
    check_infusion_hard_limits,
    racemic_dose,
)
from ketaflow.clinical.dosing.steps import EarlierDose, last_tolerated_mg_per_kg, step_warnings

__all__ = [
    "DEFAULT_DOSING_LIMITS",
    "DoseNote",
    "DosingLimits",
    "EarlierDose",
    "EsketamineDose",
    "EsketamineLimits",
    "HardLimitExceeded",
    "InfusionLimits",
    "InfusionPlan",
    "RacemicDose",
    "RouteLimits",
    "SoftLimitOverride",
    "SoftLimitWarning",
    "StepLimits",
    "WeightBasis",
    "WeightBasisLimits",
    "adjusted_weight_kg",
    "basis_weight_kg",
    "body_mass_index",
    "check_dose_cap",
    "check_infusion_hard_limits",
    "confirm_overrides",
    "devine_ideal_weight_kg",
    "esketamine_dose",
    "last_tolerated_mg_per_kg",
    "racemic_dose",
    "step_warnings",
]
