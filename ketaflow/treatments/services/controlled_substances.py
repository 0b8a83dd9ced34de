"""The controlled-substance log: lot, drawn, given (from the events), wasted, witness."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.clinical import administration as adm
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    ControlledSubstanceLog,
    TreatmentSession,
)
from ketaflow.treatments.services._common import (
    _audit,
    _lock,
    _require,
    _touch,
)

BALANCE_TOLERANCE_MG = 0.05


# ---------------------------------------------------------------------------- controlled substance


@transaction.atomic
def record_cs_log(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    lot: str,
    drawn_mg: float,
    wasted_mg: float,
    witness: User,
    discrepancy_reason: str = "",
) -> ControlledSubstanceLog:
    """Given mg is the delivered dose from the events; drawn = given + wasted or say why."""
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version)
    errors: dict[str, list[str]] = {}
    if not lot.strip():
        errors["lot"] = ["Give the lot number."]
    if witness.pk == actor.pk:
        errors["witness_id"] = ["The witness must be someone other than you."]
    elif witness.clinic_pk != actor.clinic_pk or not witness.can(Capability.CHART_SESSION):
        errors["witness_id"] = ["The witness must be a nurse or prescriber of this clinic."]
    for name, value in (("drawn_mg", drawn_mg), ("wasted_mg", wasted_mg)):
        if value < 0 or value > 10000:
            errors[name] = ["Must be between 0 and 10000 mg."]
    if errors:
        raise ValidationError(errors)
    record = derive.record_of(row)
    if derive.dose_completed_at(row, record) is None:
        raise ValidationError({"__all__": ["Record the controlled-substance log after dosing."]})
    given = round(adm.delivered_mg(record, timezone.now()), 2)
    gap = drawn_mg - given - wasted_mg
    if abs(gap) > BALANCE_TOLERANCE_MG and not discrepancy_reason.strip():
        raise ValidationError(
            {
                "discrepancy_reason": [
                    f"Drawn {drawn_mg:g} mg ≠ given {given:g} mg + wasted {wasted_mg:g} mg "
                    f"(off by {gap:+.2f} mg): say why."
                ]
            }
        )
    entry = ControlledSubstanceLog.objects.create(
        session=row,
        lot=lot.strip()[:60],
        drawn_mg=drawn_mg,
        given_mg=given,
        wasted_mg=wasted_mg,
        witness=witness,
        recorded_by=actor,
        discrepancy_reason=discrepancy_reason.strip()[:300],
    )
    _touch(row, actor)
    _audit(actor, row, "controlled_substance", entry, lot=entry.lot, gap=round(gap, 2))
    return entry
