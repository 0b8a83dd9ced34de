"""Misuse-risk indicators: rolling cumulative mg, sessions against the plan, early sessions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Evidence, default
from ketaflow.clinical.misuse import MisuseConfig, SessionDose, Spacing, assess_misuse

INDUCTION = Spacing("induction", min_days_between=1, sessions_per_period=3, period_days=7)
MAINTENANCE = Spacing("maintenance", min_days_between=7, sessions_per_period=1, period_days=7)
TODAY = date(2026, 3, 31)


def held(on: date, mg: float | None = 35.0, spacing: Spacing = INDUCTION) -> SessionDose:
    return SessionDose(on, True, mg, spacing)


def test_cumulative_mg_in_the_last_30_and_90_days():
    sessions = [held(TODAY - timedelta(days=d)) for d in (100, 80, 40, 29, 10, 0)]
    report = assess_misuse(sessions, TODAY)
    w30, w90 = report.windows
    assert (w30.days, w30.sessions, w30.mg) == (30, 3, 105.0)  # days 29, 10, 0
    assert (w90.sessions, w90.mg) == (5, 175.0)
    assert report.total_mg == 210.0 and report.total_sessions == 6
    assert w30.start == date(2026, 3, 2)


def test_sessions_without_a_usable_dose_are_counted_not_guessed():
    report = assess_misuse([held(TODAY, None), held(TODAY - timedelta(days=3))], TODAY)
    assert report.windows[0].mg == 35.0 and report.windows[0].sessions_without_dose == 1


def test_a_session_sooner_than_the_phase_spacing_is_an_early_request():
    sessions = [
        held(date(2026, 3, 2), spacing=MAINTENANCE),
        held(date(2026, 3, 9), spacing=MAINTENANCE),
        held(date(2026, 3, 12), spacing=MAINTENANCE),  # 3 days after: maintenance needs 7
        SessionDose(date(2026, 3, 14), False, None, MAINTENANCE),  # booked 2 days later
    ]
    report = assess_misuse(sessions, TODAY)
    assert [(e.on, e.gap_days, e.min_days, e.held) for e in report.early] == [
        (date(2026, 3, 12), 3, 7, True),
        (date(2026, 3, 14), 2, 7, False),
    ]
    assert "early_sessions" in [i.code for i in report.indicators]


def test_more_sessions_than_the_protocol_plans_in_a_window_is_flagged():
    days = [TODAY - timedelta(days=d) for d in range(0, 30, 3)]  # 10 in 30 days
    report = assess_misuse([held(d, spacing=MAINTENANCE) for d in days], TODAY)
    w30 = report.windows[0]
    assert w30.planned_max == 5 and w30.sessions == 10
    assert "over_plan_30d" in [i.code for i in report.indicators]


def test_a_normal_induction_raises_no_indicator():
    days = [date(2026, 3, 2) + timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)]
    report = assess_misuse([held(d) for d in days], date(2026, 3, 13))
    assert report.indicators == () and report.early == ()
    assert report.windows[0].planned_max == 13


def test_no_cumulative_threshold_by_default_and_a_clinic_threshold_is_unverified():
    sessions = [held(TODAY - timedelta(days=d), 100.0) for d in (0, 7, 14)]
    assert assess_misuse(sessions, TODAY).indicators == ()
    cfg = MisuseConfig(mg_per_30_days_review_at=default(250.0, "S4", evidence=Evidence.UNVERIFIED))
    found = assess_misuse(sessions, TODAY, cfg).indicators
    assert [i.code for i in found] == ["mg_30d_at_review_level"]
    assert found[0].evidence is Evidence.UNVERIFIED


def test_sources_and_the_no_threshold_caveat_are_carried():
    report = assess_misuse([], TODAY)
    assert {"S1", "S3", "S4", "S33"} <= {s.key for s in report.sources}
    assert "No validated cumulative-dose threshold" in report.note


def test_a_negative_dose_is_an_input_error():
    with pytest.raises(ClinicalInputError):
        assess_misuse([held(TODAY, -1.0)], TODAY)
