"""Body-weight arithmetic for mg/kg dosing: ideal (Devine), adjusted, BMI, basis weight.

The reference (section 3.1) finds no guideline for the weight basis of off-label ketamine:
trials dose mg/kg of *actual* body weight [S24], response looked similar across BMI strata
[S46], and a letter co-written by a consensus author reports that the APA consensus suggested
*ideal* body weight, especially at BMI >= 30 [A7]. So the basis is the prescriber's explicit,
recorded choice, never inferred.

The Devine formula (Devine 1974; standard pharmacy arithmetic, not in the source register) and
the 0.4 adjusted-weight factor (an anaesthesia/pharmacy convention, UNVERIFIED for ketamine)
are implemented as the brief and addendum design note describe.
"""

from __future__ import annotations

import enum
import math

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Sex

CM_PER_INCH = 2.54
DEVINE_BASE_HEIGHT_IN = 60.0
DEVINE_KG_PER_INCH = 2.3
DEVINE_BASE_KG = {Sex.MALE: 50.0, Sex.FEMALE: 45.5}
ADJUSTED_WEIGHT_FACTOR = 0.4
OBESITY_BMI = 30.0


class WeightBasis(enum.Enum):
    """Which weight the mg/kg is multiplied by; chosen and recorded per order."""

    ACTUAL = "actual"
    IDEAL = "ideal"
    ADJUSTED = "adjusted"


def devine_ideal_weight_kg(height_cm: float, sex: Sex) -> float:
    """Devine ideal body weight: 50 kg (male) / 45.5 kg (female) + 2.3 kg per inch over 60 in.

    Below 60 in (152.4 cm) Devine is undefined. Extrapolating downwards reaches zero near
    100 cm, so we use the 60-inch base weight instead. That can exceed a short person's real
    weight, but `basis_weight_kg` never lets an ideal or adjusted weight exceed actual weight,
    so the dose per kg of actual weight never exceeds the ordered mg/kg.
    """
    if not math.isfinite(height_cm) or height_cm <= 0:
        raise ClinicalInputError(
            f"height must be a positive number of centimetres, not {height_cm}", field="height_cm"
        )
    inches_over = max(0.0, height_cm / CM_PER_INCH - DEVINE_BASE_HEIGHT_IN)
    return DEVINE_BASE_KG[sex] + DEVINE_KG_PER_INCH * inches_over


def is_below_devine_range(height_cm: float) -> bool:
    """True when the height is under 60 in, where the Devine base weight is used unchanged."""
    return height_cm / CM_PER_INCH < DEVINE_BASE_HEIGHT_IN


def adjusted_weight_kg(actual_kg: float, ideal_kg: float) -> float:
    """Adjusted body weight: IBW + 0.4 x (actual - IBW) when actual exceeds IBW, else actual."""
    if actual_kg <= ideal_kg:
        return actual_kg
    return ideal_kg + ADJUSTED_WEIGHT_FACTOR * (actual_kg - ideal_kg)


def body_mass_index(weight_kg: float, height_cm: float) -> float:
    """BMI in kg/m^2."""
    metres = height_cm / 100.0
    return weight_kg / (metres * metres)


def basis_weight_kg(
    basis: WeightBasis, actual_kg: float, height_cm: float | None, sex: Sex | None
) -> float:
    """The weight the dose is computed on; never more than the actual weight.

    Ideal and adjusted need height and sex; the actual weight is used when it is lower than
    the ideal weight (dosing a thin patient on a heavier "ideal" weight would overdose them).
    """
    if basis is WeightBasis.ACTUAL:
        return actual_kg
    if height_cm is None:
        raise ClinicalInputError(
            f"{basis.value} body weight needs the height in cm; give height_cm or use actual "
            "weight",
            field="height_cm",
        )
    if sex is None:
        raise ClinicalInputError(
            f"{basis.value} body weight needs sex (female or male) for the Devine formula",
            field="sex",
        )
    ideal = min(devine_ideal_weight_kg(height_cm, sex), actual_kg)
    if basis is WeightBasis.IDEAL:
        return ideal
    return adjusted_weight_kg(actual_kg, ideal)
