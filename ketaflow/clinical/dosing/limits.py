"""Dosing limits a protocol configures: hard limits refuse, soft limits need an override.

No label or guideline gives a maximum for off-label racemic ketamine in anxiety, so every
numeric racemic limit here is a clinic default needing local sign-off (UNVERIFIED), anchored to
the doses the reference reports:
- IV: most evidence is 0.5 mg/kg over 40 min; some patients need up to 0.75 mg/kg [S12, S15,
  S22]. Default soft limit above 0.75 mg/kg, hard limit above 1.0 mg/kg.
- IV rate: the studied regimen, 0.5 mg/kg over 40 min, runs at 0.75 mg/kg/h [S12, S15, A3];
  rapid IV ketamine can cause apnoea and a pressor response [S4]. Default HARD ceiling 1.5 mg/kg/h
  (twice the studied rate: 0.5 mg/kg over no less than 20 min) and a hard floor of 20 min, so
  0.5 mg/kg over 2 or 5 min (6-15 mg/kg/h) is refused.
- SC/IM: anxiety trials ascended 0.25 -> 0.5 -> 1 mg/kg SC and maintained at 1 mg/kg [S8, S9,
  S10]. Default hard limit above 1.0 mg/kg; the soft limits are the ascending steps
  (`steps.py`: above the first step, or above the last tolerated dose, needs an override).
- Every racemic route has an absolute mg cap per dose (hard): IV 100 mg, SC/IM 150 mg, oral
  300 mg (see `_default_routes` for the reasoning of each).
- Weight basis: a weight at which obesity is likely (>= 120 kg without a height) or BMI >= 30
  asks for an explicit, reasoned choice of actual / ideal / adjusted weight [A7, S24, S46].
- Oral: ~2.0-2.5 mg/kg suggested as IV-equivalent; 0.25-7 mg/kg or 25-300 mg reported [S22b,
  cited as S22]. Default soft above 2.5 mg/kg, hard above 7 mg/kg or 300 mg.
- Esketamine nasal spray is fixed-dose 28/56/84 mg, day-1 dose 56 mg (< 65 y) or 28 mg
  (>= 65 y) [S1, S2]; these come from the label (VERIFIED).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, default
from ketaflow.clinical.routes import Route

_UNV = Evidence.UNVERIFIED


class HardLimitExceeded(ClinicalInputError):
    """A dose beyond a hard limit: refused, no override exists.

    A subclass of `ClinicalInputError`, so every caller that handles bad input also refuses a
    hard-limit breach; `code` is stable for screens and audit, `sources` say why the limit is.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        sources: tuple[Source, ...],
        needs_local_signoff: bool,
        field: str | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.code = code
        self.sources = sources
        self.needs_local_signoff = needs_local_signoff


@dataclass(frozen=True)
class SoftLimitWarning:
    """A dose past a soft limit: allowed only with a prescriber's override and a reason."""

    code: str
    message: str
    sources: tuple[Source, ...]
    needs_local_signoff: bool = False


@dataclass(frozen=True)
class DoseNote:
    """Information for the prescriber that needs no override (e.g. the BMI >= 30 suggestion)."""

    code: str
    message: str
    sources: tuple[Source, ...]


def _check_positive(value: float, name: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ClinicalInputError(f"{name} must be a positive number, not {value}", field=name)


@dataclass(frozen=True)
class RouteLimits:
    """mg/kg (and optional total mg) limits of one racemic route.

    A dose is refused when mg/kg is above `hard_max_mg_per_kg` or the total above
    `hard_max_mg`; it needs an override when mg/kg is above `soft_max_mg_per_kg`.
    """

    route: Route
    hard_max_mg_per_kg: ClinicDefault[float]
    soft_max_mg_per_kg: ClinicDefault[float] | None = None
    hard_max_mg: ClinicDefault[float] | None = None

    def __post_init__(self) -> None:
        if self.route.is_esketamine:
            raise ClinicalInputError(
                "esketamine is fixed-dose: configure it in EsketamineLimits", field="route"
            )
        _check_positive(self.hard_max_mg_per_kg.value, "hard_max_mg_per_kg")
        if self.hard_max_mg is not None:
            _check_positive(self.hard_max_mg.value, "hard_max_mg")
        soft = self.soft_max_mg_per_kg
        if soft is not None:
            _check_positive(soft.value, "soft_max_mg_per_kg")
            if soft.value >= self.hard_max_mg_per_kg.value:
                raise ClinicalInputError(
                    f"the soft limit ({soft.value} mg/kg) must be below the hard limit "
                    f"({self.hard_max_mg_per_kg.value} mg/kg) for {self.route.label}",
                    field="soft_max_mg_per_kg",
                )


@dataclass(frozen=True)
class InfusionLimits:
    """Limits on an IV infusion's duration and the drug concentration.

    Rapid IV ketamine can cause respiratory depression/apnoea and an enhanced pressor
    response [S4]; the studied regimen runs 40 min [S12, S15], sessions of 2-100 min have been
    used [S22]. The 100 mg/mL ceiling is the strongest marketed ketamine strength [S43].
    """

    hard_min_minutes: ClinicDefault[float] = field(
        default_factory=lambda: default(
            20.0,
            "S12",
            "S15",
            "S4",
            evidence=_UNV,
            note="the studied 0.5 mg/kg at the 1.5 mg/kg/h ceiling takes 20 min; sessions as "
            "short as 2 min have been reported (S22) but rapid IV ketamine risks apnoea (S4)",
        )
    )
    soft_min_minutes: ClinicDefault[float] = field(
        default_factory=lambda: default(
            40.0, "S12", "S15", "S4", evidence=_UNV, note="studied regimen: over 40 min"
        )
    )
    soft_max_minutes: ClinicDefault[float] = field(
        default_factory=lambda: default(
            100.0, "S22", evidence=_UNV, note="longest session reported (2-100 min)"
        )
    )
    max_concentration_mg_per_ml: ClinicDefault[float] = field(
        default_factory=lambda: default(100.0, "S43", note="strongest marketed strength")
    )
    hard_max_mg_per_kg_per_h: ClinicDefault[float] = field(
        default_factory=lambda: default(
            1.5,
            "S12",
            "S15",
            "A3",
            "S4",
            evidence=_UNV,
            note="twice the studied rate (0.5 mg/kg over 40 min = 0.75 mg/kg/h); rapid IV "
            "ketamine can cause apnoea and a pressor response. Not a published limit: sign off "
            "locally",
        )
    )

    def __post_init__(self) -> None:
        for name in (
            "hard_min_minutes",
            "soft_min_minutes",
            "soft_max_minutes",
            "hard_max_mg_per_kg_per_h",
        ):
            _check_positive(getattr(self, name).value, name)
        _check_positive(self.max_concentration_mg_per_ml.value, "max_concentration_mg_per_ml")
        if not (
            self.hard_min_minutes.value <= self.soft_min_minutes.value < self.soft_max_minutes.value
        ):
            raise ClinicalInputError(
                "infusion minutes must satisfy hard minimum <= soft minimum < soft maximum",
                field="soft_min_minutes",
            )

    def max_mg_per_min(self, basis_weight_kg: float) -> float:
        """The pump-rate ceiling in mg/min for this weight (the order's basis weight)."""
        _check_positive(basis_weight_kg, "basis_weight_kg")
        return self.hard_max_mg_per_kg_per_h.value * basis_weight_kg / 60.0


@dataclass(frozen=True)
class WeightBasisLimits:
    """When the prescriber must choose the weight basis explicitly and say why.

    The APA consensus reportedly suggests ideal body weight especially at BMI >= 30 (the exact
    cut-off wording, > or >=, is UNVERIFIED) [A7]; trials dosed actual weight [S24] and
    response looked similar across BMI strata [S46]. Without a height the BMI is unknown, so a
    weight at which obesity is likely (120 kg: BMI >= 30 up to ~2.0 m tall) asks too.
    """

    bmi: ClinicDefault[float] = field(
        default_factory=lambda: default(
            30.0, "A7", "S24", "S46", evidence=_UNV, note="consensus cut-off wording unverified"
        )
    )
    weight_kg_without_height: ClinicDefault[float] = field(
        default_factory=lambda: default(
            120.0,
            "A7",
            evidence=_UNV,
            note="BMI >= 30 at any height up to 2.0 m; clinic default",
        )
    )

    def __post_init__(self) -> None:
        _check_positive(self.bmi.value, "bmi")
        _check_positive(self.weight_kg_without_height.value, "weight_kg_without_height")

    def choice_required(self, weight_kg: float, bmi: float | None) -> bool:
        """True when obesity is likely: BMI at or above the cut-off, or heavy with no height."""
        if bmi is not None:
            return bmi >= self.bmi.value
        return weight_kg >= self.weight_kg_without_height.value


@dataclass(frozen=True)
class StepLimits:
    """The ascending-dose design's first step, for SC/IM when the protocol does not say.

    Glue's SC programme started at 0.25 mg/kg, then 0.5 and 1 mg/kg about a week apart
    [S8, S10]; a dose above the first step (or above the last tolerated one) needs an override.
    """

    first_step_mg_per_kg: ClinicDefault[float] = field(
        default_factory=lambda: default(0.25, "S8", "S10", note="Glue 2017: 0.25 -> 0.5 -> 1")
    )


@dataclass(frozen=True)
class EsketamineLimits:
    """SPRAVATO fixed doses and starting doses from the label [S1, S2]."""

    allowed_doses_mg: ClinicDefault[tuple[int, ...]] = field(
        default_factory=lambda: default((28, 56, 84), "S1", "S2")
    )
    device_mg: int = 28
    start_dose_mg: ClinicDefault[int] = field(
        default_factory=lambda: default(56, "S1", "S2", note="TRD, adults < 65: day 1 56 mg")
    )
    elderly_age: ClinicDefault[int] = field(default_factory=lambda: default(65, "S1", "S2"))
    elderly_start_dose_mg: ClinicDefault[int] = field(
        default_factory=lambda: default(28, "S1", "S2", note="TRD, >= 65 years: day 1 28 mg")
    )

    def __post_init__(self) -> None:
        doses = self.allowed_doses_mg.value
        if not doses or any(d <= 0 or d % self.device_mg for d in doses):
            raise ClinicalInputError(
                f"allowed esketamine doses must be positive multiples of {self.device_mg} mg",
                field="allowed_doses_mg",
            )
        for name in ("start_dose_mg", "elderly_start_dose_mg"):
            if getattr(self, name).value not in doses:
                raise ClinicalInputError(
                    f"{name} must be one of the allowed doses {doses}", field=name
                )


def _default_routes() -> tuple[RouteLimits, ...]:
    parenteral_hard = (
        "S8",
        "S9",
        "S10",
        "S22",
    )
    sc_im_cap_note = (
        "1 mg/kg (the top SC/IM step) x 150 kg; heavier patients are dosed on an ideal or "
        "adjusted weight. Clinic default: no published absolute cap"
    )
    return (
        RouteLimits(
            Route.IV,
            hard_max_mg_per_kg=default(
                1.0, *parenteral_hard, evidence=_UNV, note="highest dose studied in anxiety"
            ),
            soft_max_mg_per_kg=default(
                0.75, "S22", "S12", "S15", evidence=_UNV, note="some patients need up to 0.75"
            ),
            hard_max_mg=default(
                100.0,
                "S12",
                "S15",
                "S22",
                evidence=_UNV,
                note="0.5 mg/kg (studied) up to 200 kg, 0.75 mg/kg up to 133 kg, 1 mg/kg up to "
                "100 kg. Clinic default: no published absolute cap",
            ),
        ),
        RouteLimits(
            Route.SC,
            hard_max_mg_per_kg=default(
                1.0, *parenteral_hard, evidence=_UNV, note="Glue SC doses 0.25-1 mg/kg"
            ),
            hard_max_mg=default(150.0, "S8", "S9", "S10", evidence=_UNV, note=sc_im_cap_note),
        ),
        RouteLimits(
            Route.IM,
            hard_max_mg_per_kg=default(
                1.0, *parenteral_hard, evidence=_UNV, note="as SC; IM bolus per review [S22]"
            ),
            hard_max_mg=default(150.0, "S8", "S22", evidence=_UNV, note=sc_im_cap_note),
        ),
        RouteLimits(
            Route.ORAL,
            hard_max_mg_per_kg=default(
                7.0, "S22", evidence=_UNV, note="top of reported oral range 0.25-7 mg/kg [S22b]"
            ),
            soft_max_mg_per_kg=default(
                2.5, "S22", evidence=_UNV, note="~2.0-2.5 mg/kg oral suggested IV-equivalent"
            ),
            hard_max_mg=default(
                300.0, "S22", evidence=_UNV, note="top of reported fixed oral doses 25-300 mg"
            ),
        ),
    )


@dataclass(frozen=True)
class DosingLimits:
    """A protocol's dosing limits; `DEFAULT_DOSING_LIMITS` holds the core's safe defaults.

    Weight and height ranges catch typing errors (kg for lb, m for cm); values outside are
    input errors, not clinical findings.
    """

    routes: tuple[RouteLimits, ...] = field(default_factory=_default_routes)
    infusion: InfusionLimits = field(default_factory=InfusionLimits)
    esketamine: EsketamineLimits = field(default_factory=EsketamineLimits)
    weight_basis: WeightBasisLimits = field(default_factory=WeightBasisLimits)
    steps: StepLimits = field(default_factory=StepLimits)
    weight_kg_range: tuple[float, float] = (20.0, 350.0)
    height_cm_range: tuple[float, float] = (100.0, 250.0)
    version: str = "core-default"

    def __post_init__(self) -> None:
        seen = [r.route for r in self.routes]
        if len(seen) != len(set(seen)):
            raise ClinicalInputError("each route may have only one set of limits", field="routes")

    def max_dose_mg(self, route: Route) -> float | None:
        """The absolute mg cap of one dose on this route (esketamine: the label's largest)."""
        if route.is_esketamine:
            return float(max(self.esketamine.allowed_doses_mg.value))
        cap = self.for_route(route).hard_max_mg
        return cap.value if cap is not None else None

    def for_route(self, route: Route) -> RouteLimits:
        """The limits of a racemic route; a route without limits cannot be dosed."""
        for limits in self.routes:
            if limits.route is route:
                return limits
        if route.is_esketamine:
            raise ClinicalInputError(
                "intranasal means esketamine nasal spray, a fixed dose of 28, 56 or 84 mg: give "
                "the dose in mg, not mg/kg (intranasal racemic ketamine is not supported)",
                field="mg_per_kg",
            )
        raise ClinicalInputError(
            f"this protocol has no dosing limits for {route.label}, so it cannot be dosed",
            field="route",
        )


DEFAULT_DOSING_LIMITS = DosingLimits()

__all__ = [
    "DEFAULT_DOSING_LIMITS",
    "DoseNote",
    "DosingLimits",
    "EsketamineLimits",
    "HardLimitExceeded",
    "InfusionLimits",
    "RouteLimits",
    "SoftLimitWarning",
    "StepLimits",
    "WeightBasisLimits",
]
