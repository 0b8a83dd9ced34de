"""SC/IM ascending-dose steps: a dose above the first step or the last tolerated one warns.

Glue's SC programme for anxiety ascended 0.25 -> 0.5 -> 1 mg/kg about a week apart and kept
responders on the dose they tolerated [S8, S9, S10]. So for SC and IM (soft limits, each needs
a prescriber's override with a reason):
- with no tolerated earlier dose in the course, a dose above the protocol's first step warns
  (`dose.above_first_step`);
- otherwise a dose above the last tolerated dose warns (`dose.above_last_tolerated`): every
  escalation is a prescriber's explicit, recorded decision, including the protocol's own
  planned next step.

"Tolerated" (a Ketaflow design choice, documented here, not a published rule): an earlier
session of the same course that was signed, whose order was in mg/kg, and that was not cut
short for an adverse effect (no severe side effect, no rescue medication, not stopped before
the ordered dose was delivered). "Last tolerated" is the highest such dose.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ketaflow.clinical.dosing.limits import DEFAULT_DOSING_LIMITS, DosingLimits, SoftLimitWarning
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import cite
from ketaflow.clinical.routes import Route

STEP_ROUTES = (Route.SC, Route.IM)


@dataclass(frozen=True)
class EarlierDose:
    """A dose given in an earlier session of this course, as the apps read it from the rows."""

    mg_per_kg: float
    signed: bool
    stopped_for_adverse_effect: bool

    @property
    def tolerated(self) -> bool:
        return self.signed and not self.stopped_for_adverse_effect


def last_tolerated_mg_per_kg(earlier: Iterable[EarlierDose]) -> float | None:
    """The highest tolerated earlier dose, or None when there is none."""
    return max((d.mg_per_kg for d in earlier if d.tolerated), default=None)


def step_warnings(
    route: Route,
    mg_per_kg: float,
    *,
    earlier: Iterable[EarlierDose] = (),
    first_step_mg_per_kg: float | None = None,
    limits: DosingLimits = DEFAULT_DOSING_LIMITS,
) -> tuple[SoftLimitWarning, ...]:
    """The step warning for an SC/IM dose (none for other routes or a dose within the step).

    `first_step_mg_per_kg` is the protocol's first dose; without it the core's default (Glue's
    0.25 mg/kg) applies.
    """
    if route not in STEP_ROUTES:
        return ()
    first = limits.steps.first_step_mg_per_kg
    step = first.value if first_step_mg_per_kg is None else first_step_mg_per_kg
    if not math.isfinite(step) or step <= 0:
        raise ClinicalInputError(
            f"the first step must be more than 0 mg/kg, not {step:g}", field="first_step_mg_per_kg"
        )
    tolerated = last_tolerated_mg_per_kg(earlier)
    if tolerated is None:
        if mg_per_kg > step + 1e-9:
            return (
                SoftLimitWarning(
                    "dose.above_first_step",
                    f"{mg_per_kg:g} mg/kg is above the protocol's first step of {step:g} mg/kg "
                    f"and no earlier dose of this course was tolerated ({route.label}: ascending "
                    "doses, e.g. 0.25 -> 0.5 -> 1 mg/kg): needs a prescriber's override with a "
                    "reason",
                    cite("S8", "S10"),
                    first.needs_local_signoff and first_step_mg_per_kg is None,
                ),
            )
        return ()
    if mg_per_kg > tolerated + 1e-9:
        return (
            SoftLimitWarning(
                "dose.above_last_tolerated",
                f"{mg_per_kg:g} mg/kg is above the last tolerated dose of this course "
                f"({tolerated:g} mg/kg, {route.label}): an escalation needs a prescriber's "
                "override with a reason",
                cite("S8", "S9", "S10"),
                False,
            ),
        )
    return ()


__all__ = ["STEP_ROUTES", "EarlierDose", "last_tolerated_mg_per_kg", "step_warnings"]
