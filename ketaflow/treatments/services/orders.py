"""The dose order: a nurse proposes, a prescriber confirms (each soft limit overridden with why)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.dosing import (
    HardLimitExceeded,
    SoftLimitOverride,
    SoftLimitWarning,
    WeightBasis,
    check_dose_cap,
    check_infusion_hard_limits,
    confirm_overrides,
    esketamine_dose,
    racemic_dose,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route, Sex
from ketaflow.clinical.titration import check_dose, titrated_dose
from ketaflow.lib.clock import local
from ketaflow.patients.models import Measurement
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    DoseOrder,
    OrderStatus,
    TreatmentSession,
)
from ketaflow.treatments.services._common import (
    _audit,
    _invalid,
    _lock,
    _require,
    _touch,
)

# ---------------------------------------------------------------------------- orders


def _order_values(
    row: TreatmentSession,
    *,
    mg_per_kg: float | None,
    dose_mg: float | None,
    weight_basis: str | None,
    weight_basis_reason: str,
    minutes: float | None,
    concentration_mg_per_ml: float | None,
    max_dose_mg: float | None,
    first_dose: bool,
) -> dict[str, Any]:
    """The core's dose for these inputs as model fields (hard limits raise)."""
    route = derive.route_of(row)
    patient = row.patient
    now = timezone.now()
    if route.is_esketamine:
        if dose_mg is None:
            raise ValidationError({"dose_mg": ["Give the esketamine dose in mg (28, 56 or 84)."]})
        age = patient.age_on(local(now, patient.clinic).date())
        e = esketamine_dose(dose_mg, age_years=age, first_dose=first_dose)
        return {
            "route": route.value,
            "dose_mg": float(e.dose_mg),
            "warnings": _warnings(e.warnings),
            "notes": [n.message for n in e.notes],
            "limits_version": e.limits_version,
            "max_dose_mg": e.max_dose_mg,
        }
    rules = derive.protocol_of(row).titration()
    if rules is not None:
        return _titrated_values(row, route, dose_mg)
    if mg_per_kg is None:
        raise ValidationError({"mg_per_kg": ["Give the dose in mg/kg."]})
    weight = derive.todays_weight(row, local(now, patient.clinic).date())
    if weight is None:
        raise ValidationError({"mg_per_kg": ["Record today's weight first (checklist)."]})
    height = (
        Measurement.objects.filter(patient=patient, kind=Measurement.Kind.HEIGHT)
        .order_by("-measured_on")
        .first()
    )
    sex = Sex(patient.sex_at_birth) if patient.sex_at_birth in ("female", "male") else None
    try:
        basis = WeightBasis(weight_basis) if weight_basis else None
    except ValueError:
        raise ValidationError({"weight_basis": ["Choose a weight basis."]}) from None
    if route is Route.IV and minutes is None:
        minutes = float(derive.protocol_of(row).infusion_minutes.value)  # type: ignore[union-attr]
    d = racemic_dose(
        route,
        mg_per_kg,
        float(weight),
        basis=basis,
        basis_reason=weight_basis_reason,
        height_cm=float(height.value) if height else None,
        sex=sex,
        minutes=minutes if route is Route.IV else None,
        concentration_mg_per_ml=concentration_mg_per_ml,
        max_dose_mg=max_dose_mg,
        earlier=derive.earlier_doses(row),
        first_step_mg_per_kg=derive.first_step_mg_per_kg(row),
    )
    if route is Route.IV and concentration_mg_per_ml is None:
        raise ValidationError({"concentration_mg_per_ml": ["Give the bag's concentration."]})
    return {
        "route": route.value,
        "mg_per_kg": mg_per_kg,
        "weight_basis": d.weight_basis.value,
        "weight_basis_reason": d.weight_basis_reason[:300],
        "max_dose_mg": d.max_dose_mg,
        "actual_weight_kg": d.actual_weight_kg,
        "basis_weight_kg": d.basis_weight_kg,
        "dose_mg": d.dose_mg,
        "concentration_mg_per_ml": concentration_mg_per_ml,
        "minutes": d.infusion.minutes if d.infusion else None,
        "rate_ml_per_h": d.rate_ml_per_h,
        "mg_per_min": d.infusion.mg_per_min if d.infusion else None,
        "warnings": _warnings(d.warnings),
        "notes": [n.message for n in d.notes]
        + ([d.weight_basis_warning.message] if d.weight_basis_warning else []),
        "limits_version": d.limits_version,
    }


def _titrated_values(row: TreatmentSession, route: Route, dose_mg: float | None) -> dict[str, Any]:
    """A fixed-mg oral/sublingual order checked by the titration rules (hard limits raise)."""
    if dose_mg is None:
        raise ValidationError({"dose_mg": ["Give the dose in mg."]})
    rules = derive.protocol_of(row).titration()
    assert rules is not None  # the caller asked
    today = local(timezone.now(), row.patient.clinic).date()
    weight = derive.todays_weight(row, today)
    if weight is None:
        raise ValidationError({"dose_mg": ["Record today's weight first (checklist)."]})
    d = titrated_dose(
        route,
        float(dose_mg),
        float(weight),
        rules,
        derive.supervised_history(row),
        today,
        misuse_open=derive.misuse_signals_open(row, today),
        home=derive.home_intake(row),
    )
    proposal = d.proposal
    suggested = f"{proposal.mg:g} mg" if proposal.mg is not None else "no further dose"
    return {
        "route": route.value,
        "dose_mg": d.dose_mg,
        "actual_weight_kg": d.weight_kg,
        "max_dose_mg": d.max_dose_mg,
        "warnings": _warnings(d.warnings),
        "notes": [
            f"Titration suggests: {proposal.action.value.replace('_', ' ')} ({suggested}): "
            + "; ".join(proposal.reasons)
        ],
        "limits_version": d.limits_version,
    }


def _warnings(warnings: Iterable[SoftLimitWarning]) -> list[dict[str, str]]:
    return [{"code": w.code, "message": w.message} for w in warnings]


def _overrides(
    actor: User, warnings: list[dict[str, str]], overrides: Mapping[str, str] | None
) -> list[dict[str, str]]:
    if not warnings:
        return []
    if overrides:
        _require(actor, Capability.OVERRIDE_LIMITS)
    warns = [SoftLimitWarning(w["code"], w["message"], ()) for w in warnings]
    given = [SoftLimitOverride(code, reason) for code, reason in (overrides or {}).items()]
    try:
        confirmed = confirm_overrides(warns, given)
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    return [{"code": o.code, "reason": o.reason.strip(), "by": actor.username} for o in confirmed]


def _recheck_hard_limits(order: DoseOrder) -> None:
    """A proposed order is re-checked against today's hard limits before it is confirmed."""
    route = Route(order.route)
    try:
        if route.is_esketamine:
            return  # the label doses are checked when proposed; none exceeds the 84 mg cap
        check_dose_cap(route, order.dose_mg)
        rules = derive.protocol_of(order.session).titration()
        if rules is not None:  # doses given since it was proposed count against the ceilings
            today = local(timezone.now(), order.session.patient.clinic).date()
            history = derive.supervised_history(order.session)
            home = derive.home_intake(order.session)
            check_dose(rules, history, order.dose_mg, today, home=home)
        if order.minutes and order.basis_weight_kg:
            check_infusion_hard_limits(order.minutes, order.dose_mg, order.basis_weight_kg)
    except HardLimitExceeded as exc:
        raise ValidationError(
            {exc.field or "mg_per_kg": [f"Hard limit ({exc.code}): {exc.message}"]}
        ) from exc
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc


def _dosing_started(row: TreatmentSession) -> bool:
    """Any administration line in force (lines entered in error gave no drug)."""
    return row.events.filter(entered_in_error_at__isnull=True).exists()


@transaction.atomic
def enter_order(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    mg_per_kg: float | None = None,
    dose_mg: float | None = None,
    weight_basis: str | None = None,
    weight_basis_reason: str = "",
    minutes: float | None = None,
    concentration_mg_per_ml: float | None = None,
    max_dose_mg: float | None = None,
    first_dose: bool | None = None,
    confirm: bool = False,
    overrides: Mapping[str, str] | None = None,
) -> DoseOrder:
    """A nurse proposes; a prescriber may enter and confirm at once. Hard limits refuse.

    `weight_basis` None (not chosen) means actual weight, unless obesity is likely: then the
    basis must be chosen and `weight_basis_reason` given (recorded on the order).
    """
    _require(actor, Capability.CHART_SESSION)
    if confirm:
        _require(actor, Capability.SIGN_SESSION)
    row = _lock(actor, session, version)
    if _dosing_started(row):
        raise ValidationError({"__all__": ["Dosing has started: the order can no longer change."]})
    first = first_dose if first_dose is not None else row.session_number == 1
    try:
        values = _order_values(
            row,
            mg_per_kg=mg_per_kg,
            dose_mg=dose_mg,
            weight_basis=weight_basis,
            weight_basis_reason=weight_basis_reason,
            minutes=minutes,
            concentration_mg_per_ml=concentration_mg_per_ml,
            max_dose_mg=max_dose_mg,
            first_dose=first,
        )
    except HardLimitExceeded as exc:
        raise ValidationError(
            {exc.field or "mg_per_kg": [f"Hard limit ({exc.code}): {exc.message}"]}
        ) from exc
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    accepted = _overrides(actor, values["warnings"], overrides) if confirm else []
    row.orders.exclude(status=OrderStatus.SUPERSEDED).update(status=OrderStatus.SUPERSEDED)
    order = DoseOrder(
        session=row,
        status=OrderStatus.CONFIRMED if confirm else OrderStatus.PROPOSED,
        proposed_by=actor,
        overrides=accepted,
        confirmed_by=actor if confirm else None,
        confirmed_at=timezone.now() if confirm else None,
        **values,
    )
    order._history_user = actor  # type: ignore[attr-defined]
    order.save()
    _touch(row, actor)
    _audit(
        actor,
        row,
        "order_confirmed" if confirm else "order_proposed",
        order,
        dose_mg=order.dose_mg,
        warnings=[w["code"] for w in order.warnings],
        overrides=accepted,
    )
    return order


@transaction.atomic
def confirm_order(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    overrides: Mapping[str, str] | None = None,
) -> DoseOrder:
    """A prescriber confirms the proposed order, overriding each soft limit with a reason."""
    _require(actor, Capability.SIGN_SESSION)
    row = _lock(actor, session, version)
    if _dosing_started(row):
        raise ValidationError({"__all__": ["Dosing has started: the order can no longer change."]})
    order = derive.current_order(row)
    if order is None or order.status != OrderStatus.PROPOSED:
        raise ValidationError({"__all__": ["There is no proposed order to confirm."]})
    _recheck_hard_limits(order)
    order.overrides = _overrides(actor, order.warnings, overrides)
    order.status = OrderStatus.CONFIRMED
    order.confirmed_by = actor
    order.confirmed_at = timezone.now()
    order._history_user = actor  # type: ignore[attr-defined]
    order.save()
    _touch(row, actor)
    _audit(actor, row, "order_confirmed", order, overrides=order.overrides)
    return order
