"""`ketaflow dose`: compute a ketamine dose from the command line (thin: parse, core, print).

Racemic routes (iv, sc, im, oral) take --mg-per-kg and --weight-kg, with an optional weight
basis (ideal/adjusted need --height-cm and --sex), and for IV --minutes and
--concentration-mg-per-ml for the pump rate. When obesity is likely (BMI >= 30, or >= 120 kg
with no height) --weight-basis and --weight-basis-reason are required. SC/IM doses above the
first ascending step (--first-step-mg-per-kg, default 0.25) or above
--last-tolerated-mg-per-kg warn. The IV rate ceiling (mg/kg/h), minimum duration and every
route's absolute mg cap are hard limits. Intranasal means esketamine nasal spray, which is
fixed-dose: give --dose-mg (28, 56 or 84) and --age; --mg-per-kg is refused for it, and
--weight-kg is accepted but not used. Add --subsequent-dose for any dose after day 1.

Exit status 0 with the dose (soft-limit warnings are printed and need a prescriber's override
with a reason); 2 with the reason for invalid input or a hard-limit breach.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketaflow.clinical.dosing import (
    DEFAULT_DOSING_LIMITS,
    DoseNote,
    EarlierDose,
    EsketamineDose,
    HardLimitExceeded,
    RacemicDose,
    SoftLimitWarning,
    WeightBasis,
    esketamine_dose,
    racemic_dose,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Source
from ketaflow.clinical.routes import Route, Sex

_RACEMIC_ONLY = (
    ("mg_per_kg", "--mg-per-kg"),
    ("weight_basis", "--weight-basis"),
    ("weight_basis_reason", "--weight-basis-reason"),
    ("last_tolerated_mg_per_kg", "--last-tolerated-mg-per-kg"),
    ("first_step_mg_per_kg", "--first-step-mg-per-kg"),
    ("height_cm", "--height-cm"),
    ("sex", "--sex"),
    ("minutes", "--minutes"),
    ("concentration_mg_per_ml", "--concentration-mg-per-ml"),
    ("max_dose_mg", "--max-dose-mg"),
)
_ESKETAMINE_ONLY = (
    ("dose_mg", "--dose-mg"),
    ("age", "--age"),
    ("subsequent_dose", "--subsequent-dose"),
)


def _flag(field: str | None) -> str:
    """The command-line option a core field name comes from, as a message prefix."""
    if field is None:
        return ""
    flag = {"age_years": "--age"}.get(field, "--" + field.replace("_", "-"))
    return f"{flag}: "


def _keys(sources: tuple[Source, ...]) -> list[str]:
    return [s.key for s in sources]


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def _advice(item: SoftLimitWarning | DoseNote) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": item.code,
        "message": item.message,
        "sources": _keys(item.sources),
    }
    if isinstance(item, SoftLimitWarning):
        out["needs_local_signoff"] = item.needs_local_signoff
    return out


def _hard_limits(result: RacemicDose | EsketamineDose) -> dict[str, Any]:
    """The hard limits the dose was checked against, each flagged if it needs local sign-off."""
    if isinstance(result, EsketamineDose):
        allowed = DEFAULT_DOSING_LIMITS.esketamine.allowed_doses_mg
        return {
            "max_dose_mg": {
                "value": result.max_dose_mg,
                "sources": _keys(allowed.sources),
                "needs_local_signoff": allowed.needs_local_signoff,
            }
        }
    route = DEFAULT_DOSING_LIMITS.for_route(result.route)
    cap = route.hard_max_mg
    out: dict[str, Any] = {
        "max_mg_per_kg": {
            "value": route.hard_max_mg_per_kg.value,
            "sources": _keys(route.hard_max_mg_per_kg.sources),
            "needs_local_signoff": route.hard_max_mg_per_kg.needs_local_signoff,
        },
        "max_dose_mg": {
            "value": result.max_dose_mg,
            "sources": _keys(cap.sources) if cap else [],
            "needs_local_signoff": cap.needs_local_signoff if cap else False,
        },
    }
    if result.route is Route.IV:
        infusion = DEFAULT_DOSING_LIMITS.infusion
        for name, setting in (
            ("max_mg_per_kg_per_h", infusion.hard_max_mg_per_kg_per_h),
            ("min_minutes", infusion.hard_min_minutes),
        ):
            out[name] = {
                "value": setting.value,
                "sources": _keys(setting.sources),
                "needs_local_signoff": setting.needs_local_signoff,
            }
    return out


class Command(BaseCommand):
    # A calculator over the clinical core: no database, no URLs, so no system checks to
    # run (they import every URL, view and API route: seconds before the first answer).
    requires_system_checks: list[str] = []
    help = (
        "Compute a ketamine dose: racemic by mg/kg and weight basis (with IV pump rate), or "
        "esketamine nasal spray by fixed dose. Exit 2 on invalid input or a hard-limit breach."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--route", required=True, choices=[r.value for r in Route])
        parser.add_argument("--mg-per-kg", type=float, help="racemic routes only")
        parser.add_argument("--weight-kg", type=float, help="actual body weight in kg")
        parser.add_argument(
            "--weight-basis", choices=[b.value for b in WeightBasis], help="default: actual"
        )
        parser.add_argument(
            "--weight-basis-reason",
            help="why this basis (required when BMI >= 30 or >= 120 kg without a height)",
        )
        parser.add_argument(
            "--last-tolerated-mg-per-kg",
            type=float,
            help="SC/IM: the highest dose this patient tolerated earlier in the course",
        )
        parser.add_argument(
            "--first-step-mg-per-kg",
            type=float,
            help="SC/IM: the protocol's first ascending step (default 0.25 mg/kg, Glue)",
        )
        parser.add_argument("--height-cm", type=float)
        parser.add_argument("--sex", choices=[s.value for s in Sex])
        parser.add_argument("--minutes", type=float, help="IV infusion duration")
        parser.add_argument("--concentration-mg-per-ml", type=float, help="drug concentration")
        parser.add_argument("--max-dose-mg", type=float, help="the order's own mg cap")
        parser.add_argument("--dose-mg", type=float, help="intranasal esketamine: 28, 56 or 84")
        parser.add_argument("--age", type=int, help="intranasal esketamine: age in years")
        parser.add_argument(
            "--subsequent-dose",
            action="store_true",
            help="intranasal esketamine: not the first (day-1) dose",
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        route = Route(options["route"])
        try:
            if route.is_esketamine:
                result: RacemicDose | EsketamineDose = self._esketamine(options)
            else:
                result = self._racemic(route, options)
        except HardLimitExceeded as exc:
            raise CommandError(
                f"refused ({exc.code}): {_flag(exc.field)}{exc.message} "
                f"[sources: {', '.join(_keys(exc.sources))}]",
                returncode=2,
            ) from exc
        except ClinicalInputError as exc:
            raise CommandError(
                f"invalid input: {_flag(exc.field)}{exc.message}", returncode=2
            ) from exc
        payload = _payload(result)
        if options["json"]:
            self.stdout.write(json.dumps(payload, indent=2))
        else:
            self.stdout.write(_text(result))

    @staticmethod
    def _reject(options: dict[str, Any], names: tuple[tuple[str, str], ...], why: str) -> None:
        """Refuse an option that does not apply to the route (given = not None, not False)."""
        for dest, flag in names:
            value = options.get(dest)
            if value is not None and value is not False:
                raise CommandError(f"invalid input: {flag} {why}", returncode=2)

    def _racemic(self, route: Route, options: dict[str, Any]) -> RacemicDose:
        self._reject(options, _ESKETAMINE_ONLY, "applies to --route intranasal only")
        for dest, flag in (("mg_per_kg", "--mg-per-kg"), ("weight_kg", "--weight-kg")):
            if options.get(dest) is None:
                raise CommandError(
                    f"invalid input: {flag} is required for --route {route.value}", returncode=2
                )
        basis = options.get("weight_basis")
        tolerated = options.get("last_tolerated_mg_per_kg")
        if tolerated is not None and tolerated <= 0:
            raise ClinicalInputError(
                f"must be more than 0 mg/kg, not {tolerated:g}", field="last_tolerated_mg_per_kg"
            )
        return racemic_dose(
            route,
            options["mg_per_kg"],
            options["weight_kg"],
            basis=WeightBasis(basis) if basis else None,
            basis_reason=options.get("weight_basis_reason") or "",
            earlier=[] if tolerated is None else [EarlierDose(tolerated, True, False)],
            first_step_mg_per_kg=options.get("first_step_mg_per_kg"),
            height_cm=options.get("height_cm"),
            sex=Sex(options["sex"]) if options.get("sex") else None,
            minutes=options.get("minutes"),
            concentration_mg_per_ml=options.get("concentration_mg_per_ml"),
            max_dose_mg=options.get("max_dose_mg"),
        )

    def _esketamine(self, options: dict[str, Any]) -> EsketamineDose:
        self._reject(
            options,
            _RACEMIC_ONLY,
            "does not apply to intranasal esketamine, a fixed dose: give --dose-mg 28, 56 or 84",
        )
        for dest, flag in (("dose_mg", "--dose-mg"), ("age", "--age")):
            if options.get(dest) is None:
                raise CommandError(
                    f"invalid input: {flag} is required for --route intranasal", returncode=2
                )
        return esketamine_dose(
            options["dose_mg"],
            age_years=options["age"],
            first_dose=not options.get("subsequent_dose"),
        )


def _payload(result: RacemicDose | EsketamineDose) -> dict[str, Any]:
    common = {
        "dose_mg": _round(result.dose_mg),
        "warnings": [_advice(w) for w in result.warnings],
        "notes": [_advice(n) for n in result.notes],
        "requires_override": result.requires_override,
        "sources": _keys(result.sources),
        "limits_version": result.limits_version,
        "max_dose_mg": result.max_dose_mg,
        "hard_limits": _hard_limits(result),
    }
    if isinstance(result, EsketamineDose):
        return {
            "route": Route.INTRANASAL.value,
            "drug": "esketamine",
            "weight_basis": None,
            "basis_weight_kg": None,
            "rate_ml_per_h": None,
            "devices": result.devices,
            "first_dose": result.first_dose,
            **common,
        }
    infusion = result.infusion
    return {
        "route": result.route.value,
        "drug": "racemic ketamine",
        "mg_per_kg": result.mg_per_kg,
        "weight_basis": result.weight_basis.value,
        "actual_weight_kg": result.actual_weight_kg,
        "basis_weight_kg": _round(result.basis_weight_kg),
        "ideal_weight_kg": _round(result.ideal_weight_kg),
        "bmi": _round(result.bmi, 1),
        "capped_at_order_maximum": result.capped_at_order_maximum,
        "weight_basis_reason": result.weight_basis_reason or None,
        "weight_basis_warning": _advice(result.weight_basis_warning)
        if result.weight_basis_warning
        else None,
        "concentration_mg_per_ml": result.concentration_mg_per_ml,
        "volume_ml": _round(result.volume_ml),
        "minutes": infusion.minutes if infusion else None,
        "mg_per_min": _round(infusion.mg_per_min, 3) if infusion else None,
        "mg_per_kg_per_h": _round(infusion.mg_per_kg_per_h, 3) if infusion else None,
        "rate_ml_per_h": _round(result.rate_ml_per_h),
        **common,
    }


def _text(result: RacemicDose | EsketamineDose) -> str:
    if isinstance(result, EsketamineDose):
        lines = [
            f"esketamine nasal spray: {result.dose_mg} mg ({result.devices} x 28 mg device)"
            + (" - first dose" if result.first_dose else "")
        ]
    else:
        lines = [
            f"{result.route.label}: {result.dose_mg:.2f} mg = {result.mg_per_kg:g} mg/kg x "
            f"{result.basis_weight_kg:.1f} kg ({result.weight_basis.value} weight)"
        ]
        if result.weight_basis is not WeightBasis.ACTUAL:
            lines.append(f"actual weight {result.actual_weight_kg:g} kg")
        if result.weight_basis_warning is not None:
            w = result.weight_basis_warning
            lines.append(
                f"WARNING [{w.code}] {w.message} Chosen: {result.weight_basis.value} weight, "
                f"because: {result.weight_basis_reason}"
            )
        if result.volume_ml is not None:
            lines.append(
                f"volume: {result.volume_ml:.2f} mL at {result.concentration_mg_per_ml:g} mg/mL"
            )
        if result.infusion is not None:
            inf = result.infusion
            rate = f"; pump {inf.rate_ml_per_h:.2f} mL/h" if inf.rate_ml_per_h is not None else ""
            lines.append(
                f"infusion: over {inf.minutes:g} min, {inf.mg_per_min:.3f} mg/min, "
                f"{inf.mg_per_kg_per_h:.3f} mg/kg/h{rate}"
            )
    for w in result.warnings:
        lines.append(f"WARNING [{w.code}] {w.message} (sources: {', '.join(_keys(w.sources))})")
    for name, limit in _hard_limits(result).items():
        flag = " (clinic default: needs local sign-off)" if limit["needs_local_signoff"] else ""
        if limit["value"] is not None:
            lines.append(f"hard limit {name}: {limit['value']:g}{flag}")
    for n in result.notes:
        lines.append(f"note [{n.code}] {n.message}")
    if result.requires_override:
        lines.append("PRESCRIBER OVERRIDE WITH A REASON REQUIRED before this dose is given")
    lines.append(f"sources: {', '.join(_keys(result.sources))}")
    return "\n".join(lines)
