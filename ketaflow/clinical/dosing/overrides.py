"""Prescriber overrides of soft limits: each warning needs one, with a reason.

The core only suggests; the apps record who overrode what and why. This module is the single
check they call before an order with warnings may be signed, so that a soft limit can never be
passed silently. A hard limit has no override: see `HardLimitExceeded`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ketaflow.clinical.dosing.limits import SoftLimitWarning
from ketaflow.clinical.errors import ClinicalInputError

MIN_REASON_CHARS = 10

#: Each soft limit in a few words, for records that name an override after the fact (the
#: signing summary); the warning's own message carries the values at the time.
LABELS: dict[str, str] = {
    "dose.above_soft_max_mg_per_kg": "dose above the usual maximum per kg",
    "dose.above_first_step": "first dose above the protocol's first step",
    "dose.above_last_tolerated": "dose step above the last one tolerated",
    "esketamine.above_start_dose": "esketamine dose above the starting dose",
    "infusion.below_soft_min_minutes": "infusion shorter than usual",
    "infusion.above_soft_max_minutes": "infusion longer than usual",
    "weight_basis.choice_required": "weight basis chosen by the prescriber",
    "titration.above_start_dose": "first titrated dose above the protocol's start dose",
    "titration.step_above_protocol_step": "titration step larger than the protocol's",
    "titration.step_too_soon": "titration step sooner than the protocol's interval",
    "titration.step_while_stop_criterion": "titration step up while a stop criterion holds",
}


@dataclass(frozen=True)
class SoftLimitOverride:
    """A prescriber's decision to proceed past one soft-limit warning, and why."""

    code: str
    reason: str


def confirm_overrides(
    warnings: Iterable[SoftLimitWarning], overrides: Iterable[SoftLimitOverride]
) -> tuple[SoftLimitOverride, ...]:
    """The overrides, in warning order, once every warning has one with a real reason.

    Raises `ClinicalInputError` when a warning has no override, a reason is shorter than
    `MIN_REASON_CHARS` non-blank characters (a clinic convention, not a published rule), or
    an override names no current warning (it would otherwise be recorded against nothing).
    """
    by_code = {o.code: o for o in overrides}
    codes = [w.code for w in warnings]
    missing = [c for c in codes if c not in by_code]
    if missing:
        raise ClinicalInputError(
            f"needs a prescriber's override with a reason for: {', '.join(missing)}",
            field="overrides",
        )
    stray = sorted(set(by_code) - set(codes))
    if stray:
        raise ClinicalInputError(
            f"no such warning to override: {', '.join(stray)}", field="overrides"
        )
    for code in codes:
        if len(by_code[code].reason.strip()) < MIN_REASON_CHARS:
            raise ClinicalInputError(
                f"the override of {code} needs a reason of at least {MIN_REASON_CHARS} characters",
                field="overrides",
            )
    return tuple(by_code[c] for c in codes)
