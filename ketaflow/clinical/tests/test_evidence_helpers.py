"""Helpers of the evidence module: links, duplicate detection, merging citations."""

from __future__ import annotations

import pytest

from ketaflow.clinical import evidence
from ketaflow.clinical.evidence import Evidence, Source, cite, default, merge


def test_a_source_links_to_its_doi_before_its_url():
    with_doi = Source(key="X1", citation="c", doi="10.1000/abc", url="https://example.org")
    assert with_doi.link == "https://doi.org/10.1000/abc"
    assert Source(key="X2", citation="c", url="https://example.org").link == "https://example.org"
    assert Source(key="X3", citation="c").link is None


def test_merge_keeps_first_occurrence_order_without_duplicates():
    merged = merge([cite("S1", "S4"), cite("S4", "S28"), ()])
    assert [s.key for s in merged] == ["S1", "S4", "S28"]


def test_an_unverified_default_needs_local_signoff_and_a_verified_one_does_not():
    assert default(6, "A22", evidence=Evidence.UNVERIFIED).needs_local_signoff
    assert not default(120, "S1").needs_local_signoff


def test_a_register_with_a_duplicate_key_is_refused(monkeypatch: pytest.MonkeyPatch):
    from ketaflow.clinical import evidence_register

    twice = (*evidence_register.REGISTER, evidence_register.REGISTER[0])
    monkeypatch.setattr(evidence_register, "REGISTER", twice)
    evidence._index.cache_clear()
    try:
        with pytest.raises(ValueError, match="duplicate source key S1"):
            evidence.source("S1")
    finally:
        monkeypatch.undo()
        evidence._index.cache_clear()
    assert evidence.source("S1").key == "S1"


def test_pk_sources_are_found_through_the_same_register():
    assert evidence.source("PK-Domino1984").year == 1984
    keys = {s.key for s in evidence.all_sources()}
    assert {"S1", "A7", "PK-Kamp2020"} <= keys
