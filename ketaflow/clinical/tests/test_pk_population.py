"""Virtual populations: reproducible, exact percentiles, bounded memory, the bench on tiny N."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk import (
    MODELS,
    Bolus,
    PkRoute,
    Regimen,
    WeightDistribution,
    closed_form,
    population,
    sample_patients,
    single_dose,
)
from ketaflow.clinical.pk.summary import percentiles_inplace

T = np.arange(0.0, 241.0, 2.0)
IV = single_dose(PkRoute.IV, 0.5, 40)  # mg/kg


def run(**kw):
    args = {"n": 3000, "weight": WeightDistribution(70, 15), "times": T, "seed": 7} | kw
    return population(MODELS["herd"], IV, **args)


def test_the_same_seed_gives_the_same_band_and_another_seed_does_not():
    a, b, c = run(), run(), run(seed=8)
    np.testing.assert_array_equal(a.p50, b.p50)
    assert not np.array_equal(a.p50, c.p50)


def test_percentiles_and_exposures_equal_a_brute_force_computation():
    s = run(threads=2, chunk=500)
    pts = sample_patients(MODELS["herd"], 3000, WeightDistribution(70, 15), seed=7)
    full = closed_form.concentrations(pts.params, IV, T, dose_scale=pts.dose_scale)
    p5, p50, p95 = np.percentile(full, [5, 50, 95], axis=1)
    np.testing.assert_allclose(s.p5, p5, rtol=1e-12)
    np.testing.assert_allclose(s.p50, p50, rtol=1e-12)
    np.testing.assert_allclose(s.p95, p95, rtol=1e-12)
    assert s.cmax.p50 == pytest.approx(np.percentile(full.max(axis=0), 50))
    assert s.tmax.p50 == pytest.approx(np.percentile(T[full.argmax(axis=0)], 50))
    assert s.auc.p50 == pytest.approx(np.percentile(np.trapezoid(full, T, axis=0), 50))


def test_a_tiny_memory_budget_processes_time_in_blocks_with_identical_results():
    a, b = run(), run(max_bytes=3000 * 8 * 7)  # 7 time points per block
    np.testing.assert_array_equal(a.p95, b.p95)
    assert a.auc.mean == pytest.approx(b.auc.mean, rel=1e-12)
    assert a.cmax == b.cmax and a.tmax == b.tmax


def test_exact_percentiles_match_numpy_for_awkward_sizes():
    rng = np.random.default_rng(1)
    for n in (1, 2, 3, 19, 20, 21, 1001):
        x = rng.random((4, n))
        np.testing.assert_allclose(
            percentiles_inplace(x.copy()), np.percentile(x, [5, 50, 95], axis=1), rtol=1e-15
        )


def test_herd_variability_widens_the_band_around_the_typical_curve():
    s = run()
    i40 = int(np.searchsorted(T, 40))
    assert s.p5[i40] < 253.4 < s.p95[i40]
    assert s.p95[i40] / s.p5[i40] > 1.5


def test_weights_are_drawn_within_the_truncation_limits():
    w = WeightDistribution(70, 40, 45, 120).sample(np.random.default_rng(0), 20_000)
    assert w.min() >= 45 and w.max() <= 120


def test_an_esketamine_population_has_a_noresketamine_band():
    s = population(
        MODELS["esketamine-nasal"], Regimen(boluses=(Bolus(0, 56, PkRoute.INTRANASAL),)),
        n=200, weight=WeightDistribution(70), times=np.arange(0.0, 181.0, 5.0), seed=1,
        per_kg=False,
    )  # fmt: skip
    assert s.metabolite_p50 is not None and np.all(s.metabolite_p95 >= s.metabolite_p5)
    assert np.all(s.p95 >= s.p50) and np.all(s.p50 >= s.p5)


@pytest.mark.parametrize("n", [0, -5, 3_000_000])
def test_population_size_is_bounded(n):
    with pytest.raises(ClinicalInputError) as info:
        run(n=n)
    assert info.value.field == "n"


def test_the_benchmark_script_runs_on_a_tiny_population():
    path = Path(__file__).resolve().parents[3] / "bench" / "bench_pk.py"
    spec = importlib.util.spec_from_file_location("bench_pk", path)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = bench.main(["--n", "500", "--sample", "2", "--repeats", "1"])
    assert results["simulate"] > 0 and results["solve_ivp"] > 0
    assert 200 < results["p50_40"] < 300
