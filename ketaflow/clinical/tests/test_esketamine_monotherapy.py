"""Esketamine needs no concomitant oral antidepressant: monotherapy approved 21 Jan 2025 (S44)."""

from __future__ import annotations

from ketaflow.clinical.eligibility import DEFAULT_CRITERIA, assess_eligibility
from ketaflow.clinical.evidence import source
from ketaflow.clinical.protocols import builtin
from ketaflow.clinical.routes import Route
from ketaflow.clinical.tests.eligibility_personas import anna


def test_the_esketamine_protocol_cites_the_monotherapy_approval() -> None:
    protocol = builtin("esketamine-label")
    assert source("S44") in protocol.sources
    assert "no concomitant oral antidepressant is required (S44)" in protocol.description
    assert source("S44").year == 2025


def test_eligibility_for_esketamine_without_any_antidepressant_asks_for_none() -> None:
    result = assess_eligibility(
        anna(planned_route=Route.INTRANASAL, medications=()), DEFAULT_CRITERIA
    )
    for finding in result.findings:
        assert "antidepressant" not in finding.code
        assert "concomitant oral antidepressant" not in finding.message.lower()
