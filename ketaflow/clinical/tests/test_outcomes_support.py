"""Shared criteria and helpers for the outcomes tests (not a test module)."""

from __future__ import annotations

from datetime import date, timedelta

from ketaflow.clinical.evidence import Evidence, default
from ketaflow.clinical.response import ResponseCriteria

MONDAY = date(2025, 1, 6)

# HAM-A: >= 50% improvement (Glue programme, S11); remission <= 7 (common usage, UNVERIFIED).
HAMA = ResponseCriteria(
    response_min_improvement_pct=default(50.0, "S11"),
    remission_at_or_below=default(7, "S40", evidence=Evidence.UNVERIFIED),
)
# LSAS: response is > 35% (Taylor 2018, S12); no remission definition.
LSAS = ResponseCriteria(
    response_min_improvement_pct=default(35.0, "S12"),
    remission_at_or_below=None,
    response_strict=True,
)
# MADRS as in SUSTAIN-1 (S19): response >= 50%, remission <= 12.
MADRS = ResponseCriteria(
    response_min_improvement_pct=default(50.0, "S19"),
    remission_at_or_below=default(12, "S19"),
    depression_scale=True,
)


def day(n: int) -> date:
    """MONDAY + n days."""
    return MONDAY + timedelta(days=n)


def mwf(count: int = 6) -> list[date]:
    """IV induction sessions Mon-Wed-Fri from MONDAY (S15)."""
    offsets = [0, 2, 4, 7, 9, 11, 14, 16, 18]
    return [day(o) for o in offsets[:count]]
