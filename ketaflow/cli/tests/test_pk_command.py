"""`ketaflow pk`: simulate, population and plot; exit 2 with the reason on invalid input."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

KETAFLOW = Path(sys.executable).with_name("ketaflow")
IV = ["--weight-kg", "70", "--route", "iv", "--mg-per-kg", "0.5", "--minutes", "40"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("pk", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as info:
        run(*args)
    assert info.value.returncode == 2
    return str(info.value)


def test_simulate_json_prints_the_model_times_and_one_concentration_per_time():
    data = json.loads(
        run("simulate", "--model", "domino", *IV, "--times", "40,80,110,230", "--json")
    )
    assert data["model"] == "domino"
    assert data["times_min"] == [40, 80, 110, 230]
    assert len(data["concentration_ng_per_ml"]) == 4
    assert data["concentration_ng_per_ml"][0] == pytest.approx(240.3, rel=0.005)
    assert data["needs_local_signoff"] is True and data["sources"][0] == "PK-Domino1984"


def test_simulate_text_names_the_status_and_says_it_is_not_pump_control():
    text = run("simulate", "--model", "kamp", *IV, "--times", "40")
    assert "253.0" in text or "253.1" in text
    assert "UNVERIFIED" in text and "not for controlling an infusion pump" in text


def test_population_json_prints_percentile_bands_reproducibly_with_a_seed():
    args = ("population", "--model", "herd", "--n", "500", *IV, "--times", "20,40,80",
            "--seed", "4", "--json")  # fmt: skip
    a, b = json.loads(run(*args)), json.loads(run(*args))
    assert a["times_min"] == [20, 40, 80]
    assert len(a["p5"]) == len(a["p50"]) == len(a["p95"]) == 3
    assert a["p5"][1] < a["p50"][1] < a["p95"][1]
    assert a == b


def test_esketamine_nasal_takes_a_fixed_dose_in_mg():
    data = json.loads(run("simulate", "--model", "esketamine-nasal", "--route", "intranasal",
                          "--dose-mg", "56", "--times", "30,60", "--json"))  # fmt: skip
    assert data["metabolite"] == "noresketamine" and len(data["metabolite_ng_per_ml"]) == 2


def test_other_routes_take_their_own_dose_options():
    args = ["--weight-kg", "70", "--route", "sc", "--mg-per-kg", "0.5"]
    data = json.loads(
        run("simulate", "--model", "kamp", *args, "--horizon", "120", "--step", "30", "--json")
    )
    assert data["times_min"] == [0, 30, 60, 90, 120]
    assert data["concentration_ng_per_ml"][0] == 0


@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_plot_writes_a_curve_or_a_band(tmp_path, suffix):
    out = tmp_path / f"curve.{suffix}"
    run("plot", "--model", "herd", *IV, "--horizon", "240", "--output", str(out))
    assert out.stat().st_size > 1000
    band = tmp_path / f"band.{suffix}"
    run("plot", "--model", "herd", *IV, "--horizon", "240", "--n", "200", "--seed", "1",
        "--output", str(band))  # fmt: skip
    assert band.stat().st_size > 1000


@pytest.mark.parametrize(
    "args, words",
    [
        (["simulate", "--model", "propofol", *IV, "--times", "40"], "unknown model"),
        (["simulate", "--model", "kamp", "--weight-kg", "0", "--mg-per-kg", "0.5",
          "--minutes", "40", "--times", "40"], "weight must be greater than 0"),
        (["simulate", "--model", "kamp", "--weight-kg", "70", "--mg-per-kg", "0.5",
          "--minutes", "0", "--times", "40"], "positive duration"),
        (["simulate", "--model", "kamp", *IV, "--times", "80,40"], "strictly increasing"),
        (["simulate", "--model", "kamp", *IV, "--times", "a,b"], "numbers"),
        (["simulate", "--model", "kamp", *IV], "--times"),
        (["population", "--model", "herd", "--n", "0", *IV, "--times", "40"], "--n"),
        (["plot", "--model", "herd", *IV, "--times", "40", "--output", "x.pdf"], ".svg or .png"),
        (["simulate", "--model", "esketamine-nasal", "--route", "intranasal",
          "--mg-per-kg", "0.5", "--times", "40"], "no weight covariate"),
    ],
)  # fmt: skip
def test_invalid_input_is_refused_with_the_reason(args, words):
    assert words in refused(*args)


def test_the_installed_command_exits_2_for_an_unknown_model():
    proc = subprocess.run(
        [str(KETAFLOW), "pk", "simulate", "--model", "nope", *IV, "--times", "40"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "unknown model" in proc.stderr
