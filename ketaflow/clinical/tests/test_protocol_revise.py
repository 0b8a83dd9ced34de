"""Revising a protocol makes the next version with the changes marked as local."""

from __future__ import annotations

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.protocols import (
    DEFAULT,
    esketamine_label,
    iv_induction,
    sc_ascending_anxiety,
)


def test_a_revision_bumps_the_version_and_leaves_the_original_untouched() -> None:
    v1 = iv_induction()
    v2 = v1.revise(observation_minutes=90)
    assert (v1.version, v2.version) == (1, 2)
    assert v1.observation_minutes.value == 60
    assert v2.observation_minutes.value == 90
    assert v2.revise(observation_minutes=100).version == 3


def test_a_revised_value_is_marked_local_and_keeps_its_default_for_display() -> None:
    minutes = iv_induction().revise(observation_minutes=90).observation_minutes
    assert minutes.is_local
    assert minutes.default.value == 60
    assert "S24" in {s.key for s in minutes.sources}
    assert not minutes.needs_local_signoff


def test_confirming_an_unverified_default_counts_as_local_signoff() -> None:
    v2 = iv_induction().revise(fasting_solids_minutes=360)
    assert v2.fasting_solids_minutes.is_local
    assert "fasting_solids_minutes" not in v2.needs_signoff()
    assert "fasting_solids_minutes" in iv_induction().needs_signoff()
    assert v2.local_settings() == ("fasting_solids_minutes",)


def test_phase_dose_and_threshold_settings_are_revised_by_dotted_key() -> None:
    v2 = sc_ascending_anxiety().revise(
        {
            "ascending.doses.3": 0.75,
            "maintenance.sessions_per_period": 2,
            "maintenance.sessions": 26,
            "entry_thresholds.hama": 18,
        }
    )
    assert [v2.phases[0].dose(k).value for k in range(3)] == [0.25, 0.5, 0.75]
    assert v2.phases[1].sessions_per_period.value == 2
    assert v2.thresholds["hama"].value == 18
    assert v2.thresholds["lsas"].value == 50
    assert v2.total_sessions == 29


def test_several_doses_of_one_phase_can_change_in_one_revision() -> None:
    v2 = sc_ascending_anxiety().revise({"ascending.doses.1": 0.2, "ascending.doses.2": 0.4})
    assert [v2.phases[0].dose(k).value for k in range(3)] == [0.2, 0.4, 1.0]


def test_sessions_and_review_point_can_shrink_together() -> None:
    v2 = sc_ascending_anxiety().revise(
        {"maintenance.sessions": 1, "review_after_session": 4, "name": "Short", "description": "d"}
    )
    assert (v2.total_sessions, v2.review_after_session.value, v2.name) == (4, 4, "Short")


def test_default_resets_a_local_value() -> None:
    v2 = iv_induction().revise(observation_minutes=90)
    v3 = v2.revise(observation_minutes=DEFAULT)
    assert v3.observation_minutes.value == 60
    assert not v3.observation_minutes.is_local
    assert v3.version == 3


def test_an_int_setting_given_a_float_that_is_whole_is_still_refused() -> None:
    with pytest.raises(ClinicalInputError) as err:
        iv_induction().revise(observation_minutes=90.0)
    assert "whole number" in err.value.message


def test_a_float_setting_accepts_an_int() -> None:
    dose = iv_induction().revise({"induction.doses.1": 1}).phases[0].dose(0)
    assert dose.value == 1.0 and isinstance(dose.value, float)


@pytest.mark.parametrize(
    ("protocol", "key", "value", "message"),
    [
        (iv_induction(), "observation_minutes", -1, "at least 0"),
        (iv_induction(), "observation_minutes", 721, "at most 720"),
        (iv_induction(), "observation_minutes", True, "must be a number"),
        (iv_induction(), "observation_minutes", "90", "must be a number"),
        (iv_induction(), "non_response_below_pct", float("nan"), "finite"),
        (iv_induction(), "induction.doses.1", 0, "above 0"),
        (iv_induction(), "induction.sessions", 0, "at least 1"),
        (esketamine_label(), "induction.doses.2", 70, "multiple of 28"),
        (esketamine_label(), "induction.doses.2", 112, "at most 84"),
        (esketamine_label(), "observation_minutes", 60, "at least 120"),
        (iv_induction(), "nope", 1, "no setting"),
        (iv_induction(), "name", 3, "text"),
    ],
)
def test_an_impossible_revision_is_refused_with_the_key_at_fault(
    protocol: object, key: str, value: object, message: str
) -> None:
    with pytest.raises(ClinicalInputError) as err:
        protocol.revise({key: value})  # type: ignore[attr-defined]
    assert err.value.field == key
    assert message in err.value.message


def test_a_revision_must_change_something() -> None:
    with pytest.raises(ClinicalInputError):
        iv_induction().revise()


def test_esketamine_84_mg_is_a_valid_revision() -> None:
    v2 = esketamine_label().revise({"induction.doses.2": 84, "weekly.doses.1": 84})
    assert v2.phases[0].dose(1).value == 84
    assert v2.phases[1].dose(0).is_local
