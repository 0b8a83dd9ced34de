"""Completeness and range checks: bad forms are rejected naming the item, never scored as 0."""

from __future__ import annotations

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import GAD7, PHQ9, Band, BandSet


def test_missing_answer_is_rejected_naming_the_item_not_scored_as_zero():
    with pytest.raises(ClinicalInputError) as err:
        GAD7.score([1, 1, None, 1, 0, 1, 2])
    assert err.value.field == "item_3"
    assert "GAD-7 item 3" in err.value.message
    assert "never scored as 0" in err.value.message


def test_too_few_answers_names_the_first_missing_item():
    with pytest.raises(ClinicalInputError) as err:
        PHQ9.score([0] * 8)
    assert err.value.field == "item_9"
    assert "needs 9 (or 10 with the optional last item) answers, got 8" in err.value.message


def test_too_many_answers_is_rejected():
    with pytest.raises(ClinicalInputError) as err:
        GAD7.score([0] * 9)
    assert "needs 7 (or 8 with the optional last item) answers, got 9" in err.value.message


def test_out_of_range_answer_names_item_and_allowed_range():
    with pytest.raises(ClinicalInputError) as err:
        GAD7.score([1, 1, 1, 4, 0, 1, 2])
    assert err.value.field == "item_4"
    assert "4 is out of range (allowed 0-3)" in err.value.message
    assert str(err.value).startswith("item_4: ")


def test_negative_answer_is_rejected():
    with pytest.raises(ClinicalInputError, match="allowed 0-3"):
        GAD7.score([-1, 1, 1, 1, 0, 1, 2])


@pytest.mark.parametrize("bad", [True, 1.0, "1"])
def test_non_integer_answers_are_rejected(bad):
    with pytest.raises(ClinicalInputError, match="not a whole number"):
        GAD7.score([bad, 1, 1, 1, 0, 1, 2])


def test_mapping_answers_by_number_and_key_score_the_same():
    by_number = GAD7.score(dict.fromkeys(range(1, 8), 1))
    by_key = GAD7.score({f"item_{n}": 1 for n in range(1, 8)})
    assert by_number.total == by_key.total == 7


def test_mapping_with_a_missing_item_is_rejected():
    with pytest.raises(ClinicalInputError) as err:
        GAD7.score(dict.fromkeys(range(1, 7), 1))
    assert err.value.field == "item_7"


def test_mapping_with_an_unknown_item_is_rejected():
    with pytest.raises(ClinicalInputError, match="no item"):
        GAD7.score(dict.fromkeys(range(1, 8), 1) | {"item_99": 1})


def test_mapping_answering_an_item_twice_is_rejected():
    answers: dict[int | str, int | None] = dict.fromkeys(range(1, 8), 1)
    answers["item_1"] = 2
    with pytest.raises(ClinicalInputError, match="answered twice"):
        GAD7.score(answers)


def test_optional_item_may_be_none_but_must_be_in_range_when_given():
    assert GAD7.score([0] * 7 + [None]).total == 0
    with pytest.raises(ClinicalInputError) as err:
        GAD7.score([0] * 7 + [4])
    assert err.value.field == "difficulty"


def test_unknown_cutoff_override_is_rejected():
    with pytest.raises(ClinicalInputError) as err:
        GAD7.score([0] * 7, cutoffs={"nonsense": 3})
    assert err.value.field == "nonsense"


def test_cutoff_override_must_be_a_whole_number():
    with pytest.raises(ClinicalInputError, match="whole number"):
        GAD7.score([0] * 7, cutoffs={"screen_positive": 9.5})  # type: ignore[dict-item]


def test_score_subscale_lookup_of_unknown_key_raises_key_error():
    with pytest.raises(KeyError):
        GAD7.score([0] * 7).subscale("nope")


def test_band_set_rejects_gaps_between_bands():
    with pytest.raises(ValueError, match="contiguous"):
        BandSet("gappy", (Band(0, 4, "a"), Band(6, 9, "b")), ())


def test_band_set_label_outside_its_range_is_an_input_error():
    bands = BandSet("small", (Band(0, 4, "a"), Band(5, 9, "b")), ())
    with pytest.raises(ClinicalInputError, match="outside small"):
        bands.label_for(10)
    assert (bands.minimum, bands.maximum) == (0, 9)
    assert not bands.needs_local_signoff


def test_numbered_items_need_one_label_per_item():
    from ketaflow.clinical.instruments.base import numbered_items

    with pytest.raises(ValueError, match="one label per item"):
        numbered_items(3, 4, ["a", "b"])
    assert [i.label for i in numbered_items(2, 4, ["a", "b"])] == ["a", "b"]
