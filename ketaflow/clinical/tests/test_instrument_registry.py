"""The instrument registry: codes, kinds, licence status and what wording is held."""

from __future__ import annotations

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import (
    INSTRUMENT_CODES,
    INSTRUMENTS,
    ItemInstrument,
    Licence,
    Rater,
    RiskLevelInstrument,
    TotalInstrument,
    get_instrument,
    get_item_instrument,
)

ALL_CODES = [
    "gad7",
    "phq9",
    "pcl5",
    "hama",
    "lsas",
    "cadss",
    "cadss6",
    "moaas",
    "aldrete",
    "padss",
    "ybocs",
    "pdss",
    "cssrs",
]


def test_registry_holds_exactly_the_thirteen_instrument_codes():
    assert sorted(INSTRUMENT_CODES) == sorted(ALL_CODES)


@pytest.mark.parametrize("code", ALL_CODES)
def test_get_instrument_returns_the_instrument_with_that_code(code):
    assert get_instrument(code).code == code


def test_get_instrument_ignores_case_and_spaces():
    assert get_instrument(" GAD7 ").code == "gad7"


def test_unknown_instrument_is_an_input_error_listing_the_choices():
    with pytest.raises(ClinicalInputError) as err:
        get_instrument("madrs")
    assert err.value.field == "instrument"
    assert "gad7" in err.value.message and "cssrs" in err.value.message


@pytest.mark.parametrize("code", ["gad7", "phq9", "pcl5"])
def test_free_instruments_are_patient_facing_self_report_with_full_wording(code):
    instrument = get_item_instrument(code)
    assert instrument.licence is Licence.FREE
    assert instrument.licence.patient_facing
    assert not instrument.licence.needs_licence_confirmation
    assert instrument.rater is Rater.SELF
    assert instrument.stem
    assert all(item.text for item in instrument.scored_items)


@pytest.mark.parametrize("code", ["hama", "lsas", "cadss", "cadss6", "moaas", "aldrete", "padss"])
def test_short_label_instruments_hold_no_published_wording_and_need_licence_confirmation(code):
    instrument = get_item_instrument(code)
    assert instrument.licence is Licence.SHORT_LABELS
    assert not instrument.licence.patient_facing
    assert instrument.licence.needs_licence_confirmation
    assert instrument.rater is Rater.CLINICIAN
    assert instrument.stem is None
    assert all(item.text is None for item in instrument.items)
    assert all(item.label for item in instrument.items)


@pytest.mark.parametrize("code", ["ybocs", "pdss", "cssrs"])
def test_licensed_instruments_hold_no_item_structure(code):
    instrument = get_instrument(code)
    assert instrument.licence is Licence.TOTAL_ONLY
    assert isinstance(instrument, TotalInstrument | RiskLevelInstrument)
    assert not hasattr(instrument, "items")


@pytest.mark.parametrize("code", ["ybocs", "pdss", "cssrs"])
def test_asking_for_items_of_a_licensed_instrument_is_refused(code):
    with pytest.raises(ClinicalInputError, match="licensed"):
        get_item_instrument(code)


def test_item_instrument_refuses_wording_when_not_free():
    from dataclasses import replace

    from ketaflow.clinical.instruments import HAMA

    worded = (replace(HAMA.items[0], text="published wording"), *HAMA.items[1:])
    with pytest.raises(ValueError, match="wording"):
        replace(HAMA, items=worded)


def test_item_instrument_refuses_items_out_of_order():
    from dataclasses import replace

    from ketaflow.clinical.instruments import GAD7

    with pytest.raises(ValueError, match="numbered"):
        replace(GAD7, items=tuple(reversed(GAD7.items)))


@pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=lambda i: i.code)
def test_every_instrument_states_rater_recall_licence_and_sources(instrument):
    assert instrument.recall_period
    assert instrument.sources
    assert instrument.full_name
    assert isinstance(instrument, ItemInstrument | TotalInstrument | RiskLevelInstrument)


@pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=lambda i: i.code)
def test_unverified_response_criteria_are_clinic_defaults_needing_signoff(instrument):
    criteria = instrument.response
    if criteria is None:
        return
    for value in (criteria.response_min_improvement_pct, criteria.remission_at_or_below):
        if value is not None:
            assert value.sources
            assert value.needs_local_signoff == (value.evidence.value == "unverified")
