"""The outcome instrument: the first candidate scale the course measured at baseline.

A GAD course charted with GAD-7 and PHQ-9 but no clinician HAM-A used to stay "no outcome
yet" forever. The pure rule (`clinical.outcome_instrument`); that the course page and the
bulk summary agree on real data is tested in `outcomes/tests/test_instrument_choice.py`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.outcome_instrument import (
    baseline_instruments,
    choose_outcome_instrument,
)
from ketaflow.clinical.protocols.builtin import builtin

IV = builtin("iv-racemic")  # entry instruments: HAM-A, LSAS (S11)
NO_ENTRY = builtin("esketamine-label")


def test_a_gad_course_measured_on_gad7_only_is_followed_on_gad7_and_says_why():
    choice = choose_outcome_instrument("F41.1", IV, measured={"gad7", "phq9"})
    assert choice.code == "gad7"
    assert choice.reason == "HAM-A not recorded at baseline; GAD-7 is the scale measured for F41.1"


def test_the_disease_specific_scale_wins_when_both_were_measured():
    choice = choose_outcome_instrument("F41.1", IV, measured={"gad7", "hama", "phq9"})
    assert choice.code == "hama"
    assert choice.reason == "the protocol's entry instrument for F41.1"


def test_without_any_baseline_the_first_candidate_is_kept_as_before():
    choice = choose_outcome_instrument("F41.1", IV, measured=set())
    assert (choice.code, choice.reason) == ("hama", "the protocol's entry instrument for F41.1")
    assert choose_outcome_instrument("F40.10", IV, measured=()).code == "lsas"


def test_an_explicit_request_wins_over_the_data():
    choice = choose_outcome_instrument("F41.1", IV, measured={"hama"}, requested="PHQ9")
    assert (choice.code, choice.reason) == ("phq9", "chosen for this view")
    with pytest.raises(ClinicalInputError, match="no response criteria"):
        choose_outcome_instrument("F41.1", IV, measured={"hama"}, requested="cadss")


def test_the_clinics_choice_comes_first_but_only_if_it_was_measured():
    mapping = {"F41.1": "phq9"}
    chosen = choose_outcome_instrument("F41.1", IV, measured={"phq9", "gad7"}, clinic_map=mapping)
    assert (chosen.code, chosen.reason) == ("phq9", "the clinic's choice for F41.1")
    other = choose_outcome_instrument("F41.1", IV, measured={"gad7"}, clinic_map=mapping)
    assert other.code == "gad7"
    assert other.reason.startswith("PHQ-9, HAM-A not recorded at baseline;")
    none = choose_outcome_instrument("F41.1", IV, measured=(), clinic_map=mapping)
    assert none.code == "phq9"


def test_other_anxiety_diagnoses_fall_back_to_gad7_then_phq9():
    social = choose_outcome_instrument("F40.10", IV, measured={"phq9"})
    assert social.code == "phq9"
    assert social.reason == (
        "LSAS, GAD-7 not recorded at baseline; PHQ-9 is the scale measured for F40.10"
    )
    assert choose_outcome_instrument("F41.0", IV, measured={"gad7", "phq9"}).code == "gad7"
    assert choose_outcome_instrument("F41.0", IV, measured={"pdss", "gad7"}).code == "pdss"
    ptsd = choose_outcome_instrument("F43.10", IV, measured={"gad7"})
    assert (ptsd.code, ptsd.reason) == (
        "gad7",
        "PCL-5 not recorded at baseline; GAD-7 is the scale measured for F43.10",
    )


def test_ptsd_courses_are_followed_on_the_pcl5():
    for code in ("F43.10", "F43.11", "F43.12"):
        choice = choose_outcome_instrument(code, IV, measured={"pcl5", "gad7", "phq9"})
        assert (choice.code, choice.reason) == ("pcl5", f"the usual outcome scale for {code}")
    # Without any baseline yet, the page asks for the PCL-5 baseline.
    assert choose_outcome_instrument("F43.10", IV, measured=()).code == "pcl5"


def test_without_a_diagnosis_an_unlisted_scale_is_not_picked_up():
    # PHQ-9 is no candidate without a diagnosis: GAD-7 stays the default.
    choice = choose_outcome_instrument(None, NO_ENTRY, measured={"phq9"})
    assert choice.code == "gad7" and choice.reason == "no diagnosis recorded: GAD-7 by default"


def test_a_baseline_is_a_score_on_or_before_the_first_session_day():
    first = date(2026, 3, 2)
    dated = [("gad7", first), ("hama", first + timedelta(days=2)), ("phq9", date(2026, 2, 20))]
    assert baseline_instruments(dated, first) == {"gad7", "phq9"}
    assert baseline_instruments(dated, None) == {"gad7", "hama", "phq9"}
