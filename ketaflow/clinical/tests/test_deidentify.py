"""De-identification helpers: per-patient keyed date shifts, 90+, research ids."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.deidentify import (
    RESEARCH_COLUMNS,
    SAFE_HARBOR,
    age_group,
    date_offset_days,
    day_number,
    research_ids,
    shift,
)
from ketaflow.clinical.errors import ClinicalInputError

SECRET = b"test-secret"


def test_the_offset_is_stable_per_patient_and_differs_between_secrets():
    a = date_offset_days(SECRET, "clinic1:patient42")
    assert a == date_offset_days(SECRET, "clinic1:patient42")
    others = {date_offset_days(bytes([i]) + SECRET, "clinic1:patient42") for i in range(20)}
    assert len(others) > 10  # not derivable from the id alone


@given(st.text(min_size=1, max_size=30))
def test_the_offset_is_never_zero_and_within_the_limit(key):
    offset = date_offset_days(SECRET, key)
    assert offset != 0 and -364 <= offset <= 364


def test_shifting_keeps_intervals():
    offset = date_offset_days(SECRET, "p1")
    a, b = date(2026, 1, 5), date(2026, 2, 9)
    assert (shift(b, offset) - shift(a, offset)).days == 35
    assert shift(None, offset) is None
    assert day_number(b, a) == 35 and day_number(None, a) is None


def test_ages_over_89_are_grouped():
    assert age_group(89) == "89" and age_group(90) == "90+" and age_group(104) == "90+"
    assert age_group(None) == ""
    with pytest.raises(ClinicalInputError):
        age_group(-1)


def test_research_ids_are_sequential_and_not_in_record_order():
    keys = [f"p{i}" for i in range(1, 50)]
    ids = research_ids(SECRET, keys)
    assert sorted(ids.values())[0] == "R0001" and len(set(ids.values())) == 49
    assert [ids[k] for k in keys] != sorted(ids.values())


def test_an_empty_secret_is_refused():
    with pytest.raises(ClinicalInputError):
        date_offset_days(b"", "p1")


def test_eighteen_identifier_kinds_and_no_identifying_column():
    assert len(SAFE_HARBOR) == 18
    for banned in (
        "name",
        "mrn",
        "email",
        "phone",
        "address",
        "zip",
        "date_of_birth",
        "dob",
        "note",
    ):
        assert not any(banned in c for c in RESEARCH_COLUMNS)
