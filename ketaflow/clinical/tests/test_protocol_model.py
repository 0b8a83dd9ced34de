"""A protocol refuses impossible shapes; a setting knows its default and local value."""

from __future__ import annotations

import dataclasses

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Evidence, default
from ketaflow.clinical.protocols import Setting, esketamine_label, iv_induction


def _error(**changes: object) -> ClinicalInputError:
    with pytest.raises(ClinicalInputError) as err:
        dataclasses.replace(iv_induction(), **changes)  # type: ignore[arg-type]
    return err.value


def test_a_protocol_needs_a_code_a_positive_version_and_phases() -> None:
    assert _error(code="").field == "code"
    assert _error(version=0).field == "version"
    assert _error(version=True).field == "version"
    assert _error(phases=()).field == "phases"


def test_phase_codes_must_be_unique_and_only_the_last_phase_open_ended() -> None:
    phases = iv_induction().phases
    assert _error(phases=(phases[0], phases[0])).field == "phases"
    assert _error(phases=(phases[3], phases[0])).field == "phases"
    clash = dataclasses.replace(phases[1], code="observation_minutes")
    assert _error(phases=(phases[0], clash)).field == "phases"


def test_a_phase_needs_a_dotless_code_and_a_dose() -> None:
    phase = iv_induction().phases[0]
    with pytest.raises(ClinicalInputError):
        dataclasses.replace(phase, code="a.b")
    with pytest.raises(ClinicalInputError):
        dataclasses.replace(phase, doses=())


def test_entry_thresholds_are_one_per_instrument() -> None:
    pair = iv_induction().entry_thresholds[0]
    assert _error(entry_thresholds=(pair, pair)).field == "entry_thresholds"


def test_an_age_cut_off_needs_older_adult_doses_in_every_phase() -> None:
    p = esketamine_label()
    bare = tuple(dataclasses.replace(ph, older_adult_doses=()) for ph in p.phases)
    with pytest.raises(ClinicalInputError) as err:
        dataclasses.replace(p, phases=bare)
    assert err.value.field == "older_adult_doses"


def test_the_review_point_must_fall_within_a_fixed_series() -> None:
    from ketaflow.clinical.protocols import sc_ascending_anxiety

    with pytest.raises(ClinicalInputError) as err:
        sc_ascending_anxiety().revise(review_after_session=17)
    assert err.value.field == "review_after_session"


def test_session_numbers_start_at_one() -> None:
    with pytest.raises(ClinicalInputError):
        iv_induction().phase_of(0)


def test_an_unknown_setting_key_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError) as err:
        iv_induction().setting("induction.nope")
    assert err.value.field == "induction.nope"


def test_a_setting_reports_values_outside_the_typical_range() -> None:
    minutes = iv_induction().infusion_minutes
    assert minutes is not None
    assert not minutes.outside_typical_range
    assert minutes.set_locally(70).outside_typical_range
    assert not iv_induction().observation_minutes.outside_typical_range


def test_the_effective_value_of_a_local_setting_keeps_the_default_for_display() -> None:
    minutes = iv_induction().observation_minutes.set_locally(90)
    effective = minutes.effective()
    assert effective.value == 90
    assert effective.note.startswith("Set locally (default 60)")
    untouched = iv_induction().observation_minutes
    assert untouched.effective() is untouched.default


def test_a_setting_holds_at_most_one_local_value_and_a_valid_default() -> None:
    base = default(5, "S1", evidence=Evidence.UNVERIFIED)
    with pytest.raises(ClinicalInputError):
        Setting(base, local=(1, 2))
    with pytest.raises(ClinicalInputError):
        Setting(base, minimum=10)
    assert Setting(base).needs_local_signoff
    assert not Setting(base, local=(5,)).needs_local_signoff
