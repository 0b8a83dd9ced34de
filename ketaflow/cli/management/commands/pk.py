"""`ketaflow pk`: predicted plasma ketamine for a regimen (thin: parse, core, print).

  pk simulate   --model M --weight-kg W --route iv --mg-per-kg X --minutes M --times 40,80 [--json]
  pk population --model M --n N --weight-kg W ... --times ... [--seed S] [--json]
  pk plot       ... --output FILE.svg|png   (a curve, or the percentile band with --n)

Racemic routes take --mg-per-kg (or --dose-mg); IV takes --minutes (omit it for a bolus).
The esketamine-nasal model takes --route intranasal --dose-mg 28/56/84 (weight not used).
Times: --times T1,T2,... (strictly increasing) or --horizon H [--step S]. Invalid input exits 2
with the reason. Decision support and education, not control of an infusion pump.
"""

from __future__ import annotations

import json
import math
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk import (
    DEFAULT_MODEL,
    MODELS,
    PKModel,
    PkRoute,
    Regimen,
    WeightDistribution,
    get_model,
    grid,
    population,
    simulate,
    single_dose,
)


def _invalid(message: str) -> CommandError:
    return CommandError(f"invalid input: {message}", returncode=2)


def _times(options: dict[str, Any]) -> np.ndarray:
    text = options.get("times")
    if text:
        try:
            values = [float(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise _invalid("--times must be numbers separated by commas") from None
        return np.asarray(values)
    horizon = options.get("horizon")
    if horizon is None:
        raise _invalid("give --times T1,T2,... or --horizon MINUTES")
    return grid(horizon, options.get("step") or 1.0)


def _regimen(model: PKModel, options: dict[str, Any]) -> tuple[Regimen, float, bool]:
    """(regimen, weight used, per_kg) from the dose options."""
    route = PkRoute(options["route"])
    mg_per_kg, dose_mg = options.get("mg_per_kg"), options.get("dose_mg")
    minutes = options.get("minutes")
    if minutes is not None and route is not PkRoute.IV:
        raise _invalid("--minutes applies to --route iv only")
    if (mg_per_kg is None) == (dose_mg is None):
        raise _invalid("give exactly one of --mg-per-kg and --dose-mg")
    weight = options.get("weight_kg")
    if model.uses_weight:
        if weight is None:
            raise _invalid(f"--weight-kg is required for model {model.key}")
    elif mg_per_kg is not None:
        raise _invalid(f"model {model.key} has no weight covariate: give --dose-mg")
    weight = 70.0 if weight is None else weight
    if not math.isfinite(weight) or weight <= 0:
        raise _invalid("--weight-kg: weight must be greater than 0 kg")
    per_kg = mg_per_kg is not None
    amount = float(mg_per_kg if mg_per_kg is not None else dose_mg or 0.0)
    regimen = single_dose(route, amount, minutes)
    return regimen, weight, per_kg


def _common(parser: ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"one of: {', '.join(MODELS)}")
    parser.add_argument("--weight-kg", type=float, help="body weight (kg)")
    parser.add_argument("--route", default="iv", choices=[r.value for r in PkRoute])
    parser.add_argument("--mg-per-kg", type=float, help="dose in mg/kg")
    parser.add_argument("--dose-mg", type=float, help="dose in mg (esketamine: 28, 56, 84)")
    parser.add_argument("--minutes", type=float, help="IV infusion duration (omit for a bolus)")
    parser.add_argument("--bioavailability", type=float, help="override F for the route (0-1]")
    parser.add_argument("--times", help="sample times in minutes: T1,T2,... increasing")
    parser.add_argument("--horizon", type=float, help="sample 0..HORIZON minutes instead")
    parser.add_argument("--step", type=float, help="with --horizon: step in minutes (1)")


def _population_options(parser: ArgumentParser, required: bool) -> None:
    parser.add_argument("--n", type=int, required=required, help="virtual patients")
    parser.add_argument("--seed", type=int, help="random seed, for reproducible runs")
    parser.add_argument("--weight-sd-kg", type=float, default=0.0, help="weight SD (kg)")
    parser.add_argument("--threads", type=int, help="worker threads")


def _sources(model: PKModel) -> list[str]:
    return [s.key for s in model.sources]


def _header(model: PKModel) -> dict[str, Any]:
    return {
        "model": model.key,
        "model_name": model.name,
        "drug": model.drug,
        "evidence": model.evidence.value,
        "needs_local_signoff": model.needs_local_signoff,
        "sources": _sources(model),
        "caveat": model.caveat,
    }


class Command(BaseCommand):
    # A calculator over the clinical core: no database, no URLs, so no system checks to
    # run (they import every URL, view and API route: seconds before the first answer).
    requires_system_checks: list[str] = []
    help = (
        "Predict plasma ketamine for a regimen: one typical patient (simulate), a virtual "
        "population's percentile band (population), or a chart (plot). Exit 2 on invalid input."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        simulate_p = sub.add_parser("simulate", help="typical-patient curve")
        _common(simulate_p)
        simulate_p.add_argument("--json", action="store_true")
        population_p = sub.add_parser("population", help="percentiles over virtual patients")
        _common(population_p)
        _population_options(population_p, required=True)
        population_p.add_argument("--json", action="store_true")
        plot_p = sub.add_parser("plot", help="draw the curve (or band with --n) to a file")
        _common(plot_p)
        _population_options(plot_p, required=False)
        plot_p.add_argument("--output", required=True, help="FILE.svg or FILE.png")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model = get_model(options["model"])
            regimen, weight, per_kg = _regimen(model, options)
            times = _times(options)
            action = options["action"]
            if action == "simulate":
                dose = regimen.scaled(weight) if per_kg else regimen
                self._simulate(model, dose, weight, times, options)
            elif action == "population":
                self._population(model, regimen, weight, per_kg, times, options)
            else:
                self._plot(model, regimen, weight, per_kg, times, options)
        except ClinicalInputError as exc:
            flag = f"--{exc.field.replace('_', '-')}: " if exc.field else ""
            raise _invalid(f"{flag}{exc.message}") from exc

    def _simulate(self, model: PKModel, regimen: Regimen, weight: float, times: np.ndarray,
                  options: dict[str, Any]) -> None:  # fmt: skip
        curve = simulate(model, weight, regimen, times, bioavailability=_f(options))
        payload = {
            **_header(model),
            "engine": curve.engine,
            "weight_kg": weight,
            "route": options["route"],
            "dose_mg": regimen.total_mg,
            "times_min": curve.times_min.tolist(),
            "concentration_ng_per_ml": curve.concentration_ng_per_ml.tolist(),
            "metabolite": curve.metabolite,
            "metabolite_ng_per_ml": None
            if curve.metabolite_ng_per_ml is None
            else curve.metabolite_ng_per_ml.tolist(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(payload, indent=2))
            return
        who = f"{weight:g} kg" if model.uses_weight else "weight not used"
        lines = [f"{model.name} ({model.drug}), {who}, {regimen.total_mg:.2f} mg"]
        for i, t in enumerate(curve.times_min):
            row = f"{t:8.1f} min  {curve.concentration_ng_per_ml[i]:10.2f} ng/mL"
            if curve.metabolite_ng_per_ml is not None:
                row += f"  {curve.metabolite} {curve.metabolite_ng_per_ml[i]:.2f} ng/mL"
            lines.append(row)
        lines += _footer(model)
        self.stdout.write("\n".join(lines))

    def _run_population(self, model: PKModel, regimen: Regimen, weight: float, per_kg: bool,
                        times: np.ndarray, options: dict[str, Any]) -> Any:  # fmt: skip
        if options.get("threads") is not None and options["threads"] < 1:
            raise _invalid("--threads must be 1 or more")
        return population(
            model,
            regimen,
            n=options["n"],
            weight=WeightDistribution(weight, options.get("weight_sd_kg") or 0.0),
            times=times,
            seed=options.get("seed"),
            per_kg=per_kg,
            threads=options.get("threads"),
        )

    def _population(self, model: PKModel, regimen: Regimen, weight: float, per_kg: bool,
                    times: np.ndarray, options: dict[str, Any]) -> None:  # fmt: skip
        s = self._run_population(model, regimen, weight, per_kg, times, options)
        dist = {
            name: {"p5": d.p5, "p50": d.p50, "p95": d.p95, "mean": d.mean}
            for name, d in (
                ("cmax_ng_per_ml", s.cmax),
                ("tmax_min", s.tmax),
                ("auc_ng_min_per_ml", s.auc),
            )
        }
        payload = {
            **_header(model),
            "n": s.n,
            "seed": s.seed,
            "variability": s.variability_note,
            "times_min": s.times_min.tolist(),
            "p5": s.p5.tolist(),
            "p50": s.p50.tolist(),
            "p95": s.p95.tolist(),
            **dist,
            "metabolite": model.metabolite,
            "metabolite_p50": None if s.metabolite_p50 is None else s.metabolite_p50.tolist(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(payload, indent=2))
            return
        lines = [f"{model.name}: {s.n:,} virtual patients (seed {s.seed})", s.variability_note]
        lines.append(f"{'min':>8}  {'p5':>9}  {'p50':>9}  {'p95':>9}  ng/mL")
        for i, t in enumerate(s.times_min):
            lines.append(f"{t:8.1f}  {s.p5[i]:9.2f}  {s.p50[i]:9.2f}  {s.p95[i]:9.2f}")
        lines.append(
            f"Cmax p5/p50/p95 {s.cmax.p5:.1f}/{s.cmax.p50:.1f}/{s.cmax.p95:.1f} ng/mL; "
            f"Tmax median {s.tmax.p50:.1f} min; AUC median {s.auc.p50:.0f} ng·min/mL"
        )
        lines += _footer(model)
        self.stdout.write("\n".join(lines))

    def _plot(self, model: PKModel, regimen: Regimen, weight: float, per_kg: bool,
              times: np.ndarray, options: dict[str, Any]) -> None:  # fmt: skip
        from ketaflow.lib.charts import band_figure, curve_figure, render

        path = Path(options["output"])
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("svg", "png"):
            raise _invalid("--output must end in .svg or .png")
        if options.get("n") is not None:
            fig = band_figure(self._run_population(model, regimen, weight, per_kg, times, options))
        else:
            dose = regimen.scaled(weight) if per_kg else regimen
            fig = curve_figure(simulate(model, weight, dose, times, bioavailability=_f(options)))
        try:
            path.write_bytes(render(fig, fmt))
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}", returncode=1) from exc
        self.stdout.write(f"wrote {path}")


def _f(options: dict[str, Any]) -> dict[PkRoute, float] | None:
    value = options.get("bioavailability")
    return None if value is None else {PkRoute(options["route"]): value}


def _footer(model: PKModel) -> list[str]:
    flag = (
        "UNVERIFIED - needs local sign-off" if model.needs_local_signoff else model.evidence.value
    )
    return [
        f"status: {flag}; sources: {', '.join(_sources(model))}",
        f"caveat: {model.caveat}",
        "Decision support and education only; not for controlling an infusion pump.",
    ]
