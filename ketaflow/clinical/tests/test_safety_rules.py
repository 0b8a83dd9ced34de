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
