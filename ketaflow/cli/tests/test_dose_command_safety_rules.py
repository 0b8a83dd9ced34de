"""`ketaflow dose` shows the rate, size and weight-basis rules: refusals exit 2 naming them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

WHY = "trials dosed actual weight; discussed"


def run(*args: str) -> str:
    out = StringIO()
    call_command("dose", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as info:
        run(*args)
    assert info.value.returncode == 2
    return str(info.value)


@pytest.mark.parametrize("minutes", ["2", "5"])
def test_half_a_mg_per_kg_over_2_or_5_minutes_exits_2_naming_the_rule(minutes):
    error = refused("--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "70",
                    "--minutes", minutes)  # fmt: skip
    assert "infusion.below_hard_min_minutes" in error and "--minutes" in error


def test_a_rate_above_the_ceiling_exits_2_naming_the_ceiling():
    error = refused("--route", "iv", "--mg-per-kg", "1", "--weight-kg", "70", "--minutes", "30")
    assert "infusion.above_hard_max_mg_per_kg_per_h" in error and "1.5 mg/kg/h" in error


def test_a_dose_above_the_mg_cap_exits_2():
    error = refused("--route", "sc", "--mg-per-kg", "1", "--weight-kg", "160",
                    "--weight-basis", "actual", "--weight-basis-reason", WHY)  # fmt: skip
    assert "dose.above_hard_max_mg" in error and "150 mg" in error


def test_a_heavy_patient_without_a_height_needs_the_basis_and_a_reason():
    assert "--weight-basis:" in refused("--route", "iv", "--mg-per-kg", "0.5",
                                        "--weight-kg", "125")  # fmt: skip
    assert "--weight-basis-reason:" in refused(
        "--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "125", "--weight-basis", "actual"
    )
    data = json.loads(
        run("--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "125",
            "--weight-basis", "actual", "--weight-basis-reason", WHY, "--json")
    )  # fmt: skip
    assert data["weight_basis_reason"] == WHY
    assert data["weight_basis_warning"]["code"] == "weight_basis.choice_required"
    assert data["weight_basis_warning"]["needs_local_signoff"] is True


def test_the_json_lists_the_hard_limits_with_their_sign_off_flags():
    data = json.loads(run("--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "70",
                          "--minutes", "40", "--json"))  # fmt: skip
    limits = data["hard_limits"]
    assert limits["max_mg_per_kg_per_h"] == {
        "value": 1.5,
        "sources": ["S12", "S15", "A3", "S4"],
        "needs_local_signoff": True,
    }
    assert limits["min_minutes"]["value"] == 20.0
    assert limits["max_dose_mg"]["value"] == 100.0 and data["max_dose_mg"] == 100.0


def test_the_text_output_lists_the_hard_limits_and_flags_clinic_defaults():
    text = run("--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "70", "--minutes", "40")
    assert "hard limit max_mg_per_kg_per_h: 1.5 (clinic default: needs local sign-off)" in text
    assert "hard limit max_dose_mg: 100" in text


def test_sc_above_the_first_step_warns_and_a_tolerated_dose_lifts_it():
    first = json.loads(run("--route", "sc", "--mg-per-kg", "0.5", "--weight-kg", "70", "--json"))
    assert [w["code"] for w in first["warnings"]] == ["dose.above_first_step"]
    assert first["requires_override"] is True
    text = run("--route", "sc", "--mg-per-kg", "1", "--weight-kg", "70",
               "--last-tolerated-mg-per-kg", "0.5")  # fmt: skip
    assert "WARNING [dose.above_last_tolerated]" in text
    same = json.loads(run("--route", "im", "--mg-per-kg", "0.5", "--weight-kg", "70",
                          "--last-tolerated-mg-per-kg", "0.5", "--json"))  # fmt: skip
    assert same["warnings"] == []


def test_a_zero_last_tolerated_dose_exits_2_naming_the_option():
    error = refused("--route", "sc", "--mg-per-kg", "0.5", "--weight-kg", "70",
                    "--last-tolerated-mg-per-kg", "0")  # fmt: skip
    assert "--last-tolerated-mg-per-kg" in error


def test_the_racemic_only_options_are_refused_for_esketamine():
    error = refused("--route", "intranasal", "--dose-mg", "56", "--age", "40",
                    "--weight-basis-reason", WHY)  # fmt: skip
    assert "--weight-basis-reason" in error
