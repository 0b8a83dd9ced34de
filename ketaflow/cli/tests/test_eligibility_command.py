"""`ketaflow eligibility --facts FILE.json [--json]`: the core's rules from the command line,
exit 2 naming the field for anything invalid or unknown."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

KETAFLOW = Path(sys.executable).with_name("ketaflow")

WELL: dict[str, Any] = {
    "age_years": 40,
    "sex": "female",
    "pregnancy": "not_pregnant",
    "planned_route": "iv",
    "diagnoses": ["F41.1"],
    "history": [],
    "medications": [],
    "blood_pressure": {"sbp": 120, "dbp": 80},
    "severity_scores": {"hama": 24},
    "failed_adequate_treatments": 2,
    "clearance_done": [
        "psychiatric_assessment",
        "ecg",
        "liver_function",
        "renal_function",
        "sleep_apnoea_screen",
        "pregnancy_test",
    ],
}


@pytest.fixture
def facts_file(tmp_path: Path):
    def write(data: Any = None, **changes: Any) -> str:
        path = tmp_path / "facts.json"
        body = {**WELL, **changes} if data is None else data
        path.write_text(body if isinstance(body, str) else json.dumps(body))
        return str(path)

    return write


def run(path: str, *args: str) -> str:
    out = StringIO()
    call_command("eligibility", "--facts", path, *args, stdout=out)
    return out.getvalue()


def run_json(path: str) -> dict[str, Any]:
    return json.loads(run(path, "--json"))


def refused(path: str) -> str:
    with pytest.raises(CommandError) as info:
        run(path, "--json")
    assert info.value.returncode == 2
    return str(info.value)


def test_a_well_patient_is_eligible_with_no_findings(facts_file):
    data = run_json(facts_file())
    assert data["outcome"] == "eligible"
    assert data["findings"] == []


@pytest.mark.parametrize("code", ["F20.0", "F29", "F31.1", "F31.2", "F16.20"])
def test_an_excluding_diagnosis_code_is_not_eligible_in_json(facts_file, code):
    data = run_json(facts_file(diagnoses=["F41.1", code]))
    assert data["outcome"] == "not_eligible"
    exclusion = next(f for f in data["findings"] if f["kind"] == "exclusion")
    assert set(exclusion) == {"kind", "code", "message", "sources", "facts", "needs_local_signoff"}
    assert exclusion["facts"] == ["diagnoses"]
    assert exclusion["sources"]


def test_active_dependence_needs_review_and_names_urine_toxicology(facts_file):
    data = run_json(facts_file(diagnoses=["F41.1", "F19.20"]))
    assert data["outcome"] == "needs_review"
    codes = [f["code"] for f in data["findings"]]
    assert codes == [
        "requirement.substance_use_disorder_current",
        "requirement.clearance_missing.urine_toxicology",
    ]


def test_the_history_item_and_the_code_give_the_same_finding(facts_file):
    by_code = run_json(facts_file(diagnoses=["F41.1", "F20.0"]))["findings"][0]
    by_history = run_json(facts_file(history=["psychosis_current"]))["findings"][0]
    for key in ("kind", "code", "message", "sources"):
        assert by_code[key] == by_history[key]


def test_liver_class_and_luts_baseline_from_the_command_line(facts_file):
    data = run_json(facts_file(planned_route="intranasal", history=["liver_disease_child_pugh_c"]))
    assert data["outcome"] == "not_eligible"
    assert data["findings"][0]["code"] == "exclusion.liver_disease_child_pugh_c"
    luts = run_json(facts_file(history=["luts_or_cystitis"]))
    assert luts["outcome"] == "eligible_with_cautions"
    assert "baseline LUTS screen is needed" in luts["findings"][0]["message"]


def test_a_benzodiazepine_with_its_dose_is_read(facts_file):
    meds = [
        {"name": "clonazepam", "classes": ["benzodiazepine"], "diazepam_equivalent_mg_per_day": 10}
    ]
    data = run_json(facts_file(medications=meds))
    assert "caution.benzodiazepine_high_dose" in [f["code"] for f in data["findings"]]


def test_text_output_is_a_readable_summary(facts_file):
    text = run(facts_file(diagnoses=["F41.1", "F20.0"], blood_pressure=None))
    lines = text.splitlines()
    assert lines[0] == "outcome: not eligible"
    (psychosis,) = [line for line in lines if line.startswith("EXCLUSION")]
    assert psychosis.startswith("EXCLUSION [exclusion.psychosis_current] psychotic disorder")
    assert "sources: S37, S1, S47" in psychosis
    assert any(
        line.startswith("UNMET REQUIREMENT [requirement.baseline_bp_missing]") for line in lines
    )


def test_text_output_of_a_flagged_clinic_default_says_it_needs_local_signoff(facts_file):
    text = run(facts_file(history=["liver_disease_child_pugh_c"]))
    assert "needs local sign-off" in text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"age_years": "forty"}, "age_years"),
        ({"age_years": 200}, "age_years"),
        ({"age_years": True}, "age_years"),
        ({"sex": "other"}, "sex"),
        ({"pregnancy": "maybe"}, "pregnancy"),
        ({"planned_route": "iv_push"}, "planned_route"),
        ({"diagnoses": ["schizophrenia"]}, "diagnoses"),
        ({"diagnoses": [20]}, "diagnoses[0]"),
        ({"diagnoses": "F20.0"}, "diagnoses"),
        ({"history": ["psychosis"]}, "history[0]"),
        ({"medications": [{"name": "x", "classes": ["sedative"]}]}, "medications[0].classes[0]"),
        ({"medications": [{"name": "x", "dose": 1}]}, "medications[0].dose"),
        ({"medications": [{"classes": []}]}, "medications[0].name"),
        ({"medications": [{"name": "lorazepam", "classes": ["benzodiazepine"]}]}, "medications[0]"),
        ({"blood_pressure": {"sbp": 120}}, "blood_pressure.dbp"),
        ({"blood_pressure": {"systolic": 120, "diastolic": 80}}, "blood_pressure.diastolic"),
        ({"blood_pressure": {"sbp": 80, "dbp": 120}}, "blood_pressure"),
        ({"severity_scores": {"hamx": 24}}, "severity_scores.hamx"),
        ({"severity_scores": {"hama": 99}}, "severity_scores"),
        ({"severity_scores": {"hama": "high"}}, "severity_scores.hama"),
        ({"failed_adequate_treatments": -1}, "failed_adequate_treatments"),
        ({"failed_adequate_treatments": 1.5}, "failed_adequate_treatments"),
        ({"clearance_done": ["ekg"]}, "clearance_done[0]"),
        ({"allergies": []}, "allergies"),
    ],
)
def test_each_invalid_or_unknown_field_exits_2_naming_it(facts_file, changes, field):
    message = refused(facts_file(**changes))
    assert f"invalid input: {field}:" in message


@pytest.mark.parametrize("missing", ["age_years", "sex", "pregnancy", "planned_route"])
def test_a_missing_required_field_exits_2_naming_it(facts_file, missing):
    data = {k: v for k, v in WELL.items() if k != missing}
    assert f"invalid input: {missing}: is required" in refused(facts_file(data))


def test_a_file_that_is_not_json_or_not_an_object_exits_2(facts_file, tmp_path):
    assert "--facts" in refused(facts_file("{not json"))
    assert "--facts" in refused(str(tmp_path / "missing.json"))
    assert "must be an object" in refused(facts_file([WELL]))


def test_the_installed_command_exits_0_with_json_and_2_with_a_message(facts_file):
    good = subprocess.run(
        [str(KETAFLOW), "eligibility", "--facts", facts_file(diagnoses=["F29"]), "--json"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["outcome"] == "not_eligible"
    bad = subprocess.run(
        [str(KETAFLOW), "eligibility", "--facts", facts_file(sex="x"), "--json"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "sex" in bad.stderr
    assert bad.stdout == ""
