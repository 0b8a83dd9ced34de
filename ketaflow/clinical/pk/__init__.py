"""Pharmacokinetic simulator: predicted plasma ketamine for any dosing record.

Decision support and education, not control of an infusion pump. Models and numbers come from
shared/reference/pharmacokinetics.md; see docs/pk.md for what the simulator is and is not.
"""

from ketaflow.clinical.pk.compartment_models import (
    ABSORPTION,
    DEFAULT_MODEL,
    MODELS,
    Absorption,
    PKModel,
    PkRoute,
    Structure,
    Variability,
    get_model,
)
from ketaflow.clinical.pk.population import (
    PopulationSummary,
    WeightDistribution,
    population,
    sample_patients,
)
from ketaflow.clinical.pk.schedule import (
    Bolus,
    Infusion,
    Regimen,
    grid,
    regimen_from_record,
    single_dose,
)
from ketaflow.clinical.pk.simulation import (
    Curve,
    PlanAndRecord,
    plan_and_record,
    simulate,
    simulate_record,
)
from ketaflow.clinical.pk.summary import Distribution

__all__ = [
    "ABSORPTION",
    "DEFAULT_MODEL",
    "MODELS",
    "Absorption",
    "Bolus",
    "Curve",
    "Distribution",
    "Infusion",
    "PKModel",
    "PkRoute",
    "PlanAndRecord",
    "PopulationSummary",
    "Regimen",
    "Structure",
    "Variability",
    "WeightDistribution",
    "get_model",
    "grid",
    "plan_and_record",
    "population",
    "regimen_from_record",
    "sample_patients",
    "simulate",
    "simulate_record",
    "single_dose",
]
