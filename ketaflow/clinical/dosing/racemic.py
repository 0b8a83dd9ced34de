"""Racemic ketamine (IV, SC, IM, oral) dose from mg/kg, weight basis and limits.

Dose = mg/kg x basis weight, on the basis the prescriber chose [S24, A7]. A hard limit raises
`HardLimitExceeded`, so no `RacemicDose` can exist past one; a soft limit becomes a
`SoftLimitWarning` that needs a prescriber's override with a reason (`overrides.py`).
IV infusions also get the pump rate: 0.5 mg/kg x 70 kg = 35 mg over 40 min = 0.875 mg/min
(reference T4, [S12]), and are refused above the hard rate ceiling (mg/kg/h of the basis
weight) or below the hard minimum duration. Every dose has an absolute mg cap (`max_dose_mg`
on the result). When obesity is likely the weight basis must be chosen explicitly with a
reason (`WeightBasisLimits`); SC/IM doses above the ascending step warn (`steps.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ketaflow.clinical.dosing.body_weight import (
    OBESITY_BMI,
    WeightBasis,
    basis_weight_kg,
    body_mass_index,
    devine_ideal_weight_kg,
    is_below_devine_range,
)
from ketaflow.clinical.dosing.limits import (
    DEFAULT_DOSING_LIMITS,
    DoseNote,
    DosingLimits,
    HardLimitExceeded,
    SoftLimitWarning,
)
from ketaflow.clinical.dosing.overrides import MIN_REASON_CHARS
from ketaflow.clinical.dosing.steps import EarlierDose, step_warnings
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Source, cite, merge
from ketaflow.clinical.routes import Route, Sex

MAX_INFUSION_MINUTES = 24 * 60


@dataclass(frozen=True)
class InfusionPlan:
    """How an IV dose runs: over how long, how fast (mg, mg/kg and, with a concentration, mL)."""

    minutes: float
    mg_per_min: float
    mg_per_kg_per_h: float  # per kg of the basis weight
    rate_ml_per_h: float | None  # None without a drug concentration


@dataclass(frozen=True)
class RacemicDose:
    """A computed racemic dose, within every hard limit by construction."""

    route: Route
    mg_per_kg: float
    weight_basis: WeightBasis
    actual_weight_kg: float
    basis_weight_kg: float
    ideal_weight_kg: float | None  # Devine, when height and sex are known
    bmi: float | None  # when height is known
    dose_mg: float
    capped_at_order_maximum: bool
    concentration_mg_per_ml: float | None
    volume_ml: float | None
    infusion: InfusionPlan | None
    warnings: tuple[SoftLimitWarning, ...]
    notes: tuple[DoseNote, ...]
    sources: tuple[Source, ...]
    limits_version: str
    max_dose_mg: float | None = None  # the absolute mg cap in force (route's, or the order's own)
    weight_basis_reason: str = ""
    # Obesity likely: the warning the explicit basis choice and its reason answered.
    weight_basis_warning: SoftLimitWarning | None = None

    @property
    def requires_override(self) -> bool:
        """True when a soft limit was passed: the prescriber must override with a reason."""
        return bool(self.warnings)

    @property
    def mg_per_kg_actual(self) -> float:
        """The dose per kg of actual weight (never above the ordered mg/kg)."""
        return self.dose_mg / self.actual_weight_kg

    @property
    def rate_ml_per_h(self) -> float | None:
        return self.infusion.rate_ml_per_h if self.infusion else None


def _require_number(value: float, field: str, low: float, high: float, unit: str) -> None:
    """Reject non-numbers and values outside [low, high] (typing errors, wrong units)."""
    if not math.isfinite(value) or not low <= value <= high:
        raise ClinicalInputError(
            f"must be between {low:g} and {high:g} {unit}, not {value:g}", field=field
        )


def _require_positive(value: float, field: str, unit: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ClinicalInputError(f"must be more than 0 {unit}, not {value:g}", field=field)


def racemic_dose(
    route: Route,
    mg_per_kg: float,
    weight_kg: float,
    *,
    basis: WeightBasis | None = None,
    basis_reason: str = "",
    height_cm: float | None = None,
    sex: Sex | None = None,
    minutes: float | None = None,
    concentration_mg_per_ml: float | None = None,
    max_dose_mg: float | None = None,
    earlier: Iterable[EarlierDose] = (),
    first_step_mg_per_kg: float | None = None,
    limits: DosingLimits = DEFAULT_DOSING_LIMITS,
) -> RacemicDose:
    """The dose of racemic ketamine for this order, or an error saying what to fix.

    `basis` None means "not chosen": actual weight, unless obesity is likely, when the
    prescriber must choose and give `basis_reason`. `max_dose_mg` is the prescriber's own cap
    for this order (the reference asks that any mg cap be explicit and recorded [S24]); a dose
    above it is lowered to it, with a note; above the route's absolute cap it is refused.
    `minutes` applies to IV only; `concentration_mg_per_ml` gives the volume (and, for IV with
    minutes, the pump rate). `earlier` and `first_step_mg_per_kg` feed the SC/IM step warnings.
    """
    route_limits = limits.for_route(route)
    _require_positive(mg_per_kg, "mg_per_kg", "mg/kg")
    _require_number(weight_kg, "weight_kg", *limits.weight_kg_range, "kg")
    if height_cm is not None:
        _require_number(height_cm, "height_cm", *limits.height_cm_range, "cm")

    hard = route_limits.hard_max_mg_per_kg
    if mg_per_kg > hard.value:
        raise HardLimitExceeded(
            f"{mg_per_kg:g} mg/kg is above the hard limit of {hard.value:g} mg/kg for "
            f"{route.label}; this dose cannot be given under this protocol",
            code="dose.above_hard_max_mg_per_kg",
            sources=hard.sources,
            needs_local_signoff=hard.needs_local_signoff,
            field="mg_per_kg",
        )

    bmi = body_mass_index(weight_kg, height_cm) if height_cm else None
    basis, basis_warning, reason = _weight_basis_choice(basis, basis_reason, weight_kg, bmi, limits)
    basis_kg = basis_weight_kg(basis, weight_kg, height_cm, sex)
    ideal_kg = devine_ideal_weight_kg(height_cm, sex) if height_cm and sex else None
    dose_mg = mg_per_kg * basis_kg
    notes: list[DoseNote] = []
    warnings: list[SoftLimitWarning] = []

    capped = False
    if max_dose_mg is not None:
        _require_positive(max_dose_mg, "max_dose_mg", "mg")
        if dose_mg > max_dose_mg:
            capped = True
            notes.append(
                DoseNote(
                    "dose.capped_at_order_maximum",
                    f"{dose_mg:.1f} mg lowered to the order's maximum of {max_dose_mg:g} mg",
                    cite("S24"),
                )
            )
            dose_mg = max_dose_mg

    hard_mg = route_limits.hard_max_mg
    caps = [c for c in (max_dose_mg, hard_mg.value if hard_mg else None) if c is not None]
    check_dose_cap(route, dose_mg, limits)

    soft = route_limits.soft_max_mg_per_kg
    if soft is not None and mg_per_kg > soft.value:
        warnings.append(
            SoftLimitWarning(
                "dose.above_soft_max_mg_per_kg",
                f"{mg_per_kg:g} mg/kg is above {soft.value:g} mg/kg for {route.label}: "
                "needs a prescriber's override with a reason",
                soft.sources,
                soft.needs_local_signoff,
            )
        )

    warnings.extend(
        step_warnings(
            route,
            mg_per_kg,
            earlier=earlier,
            first_step_mg_per_kg=first_step_mg_per_kg,
            limits=limits,
        )
    )
    notes.extend(_weight_notes(basis, bmi, height_cm))

    volume_ml = None
    if concentration_mg_per_ml is not None:
        top = limits.infusion.max_concentration_mg_per_ml.value
        _require_number(concentration_mg_per_ml, "concentration_mg_per_ml", 0.0, top, "mg/mL")
        _require_positive(concentration_mg_per_ml, "concentration_mg_per_ml", "mg/mL")
        volume_ml = dose_mg / concentration_mg_per_ml
        if route is Route.IV and concentration_mg_per_ml >= top:
            notes.append(
                DoseNote(
                    "infusion.dilute_before_iv",
                    f"{concentration_mg_per_ml:g} mg/mL is the undiluted strength: the label "
                    "summary says it must be diluted before IV use (confirm in the current PI)",
                    cite("S59", "S4"),
                )
            )

    infusion = None
    if minutes is not None:
        infusion, infusion_warnings = _infusion(
            route, minutes, dose_mg, basis_kg, concentration_mg_per_ml, limits
        )
        warnings.extend(infusion_warnings)

    sources = merge([hard.sources, *(w.sources for w in warnings), *(n.sources for n in notes)])
    return RacemicDose(
        route=route,
        mg_per_kg=mg_per_kg,
        weight_basis=basis,
        actual_weight_kg=weight_kg,
        basis_weight_kg=basis_kg,
        ideal_weight_kg=ideal_kg,
        bmi=bmi,
        dose_mg=dose_mg,
        capped_at_order_maximum=capped,
        concentration_mg_per_ml=concentration_mg_per_ml,
        volume_ml=volume_ml,
        infusion=infusion,
        warnings=tuple(warnings),
        notes=tuple(notes),
        sources=sources,
        limits_version=limits.version,
        max_dose_mg=min(caps) if caps else None,
        weight_basis_reason=reason,
        weight_basis_warning=basis_warning,
    )


def _weight_basis_choice(
    basis: WeightBasis | None,
    reason: str,
    weight_kg: float,
    bmi: float | None,
    limits: DosingLimits,
) -> tuple[WeightBasis, SoftLimitWarning | None, str]:
    """The basis to use, the obesity warning it answers, and the recorded reason.

    When obesity is likely the basis must be chosen (not defaulted) and the choice explained
    in at least `MIN_REASON_CHARS` characters; otherwise an unchosen basis is actual weight.
    """
    config = limits.weight_basis
    reason = reason.strip()
    if not config.choice_required(weight_kg, bmi):
        return basis or WeightBasis.ACTUAL, None, reason
    if bmi is not None:
        why = f"BMI {bmi:.1f} (>= {config.bmi.value:g})"
        cut = config.bmi
    else:
        why = (
            f"{weight_kg:g} kg with no height (>= {config.weight_kg_without_height.value:g} kg: "
            "obesity likely)"
        )
        cut = config.weight_kg_without_height
    warning = SoftLimitWarning(
        "weight_basis.choice_required",
        f"{why}: choose the weight basis (actual, ideal or adjusted) and record why. The APA "
        "consensus reportedly suggests ideal body weight at BMI >= 30 (cut-off wording "
        "unverified); trials dosed actual weight.",
        merge([cut.sources, cite("A7", "S24", "S46")]),
        cut.needs_local_signoff,
    )
    if basis is None:
        raise ClinicalInputError(
            f"{warning.message} No weight basis was chosen.", field="weight_basis"
        )
    if len(reason) < MIN_REASON_CHARS:
        raise ClinicalInputError(
            f"{why}: say why {basis.value} body weight was chosen (at least {MIN_REASON_CHARS} "
            "characters)",
            field="weight_basis_reason",
        )
    return basis, warning, reason


def _weight_notes(basis: WeightBasis, bmi: float | None, height_cm: float | None) -> list[DoseNote]:
    """BMI >= 30 on actual weight: suggest ideal weight (addendum design note, [A7])."""
    notes = []
    if bmi is not None and bmi >= OBESITY_BMI and basis is WeightBasis.ACTUAL:
        notes.append(
            DoseNote(
                "weight_basis.obesity_consider_ideal",
                f"BMI {bmi:.1f} (>= 30): the APA consensus reportedly suggests dosing on ideal "
                "body weight; trials used actual weight and response looked similar across BMI "
                "strata. Record the basis chosen.",
                cite("A7", "S46", "S24"),
            )
        )
    if (
        basis is not WeightBasis.ACTUAL
        and height_cm is not None
        and is_below_devine_range(height_cm)
    ):
        notes.append(
            DoseNote(
                "weight_basis.height_below_devine_range",
                f"height {height_cm:g} cm is under 60 in, where the Devine formula is undefined: "
                "its 60-inch base weight was used (never more than actual weight)",
                (),  # a design choice of this module (see body_weight), not a published rule
            )
        )
    return notes


def check_dose_cap(
    route: Route, dose_mg: float, limits: DosingLimits = DEFAULT_DOSING_LIMITS
) -> None:
    """Refuse a dose above the route's absolute mg cap (`HardLimitExceeded`)."""
    hard_mg = limits.for_route(route).hard_max_mg
    if hard_mg is not None and dose_mg > hard_mg.value:
        raise HardLimitExceeded(
            f"{dose_mg:.1f} mg is above the hard limit of {hard_mg.value:g} mg per dose for "
            f"{route.label}",
            code="dose.above_hard_max_mg",
            sources=hard_mg.sources,
            needs_local_signoff=hard_mg.needs_local_signoff,
            field="mg_per_kg",
        )


def check_infusion_hard_limits(
    minutes: float, dose_mg: float, basis_kg: float, limits: DosingLimits = DEFAULT_DOSING_LIMITS
) -> float:
    """The rate in mg/kg/h (of the basis weight), or `HardLimitExceeded` for the floor/ceiling.

    Also the re-check when a stored order is confirmed, so an order proposed under older
    limits cannot be confirmed past today's.
    """
    config = limits.infusion
    if minutes < config.hard_min_minutes.value:
        raise HardLimitExceeded(
            f"an infusion over {minutes:g} min is faster than the hard minimum of "
            f"{config.hard_min_minutes.value:g} min (rapid IV ketamine can cause apnoea and a "
            "pressor response)",
            code="infusion.below_hard_min_minutes",
            sources=config.hard_min_minutes.sources,
            needs_local_signoff=config.hard_min_minutes.needs_local_signoff,
            field="minutes",
        )
    rate = dose_mg / basis_kg / (minutes / 60.0)
    ceiling = config.hard_max_mg_per_kg_per_h
    if rate > ceiling.value + 1e-9:
        raise HardLimitExceeded(
            f"{dose_mg:.1f} mg over {minutes:g} min is {rate:.2f} mg/kg/h, above the hard "
            f"ceiling of {ceiling.value:g} mg/kg/h (the studied 0.5 mg/kg over 40 min is 0.75 "
            f"mg/kg/h): infuse over at least {dose_mg / basis_kg / ceiling.value * 60:.0f} min",
            code="infusion.above_hard_max_mg_per_kg_per_h",
            sources=ceiling.sources,
            needs_local_signoff=ceiling.needs_local_signoff,
            field="minutes",
        )
    return rate


def _infusion(
    route: Route,
    minutes: float,
    dose_mg: float,
    basis_kg: float,
    concentration: float | None,
    limits: DosingLimits,
) -> tuple[InfusionPlan, list[SoftLimitWarning]]:
    if route is not Route.IV:
        raise ClinicalInputError(
            f"an infusion duration applies to IV only, not {route.label}", field="minutes"
        )
    _require_number(minutes, "minutes", 0.0, MAX_INFUSION_MINUTES, "minutes")
    _require_positive(minutes, "minutes", "minutes")
    config = limits.infusion
    rate = check_infusion_hard_limits(minutes, dose_mg, basis_kg, limits)
    hours = minutes / 60.0
    warnings = []
    if minutes < config.soft_min_minutes.value:
        warnings.append(
            SoftLimitWarning(
                "infusion.below_soft_min_minutes",
                f"{minutes:g} min is shorter than the studied {config.soft_min_minutes.value:g} "
                "min: needs a prescriber's override with a reason",
                config.soft_min_minutes.sources,
                config.soft_min_minutes.needs_local_signoff,
            )
        )
    elif minutes > config.soft_max_minutes.value:
        warnings.append(
            SoftLimitWarning(
                "infusion.above_soft_max_minutes",
                f"{minutes:g} min is longer than the longest reported session "
                f"({config.soft_max_minutes.value:g} min): needs a prescriber's override",
                config.soft_max_minutes.sources,
                config.soft_max_minutes.needs_local_signoff,
            )
        )
    plan = InfusionPlan(
        minutes=minutes,
        mg_per_min=dose_mg / minutes,
        mg_per_kg_per_h=rate,
        rate_ml_per_h=(dose_mg / concentration / hours) if concentration else None,
    )
    return plan, warnings
