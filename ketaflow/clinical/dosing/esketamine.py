"""Esketamine nasal spray (SPRAVATO): fixed doses of 28, 56 or 84 mg, never mg/kg.

One device holds 28 mg (2 sprays), with a 5-minute rest between devices; the day-1 dose is
56 mg for adults under 65 and 28 mg at 65 or over, later doses 28, 56 or 84 mg [S1, S2].
The age-based day-1 rule is a label rule, so this module refuses a larger day-1 dose at 65 or
over (a hard limit); a day-1 dose above 56 mg under 65 needs an override.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ketaflow.clinical.dosing.limits import (
    DEFAULT_DOSING_LIMITS,
    DoseNote,
    DosingLimits,
    HardLimitExceeded,
    SoftLimitWarning,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Source, cite, merge

MAX_AGE_YEARS = 130


@dataclass(frozen=True)
class EsketamineDose:
    """A fixed esketamine dose, within the label's doses by construction."""

    dose_mg: int
    devices: int
    age_years: int
    first_dose: bool
    warnings: tuple[SoftLimitWarning, ...]
    notes: tuple[DoseNote, ...]
    sources: tuple[Source, ...]
    limits_version: str
    max_dose_mg: int | None = None  # the absolute cap: the label's largest dose (84 mg)

    @property
    def requires_override(self) -> bool:
        return bool(self.warnings)


def esketamine_dose(
    dose_mg: float,
    *,
    age_years: int,
    first_dose: bool = True,
    limits: DosingLimits = DEFAULT_DOSING_LIMITS,
) -> EsketamineDose:
    """Check an esketamine dose against the label; `first_dose` means day 1 of induction.

    `first_dose` defaults to True so that a caller who does not say gets the stricter rule.
    """
    config = limits.esketamine
    allowed = config.allowed_doses_mg
    if isinstance(age_years, bool) or not 0 <= age_years <= MAX_AGE_YEARS:
        raise ClinicalInputError(
            f"must be a whole number of years between 0 and {MAX_AGE_YEARS}, not {age_years}",
            field="age_years",
        )
    if not math.isfinite(dose_mg) or dose_mg not in allowed.value:
        doses = ", ".join(f"{d}" for d in allowed.value)
        raise HardLimitExceeded(
            f"esketamine is given only as {doses} mg (28 mg per device), not {dose_mg:g} mg",
            code="esketamine.dose_not_allowed",
            sources=allowed.sources,
            needs_local_signoff=allowed.needs_local_signoff,
            field="dose_mg",
        )
    dose = int(dose_mg)
    warnings: list[SoftLimitWarning] = []
    elderly = age_years >= config.elderly_age.value
    if first_dose and elderly and dose > config.elderly_start_dose_mg.value:
        start = config.elderly_start_dose_mg
        raise HardLimitExceeded(
            f"at {age_years} years (>= {config.elderly_age.value}) the first esketamine dose is "
            f"{start.value} mg, not {dose} mg",
            code="esketamine.elderly_start_dose",
            sources=merge([start.sources, config.elderly_age.sources]),
            needs_local_signoff=start.needs_local_signoff,
            field="dose_mg",
        )
    if first_dose and not elderly and dose > config.start_dose_mg.value:
        start = config.start_dose_mg
        warnings.append(
            SoftLimitWarning(
                "esketamine.above_start_dose",
                f"the label's first dose under {config.elderly_age.value} years is "
                f"{start.value} mg, not {dose} mg: needs a prescriber's override with a reason",
                start.sources,
                start.needs_local_signoff,
            )
        )
    devices = dose // config.device_mg
    notes = [
        DoseNote(
            "esketamine.devices",
            f"{devices} device(s) of {config.device_mg} mg, one spray per nostril each, with a "
            "5-minute rest between devices",
            cite("S1", "S2"),
        )
    ]
    if not first_dose:
        notes.append(
            DoseNote(
                "esketamine.dose_steps",
                "change the dose from the previous session in 28 mg steps",
                cite("S2"),
            )
        )
    sources = merge([allowed.sources, *(w.sources for w in warnings), *(n.sources for n in notes)])
    return EsketamineDose(
        dose_mg=dose,
        devices=devices,
        age_years=age_years,
        first_dose=first_dose,
        warnings=tuple(warnings),
        notes=tuple(notes),
        sources=sources,
        limits_version=limits.version,
        max_dose_mg=max(allowed.value),
    )
