"""`ketaflow dose`: racemic doses by mg/kg, esketamine by fixed dose, exit 2 on refusal."""

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
WHY = "dosed on this basis after discussing the trials"


def run(*args: str) -> str:
    out = StringIO()
    call_command("dose", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--json"))


def refused(*args: str) -> CommandError:
    with pytest.raises(CommandError) as info:
        run(*args)
    assert info.value.returncode == 2
    return info.value


def test_iv_json_gives_the_taylor_dose_and_pump_rate():
    data = run_json(
        "--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "70",
        "--minutes", "40", "--concentration-mg-per-ml", "1",
    )  # fmt: skip
    assert data["dose_mg"] == 35.0
    assert data["weight_basis"] == "actual"
    assert data["basis_weight_kg"] == 70.0
    assert data["rate_ml_per_h"] == 52.5
    assert data["volume_ml"] == 35.0
    assert data["mg_per_min"] == 0.875
    assert data["mg_per_kg_per_h"] == 0.75
    assert data["warnings"] == []
    assert data["requires_override"] is False


def test_json_rate_is_null_without_minutes_and_concentration():
    data = run_json("--route", "sc", "--mg-per-kg", "1", "--weight-kg", "70")
    assert data["dose_mg"] == 70.0
    assert data["rate_ml_per_h"] is None


def test_ideal_weight_basis_with_height_and_sex():
    data = run_json(
        "--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "123",
        "--weight-basis", "ideal", "--height-cm", "177.8", "--sex", "male",
        "--weight-basis-reason", WHY,
    )  # fmt: skip
    assert data["weight_basis"] == "ideal"
    assert data["basis_weight_kg"] == 73.0
    assert data["dose_mg"] == 36.5


def test_adjusted_weight_basis():
    data = run_json(
        "--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "123",
        "--weight-basis", "adjusted", "--height-cm", "177.8", "--sex", "male",
        "--weight-basis-reason", WHY,
    )  # fmt: skip
    assert data["basis_weight_kg"] == 93.0


def test_a_soft_limit_is_a_warning_with_code_and_message_and_needs_an_override():
    data = run_json("--route", "iv", "--mg-per-kg", "0.8", "--weight-kg", "70")
    (warning,) = data["warnings"]
    assert warning["code"] == "dose.above_soft_max_mg_per_kg"
    assert "override" in warning["message"]
    assert "S22" in warning["sources"]
    assert data["requires_override"] is True


def test_text_output_shows_the_dose_rate_warnings_and_sources():
    text = run(
        "--route", "iv", "--mg-per-kg", "0.8", "--weight-kg", "70",
        "--minutes", "40", "--concentration-mg-per-ml", "10",
    )  # fmt: skip
    assert "56.00 mg" in text
    assert "pump 8.40 mL/h" in text
    assert "WARNING [dose.above_soft_max_mg_per_kg]" in text
    assert "OVERRIDE" in text
    assert "sources:" in text


def test_text_output_for_a_non_actual_basis_names_the_actual_weight_and_bmi_note():
    text = run(
        "--route", "sc", "--mg-per-kg", "0.5", "--weight-kg", "110",
        "--weight-basis", "adjusted", "--height-cm", "165", "--sex", "female",
        "--concentration-mg-per-ml", "50", "--weight-basis-reason", WHY,
    )  # fmt: skip
    assert "adjusted weight" in text and "actual weight 110 kg" in text
    assert "volume: 0.78 mL" in text
    obese = run(
        "--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "120", "--height-cm", "170",
        "--weight-basis", "actual", "--weight-basis-reason", WHY,
    )  # fmt: skip
    assert "note [weight_basis.obesity_consider_ideal]" in obese


def test_bmi_30_note_appears_in_json():
    data = run_json(
        "--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "120", "--height-cm", "170",
        "--weight-basis", "actual", "--weight-basis-reason", WHY,
    )  # fmt: skip
    assert [n["code"] for n in data["notes"]] == ["weight_basis.obesity_consider_ideal"]
    assert data["bmi"] == 41.5


def test_a_hard_limit_breach_exits_2_with_the_reason_and_sources():
    error = refused("--route", "iv", "--mg-per-kg", "1.5", "--weight-kg", "70")
    assert "dose.above_hard_max_mg_per_kg" in str(error)
    assert "--mg-per-kg" in str(error)
    assert "S8" in str(error)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "7000"), "--weight-kg"),
        (("--route", "iv", "--mg-per-kg", "0", "--weight-kg", "70"), "--mg-per-kg"),
        (("--route", "iv", "--weight-kg", "70"), "--mg-per-kg is required"),
        (("--route", "iv", "--mg-per-kg", "0.5"), "--weight-kg is required"),
        (("--route", "sc", "--mg-per-kg", "0.5", "--weight-kg", "70", "--minutes", "40"), "IV"),
        (
            ("--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "70", "--weight-basis", "ideal"),
            "--height-cm",
        ),
        (
            ("--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "70", "--dose-mg", "56"),
            "intranasal",
        ),
        (("--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "70", "--age", "70"), "--age"),
        (
            ("--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "70", "--subsequent-dose"),
            "--subsequent-dose",
        ),
    ],
)
def test_invalid_racemic_input_exits_2_saying_what_to_fix(args, fragment):
    assert fragment in str(refused(*args))


def test_intranasal_esketamine_by_fixed_dose():
    data = run_json("--route", "intranasal", "--dose-mg", "56", "--age", "40")
    assert data["dose_mg"] == 56
    assert data["devices"] == 2
    assert data["weight_basis"] is None and data["basis_weight_kg"] is None
    assert data["rate_ml_per_h"] is None
    assert data["warnings"] == []


def test_intranasal_accepts_but_does_not_use_the_weight():
    data = run_json("--route", "intranasal", "--dose-mg", "28", "--age", "70", "--weight-kg", "70")
    assert data["dose_mg"] == 28 and data["basis_weight_kg"] is None


def test_intranasal_84_mg_on_day_1_under_65_needs_an_override():
    data = run_json("--route", "intranasal", "--dose-mg", "84", "--age", "40")
    assert [w["code"] for w in data["warnings"]] == ["esketamine.above_start_dose"]
    text = run("--route", "intranasal", "--dose-mg", "84", "--age", "40")
    assert "first dose" in text and "OVERRIDE" in text


def test_intranasal_later_doses_at_65_or_over_may_be_84_mg():
    data = run_json("--route", "intranasal", "--dose-mg", "84", "--age", "70", "--subsequent-dose")
    assert data["dose_mg"] == 84 and data["first_dose"] is False


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--dose-mg", "56", "--age", "70"), "esketamine.elderly_start_dose"),
        (("--dose-mg", "50", "--age", "40"), "esketamine.dose_not_allowed"),
        (("--mg-per-kg", "0.5", "--weight-kg", "70"), "--mg-per-kg does not apply"),
        (("--dose-mg", "56", "--age", "40", "--mg-per-kg", "0"), "--mg-per-kg does not apply"),
        (("--dose-mg", "56", "--age", "40", "--minutes", "40"), "--minutes does not apply"),
        (
            (
                "--age",
                "40",
            ),
            "--dose-mg is required",
        ),
        (
            (
                "--dose-mg",
                "56",
            ),
            "--age is required",
        ),
        (("--dose-mg", "56", "--age", "140"), "--age"),
    ],
)
def test_invalid_intranasal_input_exits_2_saying_what_to_fix(args, fragment):
    assert fragment in str(refused("--route", "intranasal", *args))


def test_the_console_script_exits_0_with_json_for_a_valid_dose():
    proc = subprocess.run(
        [str(KETAFLOW), "dose", "--route", "iv", "--mg-per-kg", "0.5", "--weight-kg", "70",
         "--minutes", "40", "--concentration-mg-per-ml", "1", "--json"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rate_ml_per_h"] == 52.5


@pytest.mark.parametrize(
    "args",
    [
        ("--route", "iv", "--mg-per-kg", "1.5", "--weight-kg", "70"),  # hard limit
        ("--route", "intranasal", "--mg-per-kg", "0.5", "--weight-kg", "70"),  # wrong option
        ("--route", "iv", "--mg-per-kg", "abc", "--weight-kg", "70"),  # argparse
        ("--route", "nasal", "--mg-per-kg", "0.5", "--weight-kg", "70"),  # argparse choice
    ],
)
def test_the_console_script_exits_2_on_refusal_or_invalid_input(args):
    proc = subprocess.run(
        [str(KETAFLOW), "dose", *args], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.strip()
    assert proc.stdout == ""


def test_core_field_names_are_shown_as_the_options_a_user_typed():
    from ketaflow.cli.management.commands.dose import _flag

    assert _flag("weight_kg") == "--weight-kg: "
    assert _flag("age_years") == "--age: "
    assert _flag(None) == ""
