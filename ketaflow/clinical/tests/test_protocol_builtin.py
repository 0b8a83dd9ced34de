"""The shipped protocols hold the published schedules and doses, with their sources."""

from __future__ import annotations

from datetime import date

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.protocols import (
    ClinicCalendar,
    DoseUnit,
    PhaseKind,
    builtin,
    builtin_protocols,
    esketamine_label,
    iv_induction,
    propose_sessions,
    sc_ascending_anxiety,
)
from ketaflow.clinical.routes import Route

MONDAY = date(2025, 1, 6)


def _keys(sources: object) -> set[str]:
    return {s.key for s in sources}  # type: ignore[attr-defined]


def test_iv_induction_is_six_infusions_of_half_a_mg_per_kg_over_40_minutes() -> None:
    p = iv_induction()
    induction = p.phases[0]
    assert (p.route, p.dose_unit, induction.kind) == (
        Route.IV,
        DoseUnit.MG_PER_KG,
        PhaseKind.INDUCTION,
    )
    assert induction.sessions is not None and induction.sessions.value == 6
    assert induction.dose(0).value == 0.5
    assert p.infusion_minutes is not None and p.infusion_minutes.value == 40
    assert p.infusion_minutes.typical == (40, 60)
    assert p.infusion_minutes.minimum == 20  # the dosing core's hard floor
    assert {"S12", "S15"} <= _keys(p.infusion_minutes.sources)
    assert {"S15", "S16"} <= _keys(induction.sessions.sources)


def test_iv_induction_runs_monday_wednesday_friday_over_twelve_days() -> None:
    # S15: 6 infusions over 12 days, 3 a week.
    plan = propose_sessions(iv_induction(), ClinicCalendar(), start=MONDAY)[:6]
    assert [s.on.strftime("%a") for s in plan] == ["Mon", "Wed", "Fri"] * 2
    assert (plan[-1].on - plan[0].on).days + 1 == 12
    assert iv_induction().phases[0].nominal_days == 14


def test_iv_reviews_non_response_after_the_fourth_infusion_below_twenty_percent() -> None:
    p = iv_induction()
    assert p.review_after_session.value == 4
    assert p.non_response_below_pct.value == 20.0
    assert _keys(p.review_after_session.sources) == {"S17"}
    config = p.outcome_config()
    assert config.non_response_after_session.value == 4
    assert config.improvement_min_pct.value == 20.0


def test_iv_maintenance_tapers_from_weekly_to_fortnightly_to_four_weekly_for_responders() -> None:
    p = iv_induction()
    spacing = [(ph.code, ph.period_days.value) for ph in p.phases[1:]]
    assert spacing == [("taper_weekly", 7), ("taper_fortnightly", 14), ("maintenance", 28)]
    assert p.phases[1].requires_response
    assert p.phases[-1].sessions is None
    assert p.phases[-1].nominal_days is None
    assert p.total_sessions is None
    assert all(ph.period_days.needs_local_signoff for ph in p.phases[1:])


def test_sc_ascending_doses_are_a_quarter_a_half_then_one_mg_per_kg_a_week_apart() -> None:
    # S8/S10: 0.25 -> 0.5 -> 1 mg/kg about 1 week apart.
    p = sc_ascending_anxiety()
    ascending = p.phases[0]
    assert p.route is Route.SC and p.infusion_minutes is None
    assert [ascending.dose(k).value for k in range(3)] == [0.25, 0.5, 1.0]
    assert ascending.period_days.value == 7
    assert {"S8", "S10"} <= _keys(ascending.dose(0).sources)


def test_sc_maintenance_is_one_mg_per_kg_weekly_for_three_months_in_responders() -> None:
    # S9: 1 mg/kg once or twice weekly for 3 months; S11: responders (>= 50%).
    maintenance = sc_ascending_anxiety().phases[1]
    assert maintenance.requires_response
    assert maintenance.dose(0).value == 1.0
    assert maintenance.sessions is not None and maintenance.sessions.value == 13
    assert maintenance.sessions_per_period.value == 1
    assert maintenance.sessions_per_period.maximum == 2
    assert sc_ascending_anxiety().total_sessions == 16
    assert sc_ascending_anxiety().review_after_session.value == 3


def test_esketamine_follows_the_label_schedule() -> None:
    # S1/S2: weeks 1-4 twice weekly, weeks 5-8 weekly, week 9 on every 2 weeks or weekly.
    p = esketamine_label()
    shape = [
        (
            ph.kind,
            ph.sessions.value if ph.sessions else None,
            ph.sessions_per_period.value,
            ph.period_days.value,
        )
        for ph in p.phases
    ]
    assert shape == [
        (PhaseKind.INDUCTION, 8, 2, 7),
        (PhaseKind.MAINTENANCE, 4, 1, 7),
        (PhaseKind.MAINTENANCE, None, 1, 14),
    ]
    assert p.route is Route.INTRANASAL and p.dose_unit is DoseUnit.MG
    assert p.review_after_session.value == 8


def test_esketamine_starts_at_56_mg_or_28_mg_from_age_65() -> None:
    p = esketamine_label()
    induction = p.phases[0]
    assert p.older_adult_from_age is not None and p.older_adult_from_age.value == 65
    assert [induction.dose(0).value, induction.dose(1).value] == [56, 56]
    assert [induction.dose(0, older_adult=True).value, induction.dose(5, True).value] == [28, 28]
    young = propose_sessions(p, ClinicCalendar(), start=MONDAY, age=64, count=1)
    old = propose_sessions(p, ClinicCalendar(), start=MONDAY, age=65, count=1)
    assert (young[0].dose.amount, old[0].dose.amount) == (56, 28)
    assert young[0].dose.label == "56 mg"
    assert "S1" in _keys(old[0].dose.sources)


def test_esketamine_doses_go_in_28_mg_devices_from_28_to_84_mg() -> None:
    dose = esketamine_label().phases[0].dose(1)
    assert (dose.minimum, dose.maximum, dose.step) == (28, 84, 28)


def test_esketamine_observation_is_at_least_two_hours_and_fasting_follows_the_label() -> None:
    p = esketamine_label()
    assert p.observation_minutes.value == 120
    assert p.observation_minutes.minimum == 120
    assert not p.observation_minutes.needs_local_signoff
    assert (p.fasting_solids_minutes.value, p.fasting_clear_liquids_minutes.value) == (120, 30)
    assert {"S1", "A21"} <= _keys(p.fasting_solids_minutes.sources)
    assert p.min_failed_adequate_treatments.value == 2


def test_racemic_protocols_fast_6_h_from_solids_and_2_h_from_clear_liquids_pending_signoff() -> (
    None
):
    for p in (iv_induction(), sc_ascending_anxiety()):
        assert (p.fasting_solids_minutes.value, p.fasting_clear_liquids_minutes.value) == (360, 120)
        assert p.fasting_solids_minutes.needs_local_signoff
        assert "A22" in _keys(p.fasting_solids_minutes.sources)
        assert p.observation_minutes.needs_local_signoff


def test_anxiety_protocols_hold_the_glue_entry_thresholds() -> None:
    # S11: GAD HAM-A > 20; SAD LSAS self-report > 50.
    for p in (iv_induction(), sc_ascending_anxiety()):
        thresholds = p.thresholds
        assert thresholds["hama"].value == 20
        assert thresholds["lsas"].value == 50
        assert _keys(thresholds["hama"].sources) == {"S11"}
        assert p.min_failed_adequate_treatments.value == 2
        assert p.min_failed_adequate_treatments.needs_local_signoff


def test_every_setting_of_every_shipped_protocol_cites_a_source() -> None:
    for p in builtin_protocols().values():
        assert p.version == 1
        for key, setting in p.settings():
            assert setting.sources, key
        assert p.all_sources


def test_unverified_defaults_are_listed_for_local_signoff() -> None:
    pending = iv_induction().needs_signoff()
    assert "observation_minutes" in pending
    assert "induction.min_days_between_sessions" in pending
    assert "induction.doses.1" not in pending


def test_a_built_in_protocol_is_found_by_code() -> None:
    assert builtin("esketamine-label") == esketamine_label()
    with pytest.raises(ClinicalInputError) as err:
        builtin("nope")
    assert "iv-racemic" in err.value.message


def test_the_iv_protocol_cannot_be_revised_below_the_hard_infusion_floor() -> None:
    with pytest.raises(ClinicalInputError) as err:
        iv_induction().revise(infusion_minutes=10)
    assert err.value.field == "infusion_minutes"
    assert iv_induction().revise(infusion_minutes=20).infusion_minutes.value == 20  # type: ignore[union-attr]
