"""Response rules in percent or points, and the score that meets them (charts' dashed line)."""

from __future__ import annotations

import pytest

from ketaflow.clinical.evidence import Evidence, default
from ketaflow.clinical.instruments import get_instrument
from ketaflow.clinical.outcomes import OutcomeConfig


def _criteria(code: str):  # type: ignore[no-untyped-def]
    found = get_instrument(code).response
    assert found is not None
    return found


def test_percent_rules_read_as_at_least_or_more_than():
    assert _criteria("gad7").response_label == "≥ 50% better"
    assert _criteria("lsas").response_label == "> 35% better"  # Taylor 2018: more than 35%


def test_the_response_score_is_the_baseline_less_the_rule():
    assert _criteria("gad7").response_score(18) == pytest.approx(9.0)
    assert _criteria("gad7").response_score(0) is None  # no change from 0 can be a response
    assert _criteria("pcl5").response_score(52) == 42
    assert _criteria("pcl5").response_score(8) is None  # cannot fall 10 points from 8


def test_the_response_rule_carries_its_sources_and_evidence():
    gad7, pcl5 = _criteria("gad7"), _criteria("pcl5")
    assert gad7.response_rule is gad7.response_min_improvement_pct
    assert pcl5.response_rule is pcl5.response_min_points
    assert [s.key for s in pcl5.response_sources] == ["S40"]


def test_a_threshold_already_needing_signoff_keeps_its_own_note():
    own = default(25.0, "S17", evidence=Evidence.UNVERIFIED, note="Clinic's own level.")
    cfg = OutcomeConfig(improvement_min_pct=own).on_scale(_criteria("gad7"))
    assert cfg.improvement_min_pct is own
