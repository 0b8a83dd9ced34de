"""The safety-rules catalogue: every clinic default of the core, described and read, not typed."""

from __future__ import annotations

import pytest

from ketaflow.clinical import safety_rules
from ketaflow.clinical.dosing.limits import DEFAULT_DOSING_LIMITS
from ketaflow.clinical.routes import Route


def test_every_clinic_default_of_the_core_is_in_the_catalogue():
    assert safety_rules.uncatalogued() == ()


def test_values_are_read_from_the_core_not_typed():
    rule = next(r for r in safety_rules.rules() if r.path == "routes[iv].hard_max_mg_per_kg")
    assert rule.default is DEFAULT_DOSING_LIMITS.for_route(Route.IV).hard_max_mg_per_kg
    assert rule.kind is safety_rules.Kind.HARD
    assert f"| {rule.label} | hard limit | {rule.value_text} |" in safety_rules.render_markdown()


def test_unverified_defaults_are_marked_for_local_signoff():
    page = safety_rules.render_markdown()
    for rule in safety_rules.rules():
        flag = "yes" if rule.default.needs_local_signoff else "no"
        assert f"| {rule.default.evidence.value} | {flag} |" in page


def test_a_catalogue_entry_for_a_value_that_no_longer_exists_fails(monkeypatch):
    catalogue = {**safety_rules.CATALOGUE}
    catalogue["Dosing"] = {
        **catalogue["Dosing"],
        "routes[iv].gone": safety_rules.Entry("Gone", safety_rules.Kind.HARD),
    }
    monkeypatch.setattr(safety_rules, "CATALOGUE", catalogue)
    with pytest.raises(KeyError, match=r"routes\[iv\]\.gone"):
        safety_rules.rules()


def test_a_default_missing_from_the_catalogue_is_reported(monkeypatch):
    catalogue = {**safety_rules.CATALOGUE}
    catalogue["Discharge"] = {
        k: v for k, v in catalogue["Discharge"].items() if k != "require_escort"
    }
    monkeypatch.setattr(safety_rules, "CATALOGUE", catalogue)
    assert safety_rules.uncatalogued() == ("Discharge: require_escort",)


def test_the_conditions_table_starts_from_an_eligible_patient():
    from ketaflow.clinical.eligibility.assessment import assess_eligibility
    from ketaflow.clinical.eligibility.findings import SuggestedOutcome
    from ketaflow.clinical.eligibility.parse import facts_from_data

    baseline = assess_eligibility(facts_from_data(safety_rules.ELIGIBLE_BASELINE))
    assert baseline.outcome is SuggestedOutcome.ELIGIBLE, baseline.findings


def test_each_condition_row_is_the_cores_decision_for_it():
    from ketaflow.clinical.eligibility.facts import HistoryItem
    from ketaflow.clinical.eligibility.findings import FindingKind

    rules = {r.condition: r for r in safety_rules.condition_rules()}
    assert set(rules) == set(HistoryItem)
    for excluded in (
        HistoryItem.PSYCHOSIS_CURRENT,
        HistoryItem.MANIA_CURRENT,
        HistoryItem.KETAMINE_PCP_MISUSE,
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_C,
    ):
        assert FindingKind.EXCLUSION in {f.kind for f in rules[excluded].findings}, excluded
    assert "F20-F29" in rules[HistoryItem.PSYCHOSIS_CURRENT].codes
    page = safety_rules.render_markdown()
    assert "| psychosis current | F20-F29" in page
