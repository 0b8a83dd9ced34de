"""Benchmark of the PK simulator against scipy's solve_ivp and PyTCI (exact mode), side by side.

Job (docs/benchmarks.md): Herd & Anderson 2007 with its published between-subject variability,
weight ~ N(70, 15) kg truncated to 40–180, 0.5 mg/kg IV over 40 min, samples every minute from
0 to 400 min (401 points), N = 100,000 virtual patients, exact 5/50/95th percentiles per time
point plus per-patient Cmax, Tmax and AUC. The peers run a small sample of the same patients
and are extrapolated linearly to N. A benchmark, not a test: run with `make bench-pk`.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ketaflow.clinical.pk import MODELS, WeightDistribution, population, single_dose
from ketaflow.clinical.pk.compartment_models import Mammillary, PkRoute
from ketaflow.clinical.pk.population import default_threads, fill_matrix, sample_patients
from ketaflow.clinical.pk.summary import percentiles_inplace

MODEL = MODELS["herd"]
REGIMEN = single_dose(PkRoute.IV, 0.5, 40.0)  # mg/kg, scaled by each patient's weight
TIMES = np.arange(401, dtype=np.float64)
WEIGHT = WeightDistribution(70.0, 15.0)


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def ours(n: int, threads: int, repeats: int) -> dict[str, float]:
    patients = sample_patients(MODEL, n, WEIGHT, seed=1)
    matrix = np.ones((TIMES.size, n))  # touched, so page faults are not timed
    sim = best_of(repeats, lambda: fill_matrix(patients, REGIMEN, TIMES, matrix, threads=threads))
    copy = np.empty_like(matrix)

    def select() -> None:
        np.copyto(copy, matrix)
        percentiles_inplace(copy, threads=threads)

    copy_only = best_of(repeats, lambda: np.copyto(copy, matrix))
    pct = max(best_of(repeats, select) - copy_only, 0.0)
    whole = best_of(
        repeats,
        lambda: population(
            MODEL, REGIMEN, n=n, weight=WEIGHT, times=TIMES, seed=1, threads=threads
        ),
    )

    tracemalloc.start()
    check = population(MODEL, REGIMEN, n=n, weight=WEIGHT, times=TIMES, seed=1, threads=threads)
    job_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "simulate": sim,
        "percentiles": pct,
        "whole": whole,
        "job_peak_mb": job_peak,
        "p50_40": float(check.p50[40]),
    }


def solve_ivp_per_patient(sample: int) -> tuple[float, float]:
    """Seconds per patient with LSODA (rtol 1e-8), and max relative error vs the closed form."""
    from ketaflow.clinical.pk import closed_form, reference_ode
    from ketaflow.clinical.pk.systems import default_absorption, mammillary_system

    patients = sample_patients(MODEL, sample, WEIGHT, seed=1)
    f, ka = default_absorption(sample)
    p = patients.params
    assert isinstance(p, Mammillary)
    system, plan = mammillary_system(p, REGIMEN, f, ka, patients.dose_scale)
    exact = closed_form.concentrations(p, REGIMEN, TIMES, dose_scale=patients.dose_scale)
    err = 0.0
    start = time.perf_counter()
    for i in range(sample):
        got = reference_ode.simulate(system, plan, TIMES, patient=i, rtol=1e-8, atol=1e-10)[:, 0]
        err = max(err, float(np.max(np.abs(got - exact[:, i])) / np.max(exact[:, i])))
    return (time.perf_counter() - start) / sample, err


def pytci_per_patient(sample: int) -> tuple[float, float] | None:
    """Seconds per patient with PyTCI's exact integrator (a custom model), and max rel. error."""
    try:
        from PyTCI.models.base import Three
    except ImportError:
        return None
    from ketaflow.clinical.pk import closed_form

    patients = sample_patients(MODEL, sample, WEIGHT, seed=1)
    p = patients.params
    assert isinstance(p, Mammillary)
    exact = closed_form.concentrations(p, REGIMEN, TIMES, dose_scale=patients.dose_scale)
    err = 0.0
    start = time.perf_counter()
    for i in range(sample):
        m = Three()
        m.v1, m.k10, m.k12, m.k21 = p.v1[i], p.k10[i], p.k12[i], p.k21[i]
        m.k13 = m.k31 = 0.0
        m.keo = 1.0
        m.setup()
        m.set_integrator("exact")
        rate = REGIMEN.infusions[0].mg_per_min * patients.dose_scale[i] / 60.0
        out = [m.x1]
        for minute in range(1, TIMES.size):
            if minute <= 40:
                m.giveoverseconds(rate, 60)
            else:
                m.wait_time(60)
            out.append(m.x1)
        got = np.asarray(out) * 1000.0
        err = max(err, float(np.max(np.abs(got - exact[:, i])) / np.max(exact[:, i])))
    return (time.perf_counter() - start) / sample, err


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=20, help="patients for the peers")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=default_threads())
    args = parser.parse_args(argv)
    n = args.n
    load = os.getloadavg()[0]
    print(f"PK benchmark: {MODEL.name}, N = {n:,} x {TIMES.size} points")
    print(f"  {args.threads} thread(s), {os.cpu_count()} CPU(s), 1-min load average {load:.1f}")
    r = ours(n, args.threads, args.repeats)
    print(f"  ketaflow closed form, simulation only:        {r['simulate']:8.3f} s")
    print(f"  exact 5/50/95th percentiles (selection):      {r['percentiles']:8.3f} s")
    print(f"  whole job (sample+simulate+exposures+pct):    {r['whole']:8.3f} s")
    print(f"  median at 40 min: {r['p50_40']:.1f} ng/mL")
    print(
        f"  peak memory of the whole job (tracemalloc): {r['job_peak_mb']:.0f} MB; "
        f"process peak RSS incl. the bench's own copies {peak_rss_mb():.0f} MB"
    )
    results = {**r, "peak_rss_mb": peak_rss_mb()}
    ivp, ivp_err = solve_ivp_per_patient(args.sample)
    results["solve_ivp"] = ivp * n
    ratio = results["solve_ivp"] / r["whole"]
    print(f"  scipy solve_ivp (LSODA), {args.sample} patients, extrapolated: {ivp * n:8.1f} s")
    print(f"      ratio to the whole job {ratio:,.0f}x; max rel. error {ivp_err:.1e}")
    tci = pytci_per_patient(args.sample)
    if tci is None:
        print("  PyTCI not installed: skipped")
    else:
        results["pytci"] = tci[0] * n
        ratio = results["pytci"] / r["whole"]
        print(f"  PyTCI exact mode, {args.sample} patients, extrapolated: {tci[0] * n:8.1f} s")
        print(f"      ratio to the whole job {ratio:,.0f}x; max rel. error {tci[1]:.1e}")
    return results


if __name__ == "__main__":
    main()
