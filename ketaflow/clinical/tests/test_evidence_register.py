"""The register of sources: unique keys, a title for every source, well-formed DOIs."""

from __future__ import annotations

import re

import pytest

from ketaflow.clinical.evidence import Evidence, UnknownSource, all_sources, cite, default, source
from ketaflow.clinical.evidence_register import REGISTER

DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def test_every_key_is_unique():
    keys = [s.key for s in REGISTER]
    assert len(keys) == len(set(keys))


def test_keys_are_the_reference_keys_s1_to_s59_and_a1_to_a31():
    keys = {s.key for s in REGISTER}
    expected = {f"S{n}" for n in range(1, 60) if n != 45} | {f"A{n}" for n in range(1, 32)}
    assert keys == expected


def test_every_source_has_a_title_and_a_citation():
    for s in REGISTER:
        assert s.title.strip(), s.key
        assert s.citation.strip(), s.key


def test_every_doi_looks_like_a_doi_and_appears_in_the_reference_text():
    for s in REGISTER:
        if s.doi is not None:
            assert DOI.match(s.doi), (s.key, s.doi)
            assert not s.doi.endswith((".", ";", ")")), (s.key, s.doi)


def test_every_url_is_http():
    for s in REGISTER:
        if s.url is not None:
            assert s.url.startswith(("http://", "https://")), s.key


def test_years_are_plausible_publication_years():
    for s in REGISTER:
        if s.year is not None:
            assert 1950 <= s.year <= 2026, s.key


def test_spravato_label_year_is_the_verified_2019_text_not_the_2026_spl_date():
    assert source("S1").year == 2019


def test_ketalar_labels_carry_no_year_taken_from_a_url_slug():
    assert source("S4").year is None


def test_sanacora_consensus_has_authors_title_and_doi():
    s = source("S5")
    assert s.authors.startswith("Sanacora G")
    assert (
        s.title == "A Consensus Statement on the Use of Ketamine in the Treatment of Mood Disorders"
    )
    assert s.link == "https://doi.org/10.1001/jamapsychiatry.2017.0080"


def test_short_label_uses_first_author_and_year():
    assert source("S12").short() == "[S12] Taylor JH (2018)"


def test_short_label_falls_back_to_title_without_authors():
    assert source("A16").short().startswith("[A16] Relationship Between Dissociation")


def test_cite_returns_sources_in_order_and_unknown_keys_fail():
    assert [s.key for s in cite("S40", "S42")] == ["S40", "S42"]
    with pytest.raises(UnknownSource):
        source("S45")


def test_all_sources_are_the_clinical_register_plus_the_pk_method_and_scale_sources():
    from ketaflow.clinical.instruments.sources import SCALE_SOURCES
    from ketaflow.clinical.outcome_stats import METHOD_SOURCES
    from ketaflow.clinical.pk.sources import ALL as PK_SOURCES

    registries = (REGISTER, PK_SOURCES, METHOD_SOURCES, SCALE_SOURCES)
    assert len(all_sources()) == sum(len(r) for r in registries)
    assert source("SC-Chernik1990").year == 1990


def test_unverified_default_needs_local_signoff():
    d = default(50.0, "S40", evidence=Evidence.UNVERIFIED)
    assert d.needs_local_signoff
    assert not default(50.0, "S40").needs_local_signoff


def test_short_labels_stay_short_for_every_source():
    for s in REGISTER:
        assert len(s.short()) <= 200, s.key


# Corrections of issue #11: each was wrong or incomplete before.


def test_s20_zanos_review_carries_its_doi():
    s = source("S20")
    assert s.link == "https://doi.org/10.1124/pr.117.015198"
    assert s.year == 2018 and s.authors.startswith("Zanos P")


def test_s24_blood_pressure_report_names_its_authors():
    s = source("S24")
    assert s.authors.startswith("Riva-Posse P, Reiff CM")
    assert s.short() == "[S24] Riva-Posse P (2018)"


def test_s31_shows_a_year_that_matches_its_doi():
    s = source("S31")
    assert s.doi == "10.1038/clpt.2011.140"
    assert s.year == 2011  # Peltoniemi 2011, the paper of that DOI (was Hagelberg's 2010)
    assert s.short() == "[S31] Peltoniemi MA (2011)"


def test_s33_first_author_is_winstock():
    s = source("S33")
    assert s.authors.startswith("Winstock AR")
    assert s.short() == "[S33] Winstock AR (2012)"


def test_s41_cites_the_aldrete_and_chung_1995_papers_without_an_unverified_doi():
    s = source("S41")
    assert s.authors.startswith("Aldrete JA") and "Chung F" in s.authors
    assert s.year == 1995 and s.doi is None
    assert "J Clin Anesth" in s.title and "8534468" in s.citation


def test_s47_lahti_carries_its_year_and_doi():
    s = source("S47")
    assert s.year == 2001
    assert s.link == "https://doi.org/10.1016/S0893-133X(01)00243-3"
