"""Property tests for every item-scored instrument: totals in range, monotone, strict input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import INSTRUMENTS, ItemInstrument, TotalInstrument

ITEM_INSTRUMENTS = [i for i in INSTRUMENTS.values() if isinstance(i, ItemInstrument)]
TOTAL_INSTRUMENTS = [i for i in INSTRUMENTS.values() if isinstance(i, TotalInstrument)]


def answers_for(instrument: ItemInstrument) -> st.SearchStrategy[list[int]]:
    return st.tuples(
        *(st.integers(i.minimum, i.maximum) for i in instrument.items if i.required)
    ).map(list)


@st.composite
def instrument_and_answers(draw: st.DrawFn) -> tuple[ItemInstrument, list[int]]:
    instrument = draw(st.sampled_from(ITEM_INSTRUMENTS))
    return instrument, draw(answers_for(instrument))


@given(instrument_and_answers())
def test_total_is_the_sum_and_within_the_instrument_range(case):
    instrument, answers = case
    score = instrument.score(answers)
    assert score.total == sum(
        a for a, it in zip(answers, instrument.items, strict=False) if it.scored
    )
    assert instrument.minimum <= (score.total or 0) <= instrument.maximum
    if instrument.bands is not None:
        assert score.severity == instrument.bands.label_for(score.total or 0)


@given(instrument_and_answers(), st.data())
def test_total_never_falls_when_one_answer_rises(case, data):
    instrument, answers = case
    position = data.draw(st.integers(0, len(answers) - 1))
    item = instrument.items[position]
    if answers[position] == item.maximum:
        return
    higher = list(answers)
    higher[position] += 1
    before, after = instrument.score(answers), instrument.score(higher)
    assert (after.total or 0) == (before.total or 0) + (1 if item.scored else 0)
    if instrument.bands is not None:
        labels = [b.label for b in instrument.bands.bands]
        assert labels.index(after.severity or "") >= labels.index(before.severity or "")


@given(instrument_and_answers(), st.data())
def test_a_form_with_any_required_answer_missing_is_always_rejected(case, data):
    instrument, answers = case
    position = data.draw(st.integers(0, len(answers) - 1))
    incomplete: list[int | None] = list(answers)
    incomplete[position] = None
    with pytest.raises(ClinicalInputError) as err:
        instrument.score(incomplete)
    assert err.value.field == instrument.items[position].key


@given(instrument_and_answers(), st.data())
def test_a_form_with_any_answer_out_of_range_is_always_rejected(case, data):
    instrument, answers = case
    position = data.draw(st.integers(0, len(answers) - 1))
    item = instrument.items[position]
    bad = data.draw(
        st.integers(max_value=item.minimum - 1) | st.integers(min_value=item.maximum + 1)
    )
    wrong = list(answers)
    wrong[position] = bad
    with pytest.raises(ClinicalInputError) as err:
        instrument.score(wrong)
    assert err.value.field == item.key


@given(instrument_and_answers())
def test_subscales_never_exceed_the_total(case):
    instrument, answers = case
    score = instrument.score(answers)
    for _key, value in score.subscales:
        assert 0 <= value <= (score.total or 0)


@pytest.mark.parametrize("instrument", ITEM_INSTRUMENTS, ids=lambda i: i.code)
def test_bands_cover_exactly_the_possible_totals(instrument):
    if instrument.bands is not None:
        assert instrument.bands.minimum == instrument.minimum
        assert instrument.bands.maximum == instrument.maximum


@pytest.mark.parametrize("instrument", TOTAL_INSTRUMENTS, ids=lambda i: i.code)
def test_total_instrument_bands_cover_exactly_the_range(instrument):
    for bands in (instrument.bands, instrument.agoraphobia_bands):
        if bands is not None:
            assert (bands.minimum, bands.maximum) == (instrument.minimum, instrument.maximum)


@given(st.sampled_from(TOTAL_INSTRUMENTS), st.data())
def test_total_instruments_accept_every_total_in_range(instrument, data):
    total = data.draw(st.integers(instrument.minimum, instrument.maximum))
    agoraphobia = data.draw(st.booleans()) if instrument.has_agoraphobia_variant else None
    assert instrument.score_total(total, agoraphobia=agoraphobia).total == total
