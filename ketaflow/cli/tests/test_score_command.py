"""`ketaflow score`: one form, licensed totals, C-SSRS risk, CSV batches, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

KETAFLOW = Path(sys.executable).parent / "ketaflow"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("score", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(*args: str) -> CommandError:
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    return excinfo.value


def test_gad7_published_example_prints_a_readable_line():
    out, _ = run("gad7", "1", "1", "1", "1", "0", "1", "2")
    assert out.strip() == "GAD-7 total 7/21: mild"


def test_gad7_second_published_example_as_json():
    out, _ = run("gad7", "1", "0", "0", "1", "0", "1", "1", "--json")
    data = json.loads(out)
    assert data["instrument"] == "gad7"
    assert (data["total"], data["severity"], data["flags"]) == (4, "minimal", [])


def test_options_may_come_between_the_answers():
    out, _ = run("gad7", "1", "1", "--json", "1", "1", "0", "1", "2")
    assert json.loads(out)["total"] == 7


def test_answers_may_be_separated_by_commas():
    out, _ = run("phq9", "2,2,2,2,1,1,2,0,0", "--json")
    assert (json.loads(out)["total"], json.loads(out)["severity"]) == (12, "moderate")


def test_phq9_item9_flag_is_printed_and_in_json():
    out, _ = run("phq9", "0", "0", "0", "0", "0", "0", "0", "0", "2")
    assert "[safety] phq9_item9_positive" in out
    data = json.loads(run("phq9", *"000000002", "--json")[0])
    assert [f["code"] for f in data["flags"]] == ["phq9_item9_positive"]


def test_pcl5_prints_no_severity_and_its_clusters():
    out, _ = run("pcl5", *(["2"] * 20), "--json")
    data = json.loads(out)
    assert data["total"] == 40
    assert data["severity"] is None
    assert data["subscales"] == {"cluster_b": 10, "cluster_c": 4, "cluster_d": 14, "cluster_e": 12}
    assert data["flags"][0]["code"] == "pcl5_provisional_ptsd"


def test_pcl5_readable_line_has_total_and_clusters_but_no_severity():
    out, _ = run("pcl5", *(["1"] * 20))
    assert out.splitlines()[0] == (
        "PCL-5 total 20/80 (cluster_b 5, cluster_c 2, cluster_d 7, cluster_e 6)"
    )


def test_extra_non_numeric_answer_is_reported_as_a_wrong_count():
    error = fails("gad7", *(["0"] * 8), "x")
    assert error.returncode == 2
    assert "got 9" in str(error)


def test_lsas_takes_24_fear_then_24_avoidance_answers():
    out, _ = run("lsas", *(["3"] * 24), *(["1"] * 24))
    assert out.splitlines()[0] == "LSAS total 96/144: very severe (fear 72, avoidance 24)"


@pytest.mark.parametrize(
    ("args", "total"),
    [
        (("hama", *(["1"] * 14)), 14),
        (("cadss", *(["1"] * 23)), 23),
        (("cadss6", *(["4"] * 6)), 24),
        (("moaas", "5"), 5),
        (("aldrete", "2", "2", "2", "2", "1"), 9),
        (("padss", "2", "2", "2", "2", "2"), 10),
    ],
)
def test_clinician_scales_score_from_their_answers(args, total):
    assert json.loads(run(*args, "--json")[0])["total"] == total


def test_ybocs_total_gives_its_band():
    data = json.loads(run("ybocs", "--total", "24", "--json")[0])
    assert (data["total"], data["severity"], data["flags"]) == (24, "severe", [])
    assert run("ybocs", "--total", "7")[0].strip() == "Y-BOCS total 7/40: subclinical"


def test_pdss_bands_depend_on_agoraphobia():
    without = json.loads(run("pdss", "--total", "10", "--agoraphobia", "no", "--json")[0])
    with_ = json.loads(run("pdss", "--total", "10", "--agoraphobia", "yes", "--json")[0])
    assert (without["severity"], with_["severity"]) == ("moderately ill", "slightly ill")


def test_cssrs_risk_level_is_the_severity_with_a_safety_flag():
    data = json.loads(run("cssrs", "--risk", "high", "--json")[0])
    assert data["total"] is None
    assert data["severity"] == "high"
    assert [f["kind"] for f in data["flags"]] == ["safety"]
    assert run("cssrs", "--risk", "none")[0].strip() == "C-SSRS screener risk level: none"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ("gad7", "1", "1", "1", "4", "0", "1", "2"),
            "GAD-7 item 4 (trouble relaxing): 4 is out of range (allowed 0-3)",
        ),
        (
            ("gad7", "1", "1", "1", "x", "0", "1", "2"),
            "GAD-7 item 4 (trouble relaxing): 'x' is not a whole number",
        ),
        (("gad7", "1", "1", "1"), "GAD-7 item 4"),
        (("gad7", "1,,1,1,0,1,2"), "GAD-7 item 2 (cannot stop or control worrying) is unanswered"),
        (("gad7", *(["0"] * 9)), "got 9"),
        (("gad7",), "give the 8 answers for GAD-7"),
        (("gad7", "1", "--total", "3"), "scored from its answers"),
        (("ybocs", "--total", "41"), "Y-BOCS total 41 is out of range (allowed 0-40)"),
        (("ybocs", "--total", "ten"), "total 'ten' is not a whole number"),
        (("ybocs",), "give --total N for ybocs (0-40)"),
        (("ybocs", "1", "2"), "Y-BOCS is licensed"),
        (("pdss", "--total", "10"), "say whether the patient has agoraphobia"),
        (("cssrs", "--risk", "severe"), "is not one of: none, low, moderate, high"),
        (("cssrs",), "give --risk none|low|moderate|high"),
        (("cssrs", "--total", "3"), "give only --risk LEVEL"),
        (("gad7", "--csv", "x.csv", "1"), "--csv takes no answers"),
    ],
)
def test_invalid_input_exits_2_naming_the_problem(args, needle):
    error = fails(*args)
    assert error.returncode == 2
    assert needle in str(error)


def test_csv_scores_every_row_and_reports_bad_rows_then_exits_2(tmp_path):
    sheet = tmp_path / "gad7.csv"
    sheet.write_text(
        "q1,q2,q3,q4,q5,q6,q7\n1,1,1,1,0,1,2\n\n1,0,0,1,0,1,1\n1,1,1,4,0,1,2\n1,,1,1,0,1,2\n"
        "3,3,3,3,3,3,3\n"
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("score", "gad7", "--csv", str(sheet), stdout=out, stderr=err)
    assert excinfo.value.returncode == 2
    assert "2 of 5 rows" in str(excinfo.value)
    lines = out.getvalue().splitlines()
    assert lines[0] == "row 2: GAD-7 total 7/21: mild"
    assert lines[1] == "row 4: GAD-7 total 4/21: minimal"
    assert lines[2] == "row 7: GAD-7 total 21/21: severe"
    problems = err.getvalue().splitlines()
    assert problems[0].startswith("row 5: GAD-7 item 4 (trouble relaxing): 4 is out of range")
    assert problems[1].startswith("row 6: GAD-7 item 2")


def test_csv_all_good_rows_exit_0_and_json_lists_every_row(tmp_path):
    sheet = tmp_path / "phq9.csv"
    sheet.write_text("2,2,2,2,1,1,2,0,0\n0,0,0,0,0,0,0,0,1,1\n")
    data = json.loads(run("phq9", "--csv", str(sheet), "--json")[0])
    assert [(r["row"], r["total"], r["severity"]) for r in data] == [
        (1, 12, "moderate"),
        (2, 1, "minimal"),
    ]
    assert data[1]["flags"][0]["code"] == "phq9_item9_positive"


def test_csv_json_includes_bad_rows_with_their_reason(tmp_path):
    sheet = tmp_path / "moaas.csv"
    sheet.write_text("moaas\n5\n6\n")
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("score", "moaas", "--csv", str(sheet), "--json", stdout=out)
    assert excinfo.value.returncode == 2
    rows = json.loads(out.getvalue())
    assert rows[0]["total"] == 5
    assert rows[1] == {
        "row": 3,
        "error": "MOAA/S item 1 (responsiveness): 6 is out of range (allowed 0-5)",
        "field": "responsiveness",
    }


def test_csv_for_licensed_scales_holds_totals_and_risk_levels(tmp_path):
    pdss = tmp_path / "pdss.csv"
    pdss.write_text("total,agoraphobia\n10,no\n10,yes\n10,maybe\n10\n")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("score", "pdss", "--csv", str(pdss), stdout=out, stderr=err)
    assert "moderately ill" in out.getvalue().splitlines()[0]
    assert "slightly ill" in out.getvalue().splitlines()[1]
    assert "row 4: agoraphobia must be yes or no" in err.getvalue()
    assert "row 5: PDSS rows hold total, agoraphobia (yes/no); got 1 cells" in err.getvalue()

    ybocs = tmp_path / "ybocs.csv"
    ybocs.write_text("12\n33,1\n")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("score", "ybocs", "--csv", str(ybocs), stdout=out, stderr=err)
    assert out.getvalue().startswith("row 1: Y-BOCS total 12/40: mild")
    assert "row 2: Y-BOCS rows hold total; got 2 cells" in err.getvalue()

    cssrs = tmp_path / "cssrs.csv"
    cssrs.write_text("risk\nlow\nmoderate,x\n")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("score", "cssrs", "--csv", str(cssrs), stdout=out, stderr=err)
    assert out.getvalue().startswith("row 2: C-SSRS screener risk level: low")
    assert "row 3: C-SSRS screener rows hold one risk level; got 2 cells" in err.getvalue()


def test_csv_without_any_form_is_an_error(tmp_path):
    sheet = tmp_path / "empty.csv"
    sheet.write_text("q1,q2\n\n")
    assert "holds no forms" in str(fails("gad7", "--csv", str(sheet)))


def test_csv_file_that_cannot_be_read_is_an_error(tmp_path):
    error = fails("gad7", "--csv", str(tmp_path / "missing.csv"))
    assert error.returncode == 2
    assert "cannot read CSV file" in str(error)


def test_command_line_exit_status_is_0_for_a_valid_form():
    result = subprocess.run(
        [str(KETAFLOW), "score", "gad7", "1", "1", "1", "1", "0", "1", "2", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["severity"] == "mild"


def test_command_line_exit_status_is_2_for_an_out_of_range_answer():
    result = subprocess.run(
        [str(KETAFLOW), "score", "phq9", "0", "0", "0", "0", "0", "0", "0", "0", "7"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "PHQ-9 item 9 (thoughts of death or self-harm): 7 is out of range (allowed 0-3)" in (
        result.stderr
    )


def test_command_line_exit_status_is_2_for_an_unknown_instrument():
    result = subprocess.run(
        [str(KETAFLOW), "score", "madrs", "1"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_command_line_csv_with_a_bad_row_exits_2_after_printing_all_results(tmp_path):
    sheet = tmp_path / "gad7.csv"
    sheet.write_text("1,1,1,1,0,1,2\n9,9,9,9,9,9,9\n0,0,0,0,0,0,0\n")
    result = subprocess.run(
        [str(KETAFLOW), "score", "gad7", "--csv", str(sheet)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        "row 1: GAD-7 total 7/21: mild",
        "row 3: GAD-7 total 0/21: minimal",
    ]
    assert "row 2: GAD-7 item 1" in result.stderr


def test_help_documents_the_lsas_answer_order():
    result = subprocess.run(
        [str(KETAFLOW), "score", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "24 fear/anxiety ratings for situations 1-24, then the 24" in result.stdout
